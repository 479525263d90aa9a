"""The desktop app's sources (pytest-qt, offscreen): the camera picker, a camera that is missing or
drops out, the no-camera state, and the `animecam gui` command with its screenshot mode."""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from gui_support import WAIT_MS, clip, gui_args, open_window, store_path, wait_frames
from PyQt6.QtWidgets import QFileDialog

from animecam.core.errors import UserError
from animecam.core.frames import Frame, FrameSource, SourceInfo
from animecam.gui import app
from animecam.gui.main_window import MainWindow
from animecam.gui.services import default_services

__all__ = ["clip", "store_path"]  # fixtures used by the tests below


def test_camera_picker_follows_plug_and_unplug(qtbot, store_path: Path, clip: Path) -> None:
    cameras: list[SimpleNamespace] = []
    services = default_services()
    services.list_cameras = lambda: list(cameras)
    window = open_window(qtbot, store_path, str(clip), services=services)
    combo = window.panel.camera_combo
    wait_frames(qtbot, window, 1)
    assert "No camera found" in [combo.itemText(i) for i in range(combo.count())]
    cameras.append(SimpleNamespace(index=2, name="USB Webcam", path="/dev/video2"))
    window.session.poll_cameras()  # what the 2 s timer does
    qtbot.waitUntil(lambda: combo.findData("/dev/video2") >= 0, timeout=WAIT_MS)
    assert combo.itemText(combo.findData("/dev/video2")) == "USB Webcam"
    assert combo.currentData() == str(clip)  # the running source stays selected
    cameras.clear()
    window.session.poll_cameras()
    qtbot.waitUntil(lambda: combo.findData("/dev/video2") < 0, timeout=WAIT_MS)


def test_missing_camera_shows_the_banner(
    qtbot, store_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, store_path, "/dev/video9")
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert "/dev/video9" in window.banner.text.text()
    qtbot.waitUntil(lambda: window.panel.camera_combo.count() >= 1, timeout=WAIT_MS)
    # The gallery fills as its thumbnails are drawn (slow on a loaded machine): wait for two.
    qtbot.waitUntil(lambda: len(window.panel.style_names()) >= 2, timeout=WAIT_MS)
    window.pick_style(1)  # the rest of the window still works
    qtbot.waitUntil(lambda: window.session.style_name == window.panel.style_names()[1], timeout=WAIT_MS)
    combo = window.panel.camera_combo
    assert combo.currentText() == "/dev/video9 (not found)" and combo.findData("demo") >= 0
    # Another source can be picked: "Open video file…" (the file dialog answered by the test).
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(clip), ""))
    window.panel.open_file_button.click()
    wait_frames(qtbot, window, 2)
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=WAIT_MS)


class FlakyCamera(FrameSource):
    """A live source whose `status` reports a dropout while `lost` is set (as CameraSource does)."""

    def __init__(self) -> None:
        self.info = SourceInfo("flaky", 160, 120, 30.0, None, live=True)
        self.lost = threading.Event()
        self.index = 0

    @property
    def status(self) -> str | None:  # type: ignore[override]
        return "camera lost, reconnecting (attempt 1)" if self.lost.is_set() else None

    def read(self) -> Frame | None:
        time.sleep(1 / 30)
        self.index += 1
        return Frame(np.full((120, 160, 3), 90, np.uint8), self.index, self.index / 30)


def test_camera_dropout_shows_the_banner_while_it_lasts(qtbot, store_path: Path) -> None:
    camera = FlakyCamera()
    services = default_services()
    services.open_source = lambda spec: camera
    window = open_window(qtbot, store_path, "0", services=services)
    wait_frames(qtbot, window, 3)
    assert not window.banner.isVisible()
    camera.lost.set()
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert "reconnecting" in window.banner.text.text()
    wait_frames(qtbot, window, 3)  # the picture keeps coming meanwhile
    camera.lost.clear()
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=WAIT_MS)


def test_cli_screenshot(qtbot, clip: Path, tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    second = default_services().list_styles()[1].name
    args = gui_args(["gui", "--input", str(clip), "--screenshot", str(png), "--style", second])
    assert args.handler(args) == 0
    image = cv2.imread(str(png))
    assert image is not None and image.shape[1] >= 800 and image.std() > 10


def test_cli_rejects_bad_input_with_a_user_error(tmp_path: Path, monkeypatch) -> None:
    args = gui_args(["gui", "--input", str(tmp_path / "missing.mp4")])
    with pytest.raises(UserError, match="no video file"):
        args.handler(args)
    monkeypatch.setitem(sys.modules, "PyQt6.QtWidgets", None)  # as if the 'gui' extra were missing
    args = gui_args(["gui"])
    with pytest.raises(UserError, match=re.escape("pip install 'animecam[gui]'")):
        args.handler(args)


def test_cli_input_demo_means_the_built_in_clip(monkeypatch) -> None:
    opened: list[object] = []
    monkeypatch.setattr(app, "run", lambda source, style=None, *rest, **kw: opened.append(source) or 0)
    args = gui_args(["gui", "--input", "demo"])
    assert args.handler(args) == 0
    assert opened == ["demo"]


def test_screenshot_without_a_camera_shows_the_no_camera_state(tmp_path: Path, monkeypatch) -> None:
    services = default_services()

    def no_camera(spec: str) -> FrameSource:  # what opening a camera says on a machine without one
        raise UserError(f"no camera at index {spec}: check it is plugged in")

    services.open_source, services.list_cameras = no_camera, list
    monkeypatch.setattr(app, "default_services", lambda: services)
    # Without the no-camera state the screenshot would wait this long for a picture, then fail.
    monkeypatch.setattr(app, "SCREENSHOT_TIMEOUT_S", 30.0)
    shown: list[MainWindow] = []
    real_save = app.save_screenshot

    def save(window: MainWindow, path: Path) -> None:
        shown.append(window)
        real_save(window, path)

    monkeypatch.setattr(app, "save_screenshot", save)
    png = tmp_path / "no-camera.png"
    args = gui_args(["gui", "--screenshot", str(png)])  # neither --input nor --camera
    assert args.handler(args) == 0
    window = shown[0]
    assert "no camera at index 0" in window.source_missing and window.preview.frames_shown == 0
    assert "Pick the demo clip" in window.preview.placeholder
    combo = window.panel.camera_combo
    entries = [combo.itemText(i) for i in range(combo.count())]
    assert entries == ["No camera found", "Demo clip (built in)", "Camera 0 (not found)"]
    image = cv2.imread(str(png))
    assert image is not None and image.shape[:2] == (800, 1280) and image.std() > 10
