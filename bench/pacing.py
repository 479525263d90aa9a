"""What pacing capture saves: the process's CPU time per delivered frame, paced and free-running.

A camera-like source (one whose read() hands over the newest frame) is read by the pipeline only
when a frame has left it (a credit per frame, `PipelineConfig.pace_capture`). Free-running, the
capture side decodes every frame the source can give and the live queues drop the ones the filter
had no time for. Two sources faster than the filter, each run in alternating paced / free blocks
in one process (so a change in the machine's speed hits both alike):

- clip:   the 720p demo clip looped as a live camera (LoopingSource): H.264 decoded on read;
- camera: a CameraSource on a stand-in 60 fps MJPEG camera: grab() at the camera's pace,
          retrieve() decodes a real JPEG of a demo frame (what OpenCV does with a webcam's MJPEG).

    python bench/pacing.py [--seconds 20] [--rounds 3] [--style NAME] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from animecam.core.frames import FrameSource
from animecam.engine.styles import DEFAULT_STYLE, load_style
from animecam.videofilter.demo import write_demo_clip
from animecam.videofilter.pipeline import Pipeline, PipelineConfig
from animecam.videofilter.sources import CameraSource, DemoSource, LoopingSource, VideoFileSource


class MjpegCamera:
    """cv2.VideoCapture's interface over JPEG-encoded demo frames delivered at `fps`."""

    def __init__(self, fps: float = 60.0, frames: int = 30) -> None:
        demo = DemoSource(seconds=frames / 30.0)
        self._jpegs = [cv2.imencode(".jpg", demo.render(i), [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
                       for i in range(frames)]
        self._period = 1.0 / fps
        self._due = time.monotonic()
        self.grabs = self.decodes = 0

    def isOpened(self) -> bool:
        return True

    def set(self, prop: int, value: float) -> bool:
        return True

    def get(self, prop: int) -> float:
        return 1.0 / self._period

    def grab(self) -> bool:
        self._due = max(self._due + self._period, time.monotonic() - self._period)
        time.sleep(max(0.0, self._due - time.monotonic()))
        self.grabs += 1
        return True

    def retrieve(self) -> tuple[bool, np.ndarray]:
        self.decodes += 1
        return True, cv2.imdecode(self._jpegs[self.grabs % len(self._jpegs)], cv2.IMREAD_COLOR)

    def read(self) -> tuple[bool, np.ndarray]:
        self.grab()
        return self.retrieve()

    def release(self) -> None:
        pass


@dataclass
class Block:
    source: str
    paced: bool
    fps: float
    cpu_ms_per_frame: float
    dropped_per_frame: float  # frames the source gave (or passed over) that nobody saw, per delivered


def _block(name: str, open_source: Callable[[], FrameSource], paced: bool, seconds: float,
           style_name: str) -> Block:
    source = open_source()
    pipeline = Pipeline(source, load_style(style_name), [], PipelineConfig(pace_capture=paced))
    pipeline.start()
    try:
        time.sleep(min(3.0, seconds / 4))  # the first frames load the detector and the style
        stats, cpu, start = pipeline.stats, time.process_time(), time.monotonic()
        time.sleep(seconds)
        end = pipeline.stats
        cpu, wall = time.process_time() - cpu, time.monotonic() - start
    finally:
        pipeline.stop()
        source.close()
    frames = max(1, end.frames - stats.frames)
    return Block(name, paced, round(frames / wall, 2), round(1e3 * cpu / frames, 2),
                 round((end.dropped - stats.dropped) / frames, 2))


def run(seconds: float, rounds: int, style_name: str) -> list[Block]:
    blocks = []
    with tempfile.TemporaryDirectory(prefix="animecam-pacing-") as tmp:
        clip = write_demo_clip(Path(tmp) / "clip.mp4", seconds=5.0)
        sources: dict[str, Callable[[], FrameSource]] = {
            "clip": lambda: LoopingSource(VideoFileSource(clip), partial(VideoFileSource, clip), live=True),
            "camera": lambda: CameraSource(0, fps=60, capture_factory=lambda _spec: MjpegCamera(60.0)),
        }
        for index in range(rounds):
            for name, opener in sources.items():
                # Alternate which goes first, so a drift in the machine's speed favours neither.
                for paced in ((True, False) if index % 2 == 0 else (False, True)):
                    blocks.append(_block(name, opener, paced, seconds, style_name))
                    print(f"{name:<8}{'paced' if paced else 'free':<7}{asdict(blocks[-1])}",
                          file=sys.stderr, flush=True)
    return blocks


def summary(blocks: list[Block]) -> dict[str, dict[str, float]]:
    out = {}
    for name in dict.fromkeys(b.source for b in blocks):
        paced = [b for b in blocks if b.source == name and b.paced]
        free = [b for b in blocks if b.source == name and not b.paced]
        cpu_paced = round(statistics.median(b.cpu_ms_per_frame for b in paced), 2)
        cpu_free = round(statistics.median(b.cpu_ms_per_frame for b in free), 2)
        out[name] = {
            "cpu_ms_per_frame_paced": cpu_paced,
            "cpu_ms_per_frame_free": cpu_free,
            "cpu_saved_percent": round(100 * (1 - cpu_paced / cpu_free), 1),
            "fps_paced": round(statistics.median(b.fps for b in paced), 2),
            "fps_free": round(statistics.median(b.fps for b in free), 2),
            "dropped_per_frame_paced": round(statistics.median(b.dropped_per_frame for b in paced), 2),
            "dropped_per_frame_free": round(statistics.median(b.dropped_per_frame for b in free), 2),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per block")
    parser.add_argument("--rounds", type=int, default=3, help="paced/free pairs per source")
    parser.add_argument("--style", default=DEFAULT_STYLE)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1:
        parser.error("--seconds must be positive and --rounds at least 1")
    blocks = run(args.seconds, args.rounds, args.style)
    table = summary(blocks)
    if args.json:
        print(json.dumps({"style": args.style, "blocks": [asdict(b) for b in blocks], "summary": table}))
        return 0
    print(f"style {args.style}, {args.rounds} x {args.seconds:g} s per block, medians")
    print(f"{'source':<8}{'CPU ms/frame paced':>20}{'free':>8}{'saved':>8}{'fps paced':>11}{'free':>7}"
          f"{'dropped/frame paced':>21}{'free':>7}")
    for name, row in table.items():
        print(f"{name:<8}{row['cpu_ms_per_frame_paced']:>20.2f}{row['cpu_ms_per_frame_free']:>8.2f}"
              f"{row['cpu_saved_percent']:>7.1f}%{row['fps_paced']:>11.1f}{row['fps_free']:>7.1f}"
              f"{row['dropped_per_frame_paced']:>21.2f}{row['dropped_per_frame_free']:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
