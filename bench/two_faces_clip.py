"""Writes a 1280x720 clip with two moving faces for `animecam bench --input CLIP` (the speed goal
"two faces at 720p"): two copies of the built-in demo clip's moving astronaut, side by side, the
right one mirrored and a third of a second behind, MJPG (what USB cameras send).

    python bench/two_faces_clip.py --out /tmp/two-faces.avi [--seconds 10]
    animecam bench --input /tmp/two-faces.avi --style twingan-anime/anime --json
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from animecam.videofilter.sources.demo import DemoSource

FPS = 30.0
LAG = 10  # frames between the two faces' motion


def write(out: Path, seconds: float) -> Path:
    frames = int(seconds * FPS)
    source = DemoSource(seconds=seconds + LAG / FPS, size=(640, 720), fps=FPS)
    halves = []
    while (frame := source.read()) is not None:
        halves.append(frame.image)
    source.close()
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (1280, 720))
    if not writer.isOpened():
        raise SystemExit(f"error: cannot write {out}; pick a path ending in .avi in a writable folder")
    for index in range(frames):
        writer.write(np.hstack([halves[index + LAG], halves[index][:, ::-1]]))
    writer.release()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the .avi to write")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(write(args.out, args.seconds))


if __name__ == "__main__":
    main()
