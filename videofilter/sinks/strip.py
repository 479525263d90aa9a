"""A contact strip of a run: sampled frames, original above and stylised below, saved as a PNG."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from animecam.core.frames import FrameResult, FrameSink


class StripSink(FrameSink):
    """Keeps `count` evenly spaced frames of a stream of known length and writes the strip on close."""

    def __init__(self, path: Path, total_frames: int, count: int = 6, thumb_width: int = 320) -> None:
        self.path = Path(path)
        self.count = max(1, count)
        self.thumb_width = thumb_width
        step = max(1, total_frames) / self.count
        self._wanted = {int(step * (i + 0.5)) for i in range(self.count)}
        self._pairs: list[tuple[np.ndarray, np.ndarray]] = []

    def write(self, result: FrameResult) -> None:
        if result.output.index in self._wanted and len(self._pairs) < self.count:
            self._pairs.append((self._thumb(result.original.image), self._thumb(result.output.image)))

    def _thumb(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        height = max(1, round(h * self.thumb_width / w))
        return cv2.resize(image, (self.thumb_width, height), interpolation=cv2.INTER_AREA)

    def close(self) -> None:
        if not self._pairs:
            return
        gap = 4
        top = _row([p[0] for p in self._pairs], gap)
        bottom = _row([p[1] for p in self._pairs], gap)
        spacer = np.full((gap, top.shape[1], 3), 24, np.uint8)
        cv2.imwrite(str(self.path), np.vstack([top, spacer, bottom]))
        self._pairs = []


def _row(images: list[np.ndarray], gap: int) -> np.ndarray:
    spacer = np.full((images[0].shape[0], gap, 3), 24, np.uint8)
    parts: list[np.ndarray] = []
    for image in images:
        parts += [image, spacer]
    return np.hstack(parts[:-1])
