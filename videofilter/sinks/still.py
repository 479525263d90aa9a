"""A still picture: the last frame of a stream written as an image file (a photo converted)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from animecam.core.errors import UserError
from animecam.core.frames import FrameResult, FrameSink
from animecam.videofilter.sources.image import IMAGE_SUFFIXES  # what OpenCV reads, it also writes


class StillSink(FrameSink):
    """Keeps the latest output frame and writes it to `path` on close (JPEG at quality 95), at
    `size` (width, height; None: as drawn)."""

    def __init__(self, path: Path, size: tuple[int, int] | None = None) -> None:
        self.path = Path(path)
        self.size = size
        if self.path.suffix.lower() not in IMAGE_SUFFIXES:
            raise UserError(
                f"{self.path} is not an image file name: a photo converts to an image, name the "
                f"output with one of {', '.join(sorted(IMAGE_SUFFIXES))}"
            )
        if not self.path.parent.is_dir():
            raise UserError(f"the folder of {self.path} does not exist: create it or choose another output")
        self._last: np.ndarray | None = None

    def write(self, result: FrameResult) -> None:
        self._last = result.output.image

    def close(self) -> None:
        if self._last is None:
            return
        quality = [cv2.IMWRITE_JPEG_QUALITY, 95] if self.path.suffix.lower() in (".jpg", ".jpeg") else []
        picture = self._last
        if self.size is not None and picture.shape[1::-1] != tuple(self.size):
            picture = cv2.resize(picture, self.size, interpolation=cv2.INTER_AREA)
        ok, encoded = cv2.imencode(self.path.suffix, picture, quality)
        if not ok:
            raise UserError(f"OpenCV cannot write {self.path.suffix} images: name the output .png or .jpg")
        try:
            encoded.tofile(self.path)  # tofile: non-ASCII paths, which cv2.imwrite mangles on Windows
        except OSError as err:
            raise UserError(f"cannot write {self.path}: {err.strerror}; choose another output") from None
        self._last = None
