"""The desktop app's window end to end on a generated clip (pytest-qt, offscreen): preview, styles,
settings, and a layout that fits small laptop screens with every control explained."""

from __future__ import annotations

import ast
import inspect
import threading
from pathlib import Path

import numpy as np
import pytest
from gui_support import WAIT_MS, click_style, clip, face_region, open_window, store_path, wait_frames
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QAbstractButton, QAbstractSlider, QComboBox, QFileDialog, QScrollBar, QWidget

from animecam.core.style import StyleInfo
from animecam.engine.styles import DEFAULT_STYLE
from animecam.gui import main_window
from animecam.gui.panels import SidePanel
from animecam.gui.services import default_services
from animecam.videofilter.pipeline import PipelineConfig, PipelineStats

__all__ = ["clip", "store_path"]  # fixtures used by the tests below


def test_preview_updates_from_a_video_file(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip))
    wait_frames(qtbot, window, 5)
    first = window.preview.result
    wait_frames(qtbot, window, 5)
    assert window.preview.result is not first
    assert window.preview.result.output.image.shape == (240, 320, 3)
    assert window.session.style_name == DEFAULT_STYLE
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
        # the default keeps the skin and hair colours, manga is ink and grey tones: a difference that
        # does not depend on how far the face moved between the frames compared.
        region = face_region(result.output.image, result.faces)[:100, :100].astype(int)
        return float((region.max(axis=2) - region.min(axis=2)).mean())

    assert abs(colourfulness(same_style) - colourfulness(before)) < 0.25 * colourfulness(before)
    assert colourfulness(after) < 0.5 * colourfulness(before)
    assert window.panel.gallery.currentItem().data(Qt.ItemDataRole.UserRole) == "manga"


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
    window.panel.scene_button.click()  # on by default: faces only
    window.top_bar.view_buttons["side"].click()
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
    assert again.settings.pipeline.smoothing == pytest.approx(0.2)
    assert again.session.pipeline.config.mirror and again.panel.mirror_button.isChecked()
    assert not again.session.pipeline.config.scene and not again.panel.scene_button.isChecked()
    assert again.preview.view == "side" and again.top_bar.view_buttons["side"].isChecked()
    assert (again.width(), again.height()) == size


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
    assert window.session.style_name == window.panel.style_names()[0]  # the last of the 100 (i = 99)
    assert window.session.pipeline is pipeline  # a style switch never restarts it (nor does a file loop)
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
    assert not window.panel.blend_box.isEnabled() and not window.panel.blend_box.isVisible()
    qtbot.waitUntil(lambda: "duo" in window.panel.gallery.names(), timeout=WAIT_MS)
    click_style(qtbot, window, "duo")
    qtbot.waitUntil(lambda: window.session.style_name == "duo", timeout=WAIT_MS)
    assert window.panel.blend_box.isEnabled() and window.panel.blend_box.isVisible()
    window.panel.blend_slider.setValue(75)
    assert duo.weights == pytest.approx([0.25, 0.75])
    click_style(qtbot, window, DEFAULT_STYLE)
    qtbot.waitUntil(lambda: not window.panel.blend_box.isEnabled(), timeout=WAIT_MS)


def test_shortcuts_pick_styles_and_full_screen(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip))
    qtbot.waitUntil(lambda: window.panel.gallery.count() >= 3, timeout=WAIT_MS)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: window.session.style_name == window.panel.style_names()[2], timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F)
    qtbot.waitUntil(window.isFullScreen, timeout=WAIT_MS)
    assert not window.panel_scroll.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=WAIT_MS)
    assert window.panel_scroll.isVisible()


def test_window_session_and_pipeline_run_on_one_settings_object(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip))
    wait_frames(qtbot, window, 2)
    settings = window.settings
    assert window.session.settings is settings
    window.panel.strength.set_value(0.4)
    window.panel.mirror_button.click()
    assert settings.pipeline.strength == pytest.approx(0.4) and settings.pipeline.mirror
    running = window.session.pipeline.config
    assert running.strength == pytest.approx(0.4) and running.mirror
    window.session.open_source("demo")  # a new pipeline starts from the same object
    qtbot.waitUntil(lambda: window.session.spec == "demo", timeout=WAIT_MS)
    running = window.session.pipeline.config
    assert running.strength == pytest.approx(0.4) and running.mirror and settings.camera == "demo"
    qtbot.waitUntil(lambda: len(window.panel.style_names()) >= 2, timeout=WAIT_MS)  # the gallery fills
    second = window.panel.style_names()[1]
    window.pick_style(1)
    qtbot.waitUntil(lambda: settings.style == second, timeout=WAIT_MS)


def test_main_window_drives_the_panel_only_through_its_public_api(qtbot) -> None:
    tree = ast.parse(inspect.getsource(main_window))
    private_imports = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("animecam")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private_imports == []
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "panel"
    }
    panel = SidePanel(PipelineConfig())
    qtbot.addWidget(panel)
    widgets = [n for n in sorted(used) if n.startswith("_") or isinstance(getattr(panel, n), QWidget)]
    assert used and widgets == []  # signals and methods only


def test_every_control_says_what_it_does(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip))
    qtbot.waitUntil(lambda: window.panel.gallery.count() >= 2, timeout=WAIT_MS)
    kinds = (QAbstractButton, QComboBox, QAbstractSlider)
    controls = [w for w in window.findChildren(QWidget) if isinstance(w, kinds) and type(w) is not QScrollBar]
    unexplained = [f"{type(w).__name__} {w.objectName()} {w.text() if isinstance(w, QAbstractButton) else ''}"
                   for w in controls if not w.toolTip()]
    assert len(controls) >= 15 and unexplained == []
    gallery = window.panel.gallery
    assert gallery.toolTip() and all(gallery.item(i).toolTip() for i in range(gallery.count()))


def test_status_bar_explains_skipped_frames(qtbot, store_path: Path, clip: Path) -> None:
    window = open_window(qtbot, store_path, str(clip))
    window.session.stats_changed.emit(PipelineStats(frames=90, dropped=3, fps=24.0, stage_ms={"track": 4.0}))
    text = window.stats_label.text()
    assert "3 skipped to stay live" in text and "dropped" not in text
    assert "stays live" in window.stats_label.toolTip()


@pytest.mark.parametrize("size", [(1280, 800), (1366, 768)])
def test_window_fits_small_laptop_screens(qtbot, store_path: Path, clip: Path, size: tuple[int, int]) -> None:
    services = default_services()
    real_list = services.list_styles
    extra = [StyleInfo(f"extra{i}", "test", 128, "numpy") for i in range(6)]  # more than the gallery shows
    services.list_styles = lambda: [*real_list(), *extra]
    window = open_window(qtbot, store_path, str(clip), services=services)
    qtbot.waitUntil(lambda: window.panel.gallery.count() >= 7, timeout=WAIT_MS)
    # The panel at its tallest: a long fault under the virtual camera and a finished recording.
    vcam_fault = (
        "no virtual camera device: run 'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 "
        "card_label=animecam' (install v4l2loopback-dkms first)"
    )
    window.panel.show_output("vcam", False, vcam_fault)
    window.panel.show_saved("Saved 12345 frames: animecam-20261201-101010-2.mp4", "/tmp/animecam.mp4")
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=WAIT_MS)
    qtbot.wait(50)  # the layouts settle
    viewport = window.panel_scroll.viewport()
    assert window.panel_scroll.verticalScrollBar().maximum() == 0
    panel = window.panel
    lowest = (panel.vcam_state, panel.recording_label, panel.open_folder_button, panel.change_folder_button)
    for widget in lowest:
        bottom = widget.mapTo(viewport, widget.rect().bottomLeft()).y()
        assert widget.isVisible() and bottom < viewport.height(), widget.objectName()
    assert window.preview.height() >= 0.8 * size[1]  # the picture keeps most of the height


def test_a_long_source_name_is_shortened_to_fit_its_row(qtbot) -> None:
    panel = SidePanel(PipelineConfig())
    qtbot.addWidget(panel)
    panel.show()
    label = "File: a-recording-from-yesterday-evening-with-a-long-name.mp4"
    panel.set_sources([("Demo clip (built in)", "demo"), (label, "/videos/long.mp4")], "/videos/long.mp4")
    combo = panel.camera_combo
    shown = combo.currentText()
    assert "…" in shown and shown.endswith(".mp4") and combo.itemData(1, Qt.ItemDataRole.ToolTipRole) == label
    assert combo.fontMetrics().horizontalAdvance(shown) < combo.width() - 30  # room for the arrow
    assert combo.itemText(0) == "Demo clip (built in)"  # short names stay whole


def test_the_current_styles_thumbnail_is_not_tinted(qtbot) -> None:
    from PyQt6.QtCore import QSize
    from PyQt6.QtGui import QIcon

    from animecam.gui.widgets import THUMBNAIL, thumbnail_icon

    icon = thumbnail_icon(np.full((96, 96, 3), (40, 160, 220), np.uint8))
    size = QSize(THUMBNAIL, THUMBNAIL)
    assert icon.pixmap(size, QIcon.Mode.Selected).toImage() == icon.pixmap(size, QIcon.Mode.Normal).toImage()
