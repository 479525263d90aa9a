"""How late the desktop app's UI thread handles events while the pipeline runs.

Two probes run on the real window during each condition:
- timer: a 10 ms single-shot QTimer re-armed each time it fires; lateness = fired - due;
- cross-thread: a plain thread emits a Qt signal every 10 ms carrying its send time (the way the
  pipeline's preview sink reaches the UI); delay = handled - sent.
The issue's budget is 50 ms. Usage:  python bench/gui_latency.py [--input CLIP] [--seconds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal

from animecam.gui.app import create_window, wait_until
from animecam.gui.settings import open_store
from animecam.videofilter.pipeline import PipelineConfig

PERIOD_MS = 10


class _Sender(QObject):
    sent = pyqtSignal(float)


class Probe:
    """Collects timer lateness and cross-thread signal delay (ms) while running."""

    def __init__(self) -> None:
        self.timer_ms: list[float] = []
        self.signal_ms: list[float] = []
        self._running = False
        self._sender = _Sender()
        self._sender.sent.connect(self._received)
        self._timer = QTimer(singleShot=True, timerType=Qt.TimerType.PreciseTimer, timeout=self._fired)
        self._due = 0.0

    def start(self) -> None:
        self._running = True
        self._arm()
        self._thread = threading.Thread(target=self._emit_loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running = False
        self._timer.stop()
        self._thread.join()

    def _arm(self) -> None:
        self._due = time.perf_counter() + PERIOD_MS / 1e3
        self._timer.start(PERIOD_MS)

    def _fired(self) -> None:
        self.timer_ms.append(max(0.0, (time.perf_counter() - self._due) * 1e3))
        if self._running:
            self._arm()

    def _emit_loop(self) -> None:
        while self._running:
            self._sender.sent.emit(time.perf_counter())
            time.sleep(PERIOD_MS / 1e3)

    def _received(self, sent: float) -> None:
        self.signal_ms.append((time.perf_counter() - sent) * 1e3)


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values) or [0.0]

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50": statistics.median(ordered), "p95": pick(0.95), "p99": pick(0.99), "max": ordered[-1]}


def measure(
    clip: Path, seconds: float, realtime: bool, record: bool, switch_styles: bool, folder: Path
) -> dict:
    store = open_store(folder / f"settings-{time.monotonic_ns()}.ini")
    store.setValue("output_folder", str(folder))
    window = create_window(store=store, source=str(clip), config=PipelineConfig(realtime=realtime))
    window.show()
    if not wait_until(lambda: window.preview.frames_shown >= 5, 120):
        raise SystemExit(f"no frames from {clip}: {window.banner.text.text()}")
    wait_until(lambda: window.panel.gallery.count() > 0, 30)
    if record:
        window.panel.record_button.click()
        wait_until(lambda: "recorder" in window.session.outputs, 10)
    switcher = QTimer(interval=100)
    switches = iter(range(10**9))
    switcher.timeout.connect(lambda: window.pick_style(next(switches) % max(1, window.panel.gallery.count())))
    if switch_styles:
        switcher.start()
    probe = Probe()
    shown, written = window.preview.frames_shown, window.session.preview.written
    probe.start()
    started = time.perf_counter()
    wait_until(lambda: False, seconds)
    elapsed = time.perf_counter() - started
    probe.stop()
    switcher.stop()
    row = {
        "pipeline_fps": (window.session.preview.written - written) / elapsed,
        "shown_fps": (window.preview.frames_shown - shown) / elapsed,
        "timer_ms": _summary(probe.timer_ms),
        "signal_ms": _summary(probe.signal_ms),
        "samples": len(probe.timer_ms) + len(probe.signal_ms),
    }
    window.close()
    return row


CONDITIONS = {
    "preview at the clip's rate": dict(realtime=True, record=False, switch_styles=False),
    "full speed": dict(realtime=False, record=False, switch_styles=False),
    "full speed + recording": dict(realtime=False, record=True, switch_styles=False),
    "full speed + rec + 10 switches/s": dict(realtime=False, record=True, switch_styles=True),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=None, help="clip to play (default: the demo clip)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per condition")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="animecam-bench-") as tmp:
        folder = Path(tmp)
        clip = args.input
        if clip is None:
            from animecam.videofilter.demo import write_demo_clip

            clip = write_demo_clip(folder / "demo.mp4", seconds=5.0)
        rows = {name: measure(clip, args.seconds, folder=folder, **kw) for name, kw in CONDITIONS.items()}
    if args.json:
        print(json.dumps(rows))
        return 0
    timer_head, signal_head = "timer late ms p50/p95/p99/max", "signal ms p50/p95/max"
    print(f"{'condition':<34}{'fps':>6}{'shown':>7}   {timer_head:<32}{signal_head}")
    for name, row in rows.items():
        t, s = row["timer_ms"], row["signal_ms"]
        print(
            f"{name:<34}{row['pipeline_fps']:>6.1f}{row['shown_fps']:>7.1f}   "
            f"{t['p50']:>5.1f} {t['p95']:>5.1f} {t['p99']:>5.1f} {t['max']:>6.1f}{'':<9}"
            f"{s['p50']:>5.1f} {s['p95']:>5.1f} {s['max']:>6.1f}"
        )
    worst = max(max(r["timer_ms"]["p99"], r["signal_ms"]["p99"]) for r in rows.values())
    print(f"worst p99: {worst:.1f} ms (budget 50 ms) on {os.cpu_count()} cores, {sys.platform}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
