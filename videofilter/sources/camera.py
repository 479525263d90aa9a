"""Cameras (OpenCV): read on their own thread, reconnected in the background, listed without opening."""

from __future__ import annotations

import glob
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from animecam.core.errors import UserError
from animecam.core.frames import Frame, FrameSource, SourceInfo

log = logging.getLogger(__name__)

CaptureFactory = Callable[[int | str], Any]  # returns something with cv2.VideoCapture's methods


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """A camera frame as 3-channel BGR uint8, whatever the driver hands over.

    IR and industrial cameras deliver grey or 16-bit frames and some backends add an alpha plane;
    the rest of the pipeline only ever sees BGR uint8.
    """
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def no_camera_message(spec: int | str) -> str:
    where = f"at index {spec}" if isinstance(spec, int) else f"at {spec}"
    return (
        f"no camera {where}: check it is plugged in, not used by another app (close Zoom/OBS), "
        "and that you have permission (Linux: the 'video' group)"
    )


class CameraSource(FrameSource):
    """A live camera read on its own thread; survives unplugging by reconnecting in the background.

    `read()` returns the newest frame. While the camera is lost it keeps returning the last good
    frame at the nominal rate and `status` says so, so a preview or virtual camera never freezes.
    Every frame is taken off the camera (grab), so the next one is always current, but only those a
    reader waits for are decoded (retrieve: the MJPEG decode, ~2.7 ms at 720p); the rest are
    `skipped`.
    """

    newest_on_read = True

    drops_before_lost = 5  # consecutive empty reads that mean the camera is gone

    @classmethod
    def from_spec(cls, target: str, size: tuple[int, int], fps: float) -> CameraSource:
        """`0` (an index) or `/dev/video2` (a device path)."""
        if not target.isdigit() and not Path(target).exists():
            raise UserError(no_camera_message(target))
        return cls(int(target) if target.isdigit() else target, size=size, fps=fps)

    def __init__(
        self,
        index_or_path: int | str,
        size: tuple[int, int] = (1280, 720),
        fps: float = 30.0,
        capture_factory: CaptureFactory = cv2.VideoCapture,
        backoff: tuple[float, float] = (0.25, 4.0),
    ) -> None:
        self.spec = index_or_path
        self._requested = (size, fps)
        self._factory = capture_factory
        self._backoff = backoff
        self.status = None
        capture = self._open()
        if capture is None:
            raise UserError(no_camera_message(index_or_path))
        first = self._first_frame(capture)
        if first is None:
            capture.release()
            raise UserError(
                f"camera {index_or_path} opened but sends no frames: close other apps using it and "
                "check it is not disabled by a privacy switch"
            )
        height, width = first.shape[:2]
        self._size = (width, height)
        measured_fps = capture.get(cv2.CAP_PROP_FPS) or fps
        name = f"camera {index_or_path}"
        self.info = SourceInfo(name, width, height, float(measured_fps if 0 < measured_fps <= 240 else fps),
                               live=True)
        self._period = 1.0 / self.info.fps
        self._capture: Any = capture
        self._cond = threading.Condition()
        self._latest: np.ndarray = first
        self._latest_seq = 1
        self._returned_seq = 0
        self._wanted = False  # a reader waits for a fresh frame: decode the next one
        self._index = 0
        self._t0 = time.monotonic()
        self._last_return = self._t0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera-{index_or_path}", daemon=True)
        self._thread.start()

    # The capture is only touched by the constructor and then by the reading thread.
    def _open(self) -> Any | None:
        (width, height), fps = self._requested
        capture = self._factory(self.spec)
        if not capture.isOpened():
            capture.release()
            return None
        # MJPEG first: raw YUYV at 720p is limited to ~10 fps by USB 2 bandwidth on most webcams.
        capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        capture.set(cv2.CAP_PROP_FPS, fps)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a backlog
        return capture

    @staticmethod
    def _first_frame(capture: Any, attempts: int = 20) -> np.ndarray | None:
        for _ in range(attempts):  # some cameras deliver a few empty frames while starting
            ok, image = capture.read()
            if ok and image is not None and image.size:
                return _as_bgr(image)
            time.sleep(0.05)
        return None

    def _run(self) -> None:
        drops = 0
        attempt = 0
        while not self._stop.is_set():
            if self._capture is None:
                attempt += 1
                self._set_status(f"camera lost, reconnecting (attempt {attempt})")
                delay = min(self._backoff[1], self._backoff[0] * 2 ** (attempt - 1))
                if self._stop.wait(delay):
                    break
                self._capture = self._open()
                continue
            ok, image, decoded = self._next_image()
            if ok and not decoded:  # taken off the camera, but nobody waits for it
                self.skipped += 1
                drops = 0
                continue
            if not ok or image is None or not image.size:
                drops += 1
                if drops >= self.drops_before_lost or not self._capture.isOpened():
                    log.warning("%s lost after %d empty reads; reconnecting", self.info.name, drops)
                    self._capture.release()
                    self._capture = None
                    drops = 0
                continue
            drops = 0
            attempt = 0
            image = _as_bgr(image)
            if (image.shape[1], image.shape[0]) != self._size:  # the camera renegotiated its mode
                image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
            with self._cond:
                self._latest = image
                self._latest_seq += 1
                self._wanted = False
                self.status = None
                self._cond.notify_all()
        if self._capture is not None:
            self._capture.release()

    def _next_image(self) -> tuple[bool, np.ndarray | None, bool]:
        """(ok, image, decoded) for the camera's next frame. A capture without grab/retrieve (a
        minimal stand-in) decodes every frame."""
        if not hasattr(self._capture, "grab"):
            return (*self._capture.read(), True)
        if not self._capture.grab():
            return False, None, True
        if not self._wanted:
            return True, None, False
        return (*self._capture.retrieve(), True)

    def _set_status(self, status: str | None) -> None:
        with self._cond:
            self.status = status
            self._cond.notify_all()

    def read(self) -> Frame | None:
        if self._stop.is_set():
            return None
        with self._cond:
            # Wait for a fresh frame; when the camera is lost (or stalls), repeat the last one at
            # the nominal rate instead of blocking the pipeline.
            while self._latest_seq == self._returned_seq and not self._stop.is_set():
                self._wanted = True
                due = self._last_return + (self._period if self.status else max(1.0, 5 * self._period))
                remaining = due - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._stop.is_set():
                return None
            image = self._latest
            self._returned_seq = self._latest_seq
        now = time.monotonic()
        self._last_return = now
        frame = Frame(image, self._index, now - self._t0)
        self._index += 1
        return frame

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5.0)


@dataclass(frozen=True)
class CameraDevice:
    index: int
    name: str
    path: str | None  # /dev/videoN on Linux; None where cameras are known by index only


def list_cameras(probe_count: int = 5) -> list[CameraDevice]:
    """The cameras a person can pick; on Linux without opening them (opening can take seconds)."""
    if sys.platform.startswith("linux"):
        return _linux_cameras()
    found = []
    for index in range(probe_count):
        capture = cv2.VideoCapture(index)
        if capture.isOpened():
            found.append(CameraDevice(index, f"camera {index}", None))
        capture.release()
    return found


def _linux_cameras() -> list[CameraDevice]:
    devices = []
    for path in glob.glob("/dev/video*"):
        match = re.fullmatch(r"/dev/video(\d+)", path)
        if match is None:
            continue
        sysfs = Path("/sys/class/video4linux") / Path(path).name
        # A webcam registers a capture node (index 0) and a metadata node (index 1); list only capture.
        node_index = _read_text(sysfs / "index")
        if node_index not in (None, "0"):
            continue
        name = _read_text(sysfs / "name") or Path(path).name
        if "animecam" in name:  # our own virtual camera: reading it back would feed the output in
            continue
        devices.append(CameraDevice(int(match.group(1)), name, path))
    return sorted(devices, key=lambda device: device.index)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None
