"""Soak test: the live pipeline on a looping 1280x720 clip, as fast as it goes, for a long time.

Styles are switched every few seconds (cycling through every style `animecam styles` lists). The
clip (videofilter's LoopingSource, live) plays like a camera exactly as fast as the filter: the
pipeline reads a frame only when one has left it. With --record-dir frames also go to a Recorder
that is replaced every --rotate-minutes.
It prints frames processed, fps and the process's CPU milliseconds per delivered frame per interval,
resident memory, open descriptors and threads, and PASS/FAIL against the goals: memory growth < 5%
after the warm-up, no growth in descriptors or threads, every interval's CPU time per frame within
10% of the median. CPU time per frame, unlike fps, hardly moves when other jobs share the cores
(the fps of a fixed workload moved -9.5%..+5.5% per minute on a shared VM: bench/host_steadiness.py).

    python bench/soak.py [--minutes 10] [--interval 60] [--record-dir DIR --rotate-minutes 5] [--json]
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
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from tqdm import tqdm

from animecam.core.frames import SourceInfo
from animecam.engine.styles import list_styles, load_style
from animecam.videofilter.demo import write_demo_clip
from animecam.videofilter.pipeline import Pipeline, PipelineConfig
from animecam.videofilter.sinks import Recorder
from animecam.videofilter.sources import LoopingSource, VideoFileSource

MEMORY_GROWTH_LIMIT = 0.05
# The progress bar's monitor thread would otherwise count as a thread the soak leaked.
tqdm.monitor_interval = 0
CPU_TOLERANCE = 0.10


@dataclass
class Probe:
    """The process's resources at one moment."""

    seconds: float
    rss_kb: int
    fds: int
    threads_python: int
    threads_os: int

    @classmethod
    def now(cls, t0: float) -> Probe:
        status = _proc_status()
        return cls(
            seconds=round(time.monotonic() - t0, 1),
            rss_kb=status["VmRSS"],
            fds=len(os.listdir("/proc/self/fd")),
            threads_python=threading.active_count(),
            threads_os=status["Threads"],
        )


def _proc_status() -> dict[str, int]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "Threads"):
            values[key] = int(rest.split()[0])
    return values


@dataclass
class Interval:
    """One fps sample, with the lowest and highest descriptor and OS thread counts seen in it. They
    flicker by a few as the decoder reopens, recordings rotate and native pools (x264, OpenCV) come
    and go, so a leak shows as the floor of a late interval rising above the first one's ceiling."""

    fps: float
    cpu_ms_per_frame: float  # the process's CPU time (all threads) over the frames delivered
    rss_kb: int
    min_fds: int
    peak_fds: int
    min_threads_os: int
    peak_threads_os: int


@dataclass
class SoakReport:
    minutes: float
    warmup_seconds: float
    styles: list[str]
    frames: int = 0
    dropped: int = 0
    style_switches: int = 0
    clip_loops: int = 0
    recordings: int = 0
    interval_seconds: float = 60.0
    switch_seconds: float = 3.0
    intervals: list[Interval] = field(default_factory=list)
    probes: dict[str, Probe] = field(default_factory=dict)  # before, warm, end, stopped
    errors: list[str] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)
    passed: bool = False


class _Range:
    """The lowest and highest of the values seen since the last take()."""

    def __init__(self) -> None:
        self.values: list[int] = []

    def add(self, value: int) -> None:
        self.values.append(value)

    def take(self) -> tuple[int, int]:
        low, high = min(self.values), max(self.values)
        self.values = []
        return low, high


def _judge(report: SoakReport) -> None:
    warm, end = report.probes["warm"], report.probes["end"]
    before, stopped = report.probes["before"], report.probes["stopped"]
    growth = (end.rss_kb - warm.rss_kb) / warm.rss_kb
    cpu = [i.cpu_ms_per_frame for i in report.intervals]
    median = statistics.median(cpu) if cpu else 0.0
    first, last = (report.intervals[0], report.intervals[-1]) if report.intervals else (None, None)
    report.checks = {
        "memory growth < 5%": growth < MEMORY_GROWTH_LIMIT,
        "no descriptor growth": end.fds <= warm.fds
        and (first is None or last.min_fds <= first.peak_fds),  # type: ignore[union-attr]
        "no thread growth": end.threads_python <= warm.threads_python
        and (first is None or last.min_threads_os <= first.peak_threads_os),  # type: ignore[union-attr]
        # Native pools (OpenCV, ONNX Runtime) outlive a pipeline by design; Python threads must not.
        "threads ended after stop": stopped.threads_python <= before.threads_python,
        "CPU per frame steady within 10%": bool(cpu) and all(abs(c - median) <= CPU_TOLERANCE * median
                                                             for c in cpu),
        "no pipeline errors": not report.errors,
    }
    report.passed = all(report.checks.values())


def whole_cycle_switch_seconds(interval: float, style_count: int, about: float) -> float:
    """The switch period nearest `about` that fits whole cycles through all styles into an interval.

    Styles differ in cost; an interval that happened to run the dearest style once more than the
    next interval would otherwise read as a slowdown.
    """
    cycles = max(1, round(interval / (style_count * about)))
    return interval / (cycles * style_count)


def run_soak(
    minutes: float,
    interval: float,
    warmup: float,
    switch_seconds: float,
    clip_seconds: float,
    camera_fps: float,
    record_dir: Path | None,
    rotate_minutes: float,
    backend: str,
) -> SoakReport:
    duration = minutes * 60
    warmup = min(warmup, duration / 4)  # short runs still have a measured part
    styles = [info.name for info in list_styles(backend=backend)]
    switch_seconds = whole_cycle_switch_seconds(interval, len(styles), switch_seconds)
    report = SoakReport(minutes, warmup, styles, interval_seconds=interval, switch_seconds=switch_seconds)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="animecam-soak-") as tmp:
        clip = write_demo_clip(Path(tmp) / "soak-clip.mp4", seconds=clip_seconds, size=(1280, 720))
        report.probes["before"] = Probe.now(t0)
        source = LoopingSource(VideoFileSource(clip), partial(VideoFileSource, clip), live=True,
                               camera_fps=camera_fps)
        pipeline = Pipeline(source, load_style(styles[0], backend), [],
                            PipelineConfig(), on_error=lambda err: report.errors.append(repr(err)))
        recorder = _new_recorder(record_dir, report, source.info)
        if recorder is not None:
            pipeline.add_sink(recorder)
        pipeline.start()
        start = time.monotonic()
        next_switch = start + switch_seconds
        next_rotation = start + rotate_minutes * 60 if recorder is not None and rotate_minutes > 0 else None
        interval_start, interval_frames, interval_cpu = start + warmup, None, 0.0
        fds_seen, threads_seen = _Range(), _Range()  # within the current interval
        # No rotation in the last moments: the end probe would land on a fresh recorder.
        quiet_end = start + duration - min(5.0, 0.1 * duration)
        bar = tqdm(total=round(duration), unit="s", desc="soak", dynamic_ncols=True, disable=None)
        try:
            while (now := time.monotonic()) < start + duration and pipeline.running:
                time.sleep(min(0.25, max(0.0, start + duration - now)))
                now = time.monotonic()
                bar.n = min(round(now - start), round(duration))
                bar.set_postfix(frames=pipeline.stats.frames, fps=f"{pipeline.stats.fps:.1f}", refresh=True)
                if "warm" not in report.probes and now >= start + warmup:
                    report.probes["warm"] = Probe.now(t0)
                    interval_frames, interval_cpu = pipeline.stats.frames, time.process_time()
                if interval_frames is not None:
                    probe = Probe.now(t0)
                    fds_seen.add(probe.fds)
                    threads_seen.add(probe.threads_os)
                    if now - interval_start >= interval:
                        frames, cpu = pipeline.stats.frames, time.process_time()
                        delivered = max(1, frames - interval_frames)
                        fps = round((frames - interval_frames) / (now - interval_start), 2)
                        cpu_ms = round(1e3 * (cpu - interval_cpu) / delivered, 3)
                        row = Interval(fps, cpu_ms, probe.rss_kb, *fds_seen.take(), *threads_seen.take())
                        report.intervals.append(row)
                        interval_start, interval_frames, interval_cpu = now, frames, cpu
                if now >= next_switch:
                    report.style_switches += 1
                    pipeline.set_style(load_style(styles[report.style_switches % len(styles)], backend))
                    next_switch += switch_seconds
                if next_rotation is not None and next_rotation <= now < quiet_end:
                    old, recorder = recorder, _new_recorder(record_dir, report, source.info)
                    pipeline.add_sink(recorder)
                    pipeline.remove_sink(old)
                    next_rotation += rotate_minutes * 60
            report.probes.setdefault("warm", Probe.now(t0))
            report.probes["end"] = Probe.now(t0)
        finally:
            bar.close()
            pipeline.stop()
            source.close()
        stats = pipeline.stats
        report.frames, report.dropped, report.clip_loops = stats.frames, stats.dropped, source.loops
        report.probes["stopped"] = Probe.now(t0)
    _judge(report)
    return report


def _new_recorder(record_dir: Path | None, report: SoakReport, info: SourceInfo) -> Recorder | None:
    if record_dir is None:
        return None
    record_dir.mkdir(parents=True, exist_ok=True)
    report.recordings += 1
    # Only the newest two files are kept: an hour of 720p would otherwise fill a small disk.
    stale = record_dir / f"soak-{report.recordings - 2:03d}.mp4"
    stale.unlink(missing_ok=True)
    return Recorder(record_dir / f"soak-{report.recordings:03d}.mp4", info)


def report_table(report: SoakReport) -> str:
    probes = report.probes
    lines = [
        f"soak: {report.minutes:g} min, warm-up {report.warmup_seconds:.0f} s, {report.frames} frames "
        f"({report.dropped} dropped to stay live), {report.style_switches} style switches "
        f"(every {report.switch_seconds:.2f} s) over {len(report.styles)} styles, "
        f"{report.clip_loops} clip loops, {report.recordings} recordings",
        "",
        f"{'interval':<10}{'end s':>8}{'fps':>8}{'CPU ms/frame':>14}{'RSS MB':>9}{'fds':>9}"
        f"{'os threads':>12}",
    ]
    warmup = report.warmup_seconds
    for i, row in enumerate(report.intervals):
        lines.append(f"{i + 1:<10}{warmup + (i + 1) * report.interval_seconds:>8.0f}{row.fps:>8.1f}"
                     f"{row.cpu_ms_per_frame:>14.2f}{row.rss_kb / 1024:>9.1f}"
                     f"{f'{row.min_fds}-{row.peak_fds}':>9}{f'{row.min_threads_os}-{row.peak_threads_os}':>12}")
    if report.intervals:
        fps = statistics.median(i.fps for i in report.intervals)
        cpu = statistics.median(i.cpu_ms_per_frame for i in report.intervals)
        lines.append(f"{'median':<10}{'':>8}{fps:>8.1f}{cpu:>14.2f}")
    lines += ["", f"{'probe':<9}{'time s':>8}{'RSS MB':>9}{'fds':>6}{'py thr':>8}{'os thr':>8}"]
    for name, p in probes.items():
        lines.append(f"{name:<9}{p.seconds:>8.1f}{p.rss_kb / 1024:>9.1f}{p.fds:>6}{p.threads_python:>8}"
                     f"{p.threads_os:>8}")
    warm, end = probes["warm"], probes["end"]
    lines.append(f"memory growth after warm-up: {100 * (end.rss_kb - warm.rss_kb) / warm.rss_kb:+.2f}%")
    lines.append("")
    lines += [f"{'PASS' if ok else 'FAIL'}  {name}" for name, ok in report.checks.items()]
    lines += [f"error: {e}" for e in report.errors[:5]]
    lines.append(f"RESULT: {'PASS' if report.passed else 'FAIL'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per fps sample (default 60)")
    parser.add_argument("--warmup", type=float, default=60.0,
                        help="seconds before the baseline is taken (at most a quarter of the run)")
    parser.add_argument("--switch-seconds", type=float, default=3.0,
                        help="about this many seconds between style switches (rounded so that every "
                             "interval holds whole cycles through all styles)")
    parser.add_argument("--clip-seconds", type=float, default=5.0, help="length of the looped demo clip")
    parser.add_argument("--camera-fps", type=float, default=0.0,
                        help="deliver frames at this rate like a camera (default 0: a fresh frame "
                             "whenever the pipeline is ready for one)")
    parser.add_argument("--record-dir", type=Path, default=None, help="also record, into this folder")
    parser.add_argument("--rotate-minutes", type=float, default=5.0, help="start a new recording this often")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.interval <= 0 or args.switch_seconds <= 0:
        parser.error("--minutes, --interval and --switch-seconds must be positive")
    report = run_soak(args.minutes, args.interval, args.warmup, args.switch_seconds, args.clip_seconds,
                      args.camera_fps, args.record_dir, args.rotate_minutes, args.backend)
    print(json.dumps(asdict(report)) if args.json else report_table(report))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
