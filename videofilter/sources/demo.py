"""The demo source: a real face (skimage's public-domain astronaut) moving with a known motion.

The photo is panned, zoomed and turned a few degrees over a blurred copy of its lower part while the light
slowly changes. `DemoSource.motion(i)` is the exact photo -> frame transform of frame i, so
benchmarks know the true motion between frames (temporal-consistency metrics, tracker error).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from animecam.core.frames import Frame, FrameSource, SourceInfo
from animecam.core.samples import astronaut_bgr

# The part of the 512x512 astronaut photo that is shown: head and shoulders (x0, y0, side).
PHOTO_CROP = (62, 0, 320)
# Her face in photo coordinates (x0, y0, x1, y1), measured on the photo.
FACE_BOX_IN_PHOTO = (175.0, 40.0, 270.0, 170.0)
BACKDROP_FROM_ROW = 280  # the backdrop is the photo from this row down, blurred: no face in it


def _rotation_about(center: tuple[float, float], degrees: float, scale: float) -> np.ndarray:
    return np.vstack([cv2.getRotationMatrix2D(center, degrees, scale), [0.0, 0.0, 1.0]])


class DemoSource(FrameSource):
    """`seconds * fps` frames of the moving photo; deterministic, renders in a few ms at 720p."""

    @classmethod
    def from_spec(cls, target: str, size: tuple[int, int], fps: float) -> DemoSource:
        return cls(size=size, fps=fps)

    def __init__(self, seconds: float = 5.0, size: tuple[int, int] = (1280, 720), fps: float = 30.0) -> None:
        self.size = size
        self.seconds = seconds
        self.photo = astronaut_bgr()
        width, height = size
        x0, y0, side = PHOTO_CROP
        self._crop_origin = (x0, y0)
        # Pre-scale the crop to about its on-screen size so each frame's warp barely resamples it.
        self._base_scale = 0.9 * min(width, height) / side
        upscaled = round(side * self._base_scale)
        self._upscaled = cv2.resize(self.photo[y0:y0 + side, x0:x0 + side], (upscaled, upscaled),
                                    interpolation=cv2.INTER_CUBIC)
        self._upscale_factor = upscaled / side
        # The photo below the face (suit, flags, helmet): a blurred copy of the whole photo kept a
        # big blurry face that the detector took for one (score 0.62) in a few hundred frames.
        background = cv2.resize(self.photo[BACKDROP_FROM_ROW:], (width, height), interpolation=cv2.INTER_AREA)
        self._background = cv2.GaussianBlur(background, (0, 0), sigmaX=max(width, height) / 60)
        self._background = cv2.convertScaleAbs(self._background, alpha=0.6)
        self._index = 0
        self.info = SourceInfo("demo", width, height, float(fps), frame_count=round(seconds * fps))

    def _pose(self, index: int) -> tuple[float, float, float, float]:
        """Pan (x, y pixels), zoom and rotation (degrees) at frame `index`: smooth and slow."""
        t = index / self.info.fps
        width, height = self.size
        pan_x = 0.06 * width * math.sin(2 * math.pi * t / 5.0)
        pan_y = 0.04 * height * math.sin(2 * math.pi * t / 3.7 + 0.5)
        zoom = 1.0 + 0.12 * math.sin(2 * math.pi * t / 6.0)
        degrees = 4.0 * math.sin(2 * math.pi * t / 4.3)
        return pan_x, pan_y, zoom, degrees

    def motion(self, index: int) -> np.ndarray:
        """3x3 matrix mapping photo pixel coordinates (x, y, 1) to frame coordinates for frame `index`."""
        x0, y0, side = PHOTO_CROP
        pan_x, pan_y, zoom, degrees = self._pose(index)
        # photo -> crop -> centred in the frame at base scale -> rotate/zoom about the centre -> pan
        to_crop = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]])
        centre = np.array([[self._base_scale, 0.0, self.size[0] / 2 - self._base_scale * side / 2],
                           [0.0, self._base_scale, self.size[1] / 2 - self._base_scale * side / 2],
                           [0.0, 0.0, 1.0]])
        turn = _rotation_about((self.size[0] / 2, self.size[1] / 2), degrees, zoom)
        pan = np.array([[1.0, 0.0, pan_x], [0.0, 1.0, pan_y], [0.0, 0.0, 1.0]])
        return pan @ turn @ centre @ to_crop

    def lighting(self, index: int) -> tuple[float, float]:
        """(gain, bias) applied as pixel * gain + bias: a slow ramp from dim/flat to bright/contrasty."""
        ramp = 0.5 - 0.5 * math.cos(math.pi * min(1.0, index / max(1, self.info.frame_count - 1)))
        return 0.85 + 0.3 * ramp, -12.0 + 20.0 * ramp

    def render(self, index: int) -> np.ndarray:
        x0, y0, _ = PHOTO_CROP
        photo_from_upscaled = np.array([[1 / self._upscale_factor, 0.0, x0],
                                        [0.0, 1 / self._upscale_factor, y0], [0.0, 0.0, 1.0]])
        matrix = (self.motion(index) @ photo_from_upscaled)[:2]
        image = self._background.copy()
        # BORDER_TRANSPARENT leaves the background wherever the photo does not land.
        cv2.warpAffine(self._upscaled, matrix, self.size, dst=image, flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_TRANSPARENT)
        gain, bias = self.lighting(index)
        return cv2.convertScaleAbs(image, dst=image, alpha=gain, beta=bias)

    def read(self) -> Frame | None:
        if self._index >= self.info.frame_count:
            return None
        frame = Frame(self.render(self._index), self._index, self._index / self.info.fps)
        self._index += 1
        return frame
