"""The desktop app's outputs (pytest-qt, offscreen): recording to a file and the virtual camera, each
switched on and off by `Session.set_output`, alone or together, across a change of source and
when one fails. The virtual camera's device is a pyvirtualcam backend registered by the test."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import av
import numpy as np
import pytest
import pyvirtualcam
import pyvirtualcam.camera
from gui_support import FRAMES, WAIT_MS, clip, open_window, store_path, wait_frames
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QDesktopServices

from animecam.core.frames import FrameResult, FrameSink
from animecam.gui.services import default_services

__all__ = ["clip", "store_path"]  # fixtures used by the tests below


def test_record_writes_a_playable_file(
    qtbot, store_path: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    window = open_window(qtbot, store_path, str(clip))
    wait_frames(qtbot, window, 3)
    window.panel.record_button.click()
    qtbot.waitUntil(lambda: "recorder" in window.session.outputs, timeout=WAIT_MS)
    # Past the clip's end: the file loops and the recording carries on across the restart.
    session = window.session
    target = FRAMES + 10
    recorder = session.outputs["recorder"]
    qtbot.waitUntil(lambda: "recorder" not in session.outputs or recorder.count >= target, timeout=WAIT_MS)
    assert "recorder" in session.outputs, f"the recording stopped early: {window.banner.text.text()}"
    assert "REC" in window.preview._badges[0][0]
    with qtbot.waitSignal(window.session.output_closed, timeout=WAIT_MS) as finished:
        window.panel.record_button.click()
    kind, path, frames = finished.args[0], Path(finished.args[1]), finished.args[2]
    assert kind == "recorder"
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
    qtbot.waitUntil(lambda: "vcam" in window.session.outputs, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "recorder" in window.session.outputs, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: len(FakeCamera.sent) >= 10 and window.session.outputs["recorder"].count >= 10, timeout=WAIT_MS
    )
    assert "/dev/video-test" in window.panel.vcam_state.text()
    assert window.panel.vcam_button.isChecked() and window.panel.record_button.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_V)
    assert "vcam" not in window.session.outputs and not window.panel.vcam_button.isChecked()
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
    assert not window.panel.vcam_button.isChecked() and "vcam" not in window.session.outputs
    wait_frames(qtbot, window, 3)  # the preview keeps going


class ListSink(FrameSink):
    """Stands in for a recorder or virtual camera: counts frames; `fail_after` makes writes fail."""

    def __init__(self, kind: str, fail_after: int | None = None, **options: object) -> None:
        self.kind, self.options, self.fail_after = kind, options, fail_after
        self.device = f"test-{kind}"
        self.frames, self.closed = 0, False

    def write(self, result: FrameResult) -> None:
        if self.fail_after is not None and self.frames >= self.fail_after:
            raise OSError("unplugged")
        self.frames += 1

    def close(self) -> None:
        self.closed = True


def test_set_output_waits_for_a_source_and_follows_source_changes(
    qtbot, store_path: Path, clip: Path, tmp_path: Path
) -> None:
    opened: list[ListSink] = []
    services = default_services()
    services.open_sink = lambda kind, **options: opened.append(ListSink(kind, **options)) or opened[-1]
    window = open_window(qtbot, store_path, "/dev/video97", services=services)  # a camera that is not there
    session = window.session
    changes: list[tuple] = []
    session.output_changed.connect(lambda *args: changes.append(args))
    qtbot.waitUntil(lambda: window.source_missing is not None, timeout=WAIT_MS)
    session.set_output("vcam", True)
    session.set_output("recorder", True)
    waiting = "waiting for a picture: starts with the next source"
    assert changes == [("vcam", False, waiting), ("recorder", False, "")]
    assert "nothing to record" in window.banner.text.text() and opened == []
    with pytest.raises(ValueError, match="unknown output"):
        session.set_output("stream", True)  # type: ignore[arg-type]

    session.open_source(str(clip))  # the virtual camera that was asked for opens with it
    qtbot.waitUntil(lambda: "vcam" in session.outputs, timeout=WAIT_MS)
    session.set_output("recorder", True)
    qtbot.waitUntil(lambda: "recorder" in session.outputs, timeout=WAIT_MS)
    recording, vcam = session.outputs["recorder"], session.outputs["vcam"]
    assert Path(recording.name).parent == tmp_path / "recordings" and recording.name.endswith(".mp4")
    assert opened[-1].options["info"].frame_count is None  # a looping file has no length
    assert changes[-1] == ("recorder", True, recording.name) and vcam.name == "test-vcam"
    qtbot.waitUntil(lambda: recording.count >= 3, timeout=WAIT_MS)

    with qtbot.waitSignal(session.output_closed, timeout=WAIT_MS) as closed:
        session.open_source("demo")  # another source: the recording ends, the virtual camera carries on
    assert closed.args[:2] == ["recorder", recording.name] and closed.args[2] >= 3
    qtbot.waitUntil(lambda: session.outputs.get("vcam") not in (None, vcam), timeout=WAIT_MS)
    assert session.spec == "demo"
    assert "recorder" not in session.outputs and all(sink.closed for sink in opened[:2])
    assert not window.panel.record_button.isChecked() and window.panel.vcam_button.isChecked()


def test_a_failing_output_switches_only_itself_off(qtbot, store_path: Path, clip: Path) -> None:
    services = default_services()
    services.open_sink = lambda kind, **options: ListSink(kind, fail_after=2, **options)
    window = open_window(qtbot, store_path, str(clip), services=services)
    wait_frames(qtbot, window, 2)
    window.panel.vcam_button.click()
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert "the virtual camera stopped: OSError: unplugged" in window.banner.text.text()
    assert "unplugged" in window.panel.vcam_state.text() and not window.panel.vcam_button.isChecked()
    assert "vcam" not in window.session.outputs
    wait_frames(qtbot, window, 3)  # the preview keeps going


def test_snapshot_saves_the_shown_picture(
    qtbot, store_path: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Snapshot button (and S) writes the picture last shown as a PNG in the output folder,
    and "Open" shows its folder."""
    import cv2

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    window = open_window(qtbot, store_path, str(clip))
    window.settings.output_folder = str(tmp_path / "shots")
    wait_frames(qtbot, window, 3)
    window.top_bar.snapshot_button.click()
    saved = sorted((tmp_path / "shots").glob("animecam-*.png"))
    assert len(saved) == 1
    picture = cv2.imread(str(saved[0]))
    shown = window._last_result.output.image
    assert picture is not None and picture.shape == shown.shape
    assert np.array_equal(picture, shown)  # PNG: the very pixels shown
    assert saved[0].name in window.panel.recording_label.text()
    window.panel.open_folder_button.click()
    assert opened == [str(tmp_path / "shots")]
    assert window.save_snapshot() != saved[0]  # a second one gets its own name
