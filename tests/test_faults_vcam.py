"""Fault matrix, virtual camera: no device at all, and a device that vanishes mid-stream (the
pipeline keeps feeding the other sinks and reports why the camera stopped)."""

from __future__ import annotations

import glob
import sys
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import pyvirtualcam
from media import make_clip

from animecam.cli import main
from animecam.core.frames import Frame, FrameResult, FrameSink, FrameSource, SourceInfo
from animecam.videofilter.pipeline import Pipeline
from animecam.videofilter.sinks import VirtualCameraSink


@pytest.mark.skipif(not sys.platform.startswith("linux") or bool(glob.glob("/dev/video*")),
                    reason="needs Linux without any video device")
def test_live_with_vcam_but_no_device_is_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "in.mp4", frames=5)
    assert main(["live", "--camera", str(clip), "--vcam", "--frames", "3"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no virtual camera device"), err


class VanishingCamera:
    """A pyvirtualcam backend whose device disappears after a few frames (module unloaded, OBS quit)."""

    sent_before_vanishing = 5
    instances: ClassVar[list[VanishingCamera]] = []

    def __init__(self, *, width: int, height: int, fps: float, fourcc: int, device: str | None) -> None:
        self.sent = 0
        self.closed = False
        VanishingCamera.instances.append(self)

    def send(self, frame: np.ndarray) -> None:
        if self.sent >= self.sent_before_vanishing:
            raise RuntimeError("error writing frame to /dev/video9: No such device")
        self.sent += 1

    def close(self) -> None:
        self.closed = True

    def device(self) -> str:
        return "/dev/video9"

    def native_fourcc(self) -> None:
        return None


class _Frames(FrameSource):
    def __init__(self, count: int) -> None:
        self.info = SourceInfo("frames", 64, 48, 30.0, live=True)
        self.index, self.count = 0, count

    def read(self) -> Frame | None:
        if self.index >= self.count:
            return None
        time.sleep(0.002)
        self.index += 1
        return Frame(np.full((48, 64, 3), self.index % 255, np.uint8), self.index, self.index / 30)


class _Count(FrameSink):
    def __init__(self) -> None:
        self.frames = 0
        self.closed = False

    def write(self, result: FrameResult) -> None:
        self.frames += 1

    def close(self) -> None:
        self.closed = True


class _Keep:
    name, input_size = "keep", 128

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        return crops.copy()


def test_vcam_vanishing_mid_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(pyvirtualcam.camera.BACKENDS, "vanishing", VanishingCamera)
    VanishingCamera.instances.clear()
    vcam = VirtualCameraSink(size=(64, 48), backend="vanishing")
    other = _Count()
    errors: list[BaseException] = []
    pipeline = Pipeline(_Frames(40), _Keep(), [vcam, other], on_error=errors.append)
    pipeline.start()
    pipeline.join(timeout=20)
    assert not pipeline.running
    camera = VanishingCamera.instances[0]
    assert camera.sent == 5 and camera.closed  # dropped at the fault, and released
    assert other.frames > 5 and other.closed  # the other sink kept getting frames to the end
    assert len(errors) == 1 and "No such device" in str(errors[0])
