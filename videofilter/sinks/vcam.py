"""The virtual camera (pyvirtualcam) that video-call apps can pick."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import cv2
import numpy as np

from animecam.core.errors import UserError
from animecam.core.frames import FrameResult, FrameSink

log = logging.getLogger(__name__)


def no_virtual_camera_message() -> str:
    if sys.platform.startswith("linux"):
        return (
            "no virtual camera device: run 'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 "
            "card_label=animecam' (install v4l2loopback-dkms first)"
        )
    return "no virtual camera device: install OBS Studio (28+) and start its Virtual Camera once"


@dataclass(frozen=True)
class _Letterbox:
    """Where a frame of one size lands inside the camera picture (aspect kept, black bars)."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def fit(cls, source: tuple[int, int], target: tuple[int, int]) -> _Letterbox:
        scale = min(target[0] / source[0], target[1] / source[1])
        width = min(target[0], max(1, round(source[0] * scale)))
        height = min(target[1], max(1, round(source[1] * scale)))
        return cls((target[0] - width) // 2, (target[1] - height) // 2, width, height)


class VirtualCameraSink(FrameSink):
    """Sends frames to a virtual camera that video-call apps can pick (pyvirtualcam).

    Frames of another size or aspect are letterboxed. `pace=True` sleeps to hold the camera's rate;
    a live source is already paced by its camera, so it is off by default.
    """

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        fps: float = 30.0,
        backend: str | None = None,
        device: str | None = None,
        pace: bool = False,
    ) -> None:
        import pyvirtualcam

        self.size = size
        self.pace = pace
        if backend is not None and backend not in pyvirtualcam.camera.BACKENDS:
            known = ", ".join(sorted(pyvirtualcam.camera.BACKENDS))
            raise UserError(f"unknown virtual camera backend {backend!r}: use one of {known}")
        try:
            self._camera = pyvirtualcam.Camera(
                width=size[0], height=size[1], fps=fps, fmt=pyvirtualcam.PixelFormat.BGR,
                backend=backend, device=device,
            )
        except RuntimeError as err:
            log.info("pyvirtualcam: %s", err)
            raise UserError(no_virtual_camera_message()) from None
        self._canvas = np.zeros((size[1], size[0], 3), np.uint8)
        self._box: _Letterbox | None = None
        self._box_for: tuple[int, int] | None = None

    @property
    def device(self) -> str:
        return self._camera.device

    def _letterbox(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        if (width, height) == self.size:
            return image
        if self._box_for != (width, height):
            self._box_for, self._box = (width, height), _Letterbox.fit((width, height), self.size)
            self._canvas[:] = 0
        box = self._box
        assert box is not None
        roi = self._canvas[box.y:box.y + box.height, box.x:box.x + box.width]
        interpolation = cv2.INTER_AREA if box.width < width else cv2.INTER_LINEAR
        cv2.resize(image, (box.width, box.height), dst=roi, interpolation=interpolation)
        return self._canvas

    def write(self, result: FrameResult) -> None:
        self._camera.send(self._letterbox(result.output.image))
        if self.pace:
            self._camera.sleep_until_next_frame()

    def close(self) -> None:
        self._camera.close()
