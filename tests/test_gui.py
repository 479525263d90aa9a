"""The desktop app end to end on a generated clip (pytest-qt, offscreen): preview, styles, outputs,
settings, faults. The real pipeline, styles, sources and sinks run; only the virtual camera's
device is a pyvirtualcam backend registered by the test."""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import av
import cv2
import numpy as np
import pytest
import pyvirtualcam
import pyvirtualcam.camera
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import QFileDialog
from skimage.data import astronaut

from animecam.core.errors import UserError
from animecam.core.frames import Frame, FrameSource, SourceInfo
from animecam.core.style import StyleInfo
from animecam.gui.app import create_window
from animecam.gui.cli import add_commands
from animecam.gui.main_window import MainWindow
from animecam.gui.services import Services, default_services
from animecam.gui.settings import open_store

FPS = 15
FRAMES = 30
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of a face drifting slowly over a grey background, 320x240."""
    path = tmp_path_factory.mktemp("gui") / "face.mp4"
    face = cv2.resize(cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)[0:300, 100:350], (150, 180))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(FRAMES):
            canvas = np.full((240, 320, 3), 70, np.uint8)
            canvas[30:210, 80 + i % 4 : 230 + i % 4] = face
            container.mux(stream.encode(av.VideoFrame.from_ndarray(canvas, format="bgr24")))
        container.mux(stream.encode())
    return path


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "settings.ini"
    store = open_store(path)
    store.setValue("output_folder", str(tmp_path / "recordings"))
    store.sync()
    return path


def open_window(qtbot, store_path: Path, source: str, services: Services | None = None, **kw) -> MainWindow:
    window = create_window(services or default_services(**kw), open_store(store_path), source=source)
    qtbot.addWidget(window)  # closed (settings saved, pipeline stopped) at the end of the test
    window.show()
    return window


def wait_frames(qtbot, window: MainWindow, count: int) -> None:
    target = window.preview.frames_shown + count
    qtbot.waitUntil(lambda: window.preview.frames_shown >= target, timeout=WAIT_MS)


def face_region(image: np.ndarray, faces: list) -> np.ndarray:
    x0, y0, x1, y1 = (int(v) for v in faces[0].box)
    return image[max(0, y0) : y1, max(0, x0) : x1].astype(np.int16)


def click_style(qtbot, window: MainWindow, name: str) -> None:
    gallery = window.panel.gallery
    row = gallery.names().index(name)
    rect = gallery.visualItemRect(gallery.item(row))
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_preview_updates_from_a_video_file(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip))
    wait_frames(qtbot, window, 5)
    first = window.preview.result
    wait_frames(qtbot, window, 5)
    assert window.preview.result is not first
    assert window.preview.result.output.image.shape == (240, 320, 3)
    assert window.session.style_name == "anime"
    assert "320×240" in window.source_label.text()
    qtbot.waitUntil(lambda: "fps" in window.stats_label.text(), timeout=WAIT_MS)


def test_switching_style_changes_the_output(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip))
    qtbot.waitUntil(lambda: window.panel.gallery.count() >= 2, timeout=WAIT_MS)
    wait_frames(qtbot, window, 15)
    qtbot.waitUntil(lambda: bool(window.preview.result.faces), timeout=WAIT_MS)
    before = window.preview.result
    wait_frames(qtbot, window, 1)
    same_style = window.preview.result
    click_style(qtbot, window, "manga")
    qtbot.waitUntil(lambda: window.session.style_name == "manga", timeout=WAIT_MS)
    wait_frames(qtbot, window, 15)
    after = window.preview.result
    assert after.faces

    def colourfulness(result) -> float:
        # anime keeps the skin and hair colours, manga is ink and grey tones: a difference that
        # does not depend on how far the face moved between the frames compared.
        region = face_region(result.output.image, result.faces)[:100, :100].astype(int)
        return float((region.max(axis=2) - region.min(axis=2)).mean())

    assert abs(colourfulness(same_style) - colourfulness(before)) < 0.25 * colourfulness(before)
    assert colourfulness(after) < 0.5 * colourfulness(before)
    assert window.panel.gallery.currentItem().data(Qt.ItemDataRole.UserRole) == "manga"


def test_record_writes_a_playable_file(
    qtbot, store_path: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    window = open_window(qtbot, store_path, str(clip))
    wait_frames(qtbot, window, 3)
    window.panel.record_button.click()
    qtbot.waitUntil(lambda: window.session.recorder is not None, timeout=WAIT_MS)
    # Past the clip's end: the file loops and the recording carries on across the restart.
    session = window.session
    target = FRAMES + 10
    qtbot.waitUntil(lambda: session.recorder is None or session.recorder.count >= target, timeout=WAIT_MS)
    assert session.recorder is not None, f"the recording stopped early: {window.banner.text.text()}"
    assert "REC" in window.preview._badges[0][0]
    with qtbot.waitSignal(window.session.recording_finished, timeout=WAIT_MS) as finished:
        window.panel.record_button.click()
    path, frames = Path(finished.args[0]), finished.args[1]
    assert path.parent == tmp_path / "recordings" and path.suffix == ".mp4"
    with av.open(str(path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert frames >= target and abs(decoded - frames) <= 1
    assert window.panel.open_folder_button.isVisible()
    assert path.name in window.panel.recording_label.text()
    window.panel.open_folder_button.click()
    assert opened == [str(path.parent)]


class FakeCamera:
    """A pyvirtualcam backend that keeps the frames it is sent."""

    sent: ClassVar[list[tuple[int, ...]]] = []

    def __init__(self, *, width: int, height: int, fps: float, fourcc: int, device: str | None, **kw) -> None:
        self.shape = (height, width)

    def send(self, frame: np.ndarray) -> None:
        FakeCamera.sent.append(frame.shape)

    def close(self) -> None:
        pass

    def device(self) -> str:
        return "/dev/video-test"

    def native_fourcc(self) -> int | None:
        return None


def test_vcam_and_recording_run_together(qtbot, store_path: Path, clip: Path, monkeypatch) -> None:
    monkeypatch.setattr(pyvirtualcam.camera, "BACKENDS", dict(pyvirtualcam.camera.BACKENDS))
    pyvirtualcam.register_backend("animecam-test", FakeCamera)
    FakeCamera.sent = []
    window = open_window(qtbot, store_path, str(clip))
    wait_frames(qtbot, window, 3)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_V)
    qtbot.waitUntil(lambda: window.session.vcam is not None, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.session.recorder is not None, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: len(FakeCamera.sent) >= 10 and window.session.recorder.count >= 10, timeout=WAIT_MS
    )
    assert "/dev/video-test" in window.panel.vcam_state.text()
    assert window.panel.vcam_button.isChecked() and window.panel.record_button.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_V)
    assert window.session.vcam is None and not window.panel.vcam_button.isChecked()
    sent = len(FakeCamera.sent)
    wait_frames(qtbot, window, 5)
    assert len(FakeCamera.sent) <= sent + 1  # stopped (one frame may have been in flight)


def test_vcam_without_a_loopback_device_shows_why(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip), vcam_backend="v4l2loopback")
    wait_frames(qtbot, window, 3)
    window.panel.vcam_button.click()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT_MS)
    assert "modprobe" in window.banner.text.text()
    assert "modprobe" in window.panel.vcam_state.text()
    assert not window.panel.vcam_button.isChecked() and window.session.vcam is None
    wait_frames(qtbot, window, 3)  # the preview keeps going


def test_settings_survive_a_restart(
    qtbot, store_path: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(tmp_path / "elsewhere"))
    window = open_window(qtbot, store_path, str(clip))
    window.panel.change_folder_button.click()
    wait_frames(qtbot, window, 2)
    qtbot.waitUntil(lambda: window.panel.gallery.count() >= 3, timeout=WAIT_MS)
    click_style(qtbot, window, "shoujo")
    qtbot.waitUntil(lambda: window.session.style_name == "shoujo", timeout=WAIT_MS)
    window.panel.strength.set_value(0.3)
    window.panel.smoothing.set_value(0.2)
    window.panel.mirror_button.click()
    window.view_buttons["side"].click()
    window.resize(window.minimumSizeHint().width(), 690)  # fits the offscreen screen (800 px wide)
    qtbot.wait(50)
    size = (window.width(), window.height())
    assert size != (1280, 800)  # differs from the default, so restoring it is observable
    window.close()

    again = open_window(qtbot, store_path, None)  # no source given: the remembered one opens
    qtbot.waitUntil(lambda: again.session.style_name == "shoujo", timeout=WAIT_MS)
    wait_frames(qtbot, again, 2)
    assert again.session.spec == str(clip)
    assert again.settings.output_folder == str(tmp_path / "elsewhere")
    assert again.panel.folder_label.text().endswith("elsewhere")
    assert again.panel.strength.value() == pytest.approx(0.3)
    assert again.session.config.smoothing == pytest.approx(0.2)
    assert again.session.pipeline.config.mirror and again.panel.mirror_button.isChecked()
    assert again.preview.view == "side" and again.view_buttons["side"].isChecked()
    assert (again.width(), again.height()) == size


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
    window.pick_style(1)  # the rest of the window still works
    qtbot.waitUntil(lambda: window.session.style_name == "manga", timeout=WAIT_MS)
    combo = window.panel.camera_combo
    assert combo.currentText() == "Camera /dev/video9 (not found)" and combo.findData("demo") >= 0
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


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def test_rapid_style_switching_is_stable(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip))
    qtbot.waitUntil(lambda: window.panel.gallery.count() >= 3, timeout=WAIT_MS)
    for position in range(3):  # every style loaded once, every worker thread started
        window.pick_style(position)
        wait_frames(qtbot, window, 2)
    pipeline = window.session.pipeline
    threads, memory = threading.active_count(), _rss_mb()
    for i in range(100):
        window.pick_style(i % 3)
        qtbot.wait(10)
    wait_frames(qtbot, window, 10)
    assert window.session.style_name == "anime"  # the last of the 100 (i = 99 -> position 0)
    assert window.session.pipeline is pipeline or not pipeline.running  # only a file loop restarts it
    assert threading.active_count() <= threads + 1
    assert _rss_mb() - memory < 60


class Duo:
    """A two-style pack: style 0 darkens, style 1 brightens, mixed by the weights it was given."""

    name, input_size, style_names = "duo", 128, ("dark", "bright")

    def __init__(self) -> None:
        self.weights = [1.0, 0.0]

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        level = 60 * self.weights[0] + 220 * self.weights[1]
        return np.full_like(crops, round(level))

    def set_style(self, index: int) -> None:
        self.set_style_mix([float(i == index) for i in range(2)])

    def set_style_mix(self, weights) -> None:
        self.weights = list(weights)


def test_blend_slider_mixes_a_multi_style_pack(qtbot, store_path: Path, clip: Path) -> None:
    services = default_services()
    duo = Duo()
    real_list, real_load = services.list_styles, services.load_style
    services.list_styles = lambda: [*real_list(), StyleInfo("duo", "test", 128, "numpy")]
    services.load_style = lambda name: duo if name == "duo" else real_load(name)
    window = open_window(qtbot, store_path, str(clip), services=services)
    wait_frames(qtbot, window, 2)
    assert not window.panel.blend_box.isEnabled()
    qtbot.waitUntil(lambda: "duo" in window.panel.gallery.names(), timeout=WAIT_MS)
    click_style(qtbot, window, "duo")
    qtbot.waitUntil(lambda: window.session.style_name == "duo", timeout=WAIT_MS)
    assert window.panel.blend_box.isEnabled()
    window.panel.blend_slider.setValue(75)
    assert duo.weights == pytest.approx([0.25, 0.75])
    click_style(qtbot, window, "anime")
    qtbot.waitUntil(lambda: not window.panel.blend_box.isEnabled(), timeout=WAIT_MS)


def test_shortcuts_pick_styles_and_full_screen(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip))
    qtbot.waitUntil(lambda: window.panel.gallery.count() >= 3, timeout=WAIT_MS)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: window.session.style_name == "shoujo", timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F)
    qtbot.waitUntil(window.isFullScreen, timeout=WAIT_MS)
    assert not window.panel_scroll.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=WAIT_MS)
    assert window.panel_scroll.isVisible()


def _gui_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="animecam")
    add_commands(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_screenshot(qtbot, clip: Path, tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    args = _gui_args(["gui", "--input", str(clip), "--screenshot", str(png), "--style", "shoujo"])
    assert args.handler(args) == 0
    image = cv2.imread(str(png))
    assert image is not None and image.shape[1] >= 800 and image.std() > 10


def test_cli_rejects_bad_input_with_a_user_error(tmp_path: Path, monkeypatch) -> None:
    args = _gui_args(["gui", "--input", str(tmp_path / "missing.mp4")])
    with pytest.raises(UserError, match="no video file"):
        args.handler(args)
    monkeypatch.setitem(sys.modules, "PyQt6.QtWidgets", None)  # as if the 'gui' extra were missing
    args = _gui_args(["gui"])
    with pytest.raises(UserError, match=re.escape("pip install 'animecam[gui]'")):
        args.handler(args)
