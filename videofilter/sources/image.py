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
    """A still image repeated `frames` times (None: forever) at a nominal `fps`; with `min_side`,
    a smaller image is enlarged (bicubic) until its short side has that many pixels (the scene is
    drawn at a quarter of the frame's size: a 128 px portrait's was a 32 px smear). `photo_size`
    is the file's own (width, height)."""

    @classmethod
    def from_spec(cls, target: str, size: tuple[int, int], fps: float) -> ImageSource:
        return cls(Path(target).expanduser(), frames=None, fps=fps)

    def __init__(
        self, path: str | os.PathLike[str], frames: int | None = 1, fps: float = 30.0, min_side: int = 0
    ) -> None:
        self.path = Path(path)
        check_input_file(self.path, "image")
        image = cv2.imdecode(np.fromfile(self.path, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise UserError(f"{self.path} is not an image OpenCV can read: use a png or jpg file")
        self.photo_size = (image.shape[1], image.shape[0])
        grow = min_side / min(self.photo_size)
        if grow > 1.0:
            size = (round(image.shape[1] * grow), round(image.shape[0] * grow))
            image = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
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
