"""Still images: one picture repeated as a stream."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from animecam.core.errors import UserError
from animecam.core.frames import Frame, FrameSource, SourceInfo
from animecam.videofilter.sources.files import check_input_file

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})


class ImageSource(FrameSource):
    """A still image repeated `frames` times (None: forever) at a nominal `fps`."""

    @classmethod
    def from_spec(cls, target: str, size: tuple[int, int], fps: float) -> ImageSource:
        return cls(Path(target).expanduser(), frames=None, fps=fps)

    def __init__(self, path: str | os.PathLike[str], frames: int | None = 1, fps: float = 30.0) -> None:
        self.path = Path(path)
        check_input_file(self.path, "image")
        image = cv2.imdecode(np.fromfile(self.path, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise UserError(f"{self.path} is not an image OpenCV can read: use a png or jpg file")
        self.image = image
        self._frames = frames
        self._index = 0
        height, width = image.shape[:2]
        self.info = SourceInfo(self.path.name, width, height, fps, frame_count=frames)

    def read(self) -> Frame | None:
        if self._frames is not None and self._index >= self._frames:
            return None
        frame = Frame(self.image, self._index, self._index / self.info.fps)
        self._index += 1
        return frame
