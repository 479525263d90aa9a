"""The compact side panel: source, styles, adjustments and outputs, each on its own card."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from animecam.gui.settings import AppSettings
from animecam.gui.widgets import Card, LabelledSlider, StyleGallery

PANEL_WIDTH = 352


def _button(text: str, name: str = "", checkable: bool = False, tip: str = "") -> QPushButton:
    button = QPushButton(text)
    if name:
        button.setObjectName(name)
    button.setCheckable(checkable)
    button.setToolTip(tip)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    # Keys belong to the window's shortcuts (Space records), not to whichever button has focus.
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return button


def _muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label


class SidePanel(QWidget):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(PANEL_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(12)

        source = Card("Source")
        self.camera_combo = QComboBox()
        self.camera_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.open_file_button = _button("Open video file…", tip="Use a video file instead of a camera")
        source.body.addWidget(self.camera_combo)
        source.body.addWidget(self.open_file_button)
        layout.addWidget(source)

        styles = Card("Style")
        self.gallery = StyleGallery()
        styles.body.addWidget(self.gallery)
        self.blend_box = QWidget()
        blend = QHBoxLayout(self.blend_box)
        blend.setContentsMargins(0, 0, 0, 0)
        blend.setSpacing(8)
        self.blend_first = QComboBox()
        self.blend_second = QComboBox()
        self.blend_slider = QSlider(Qt.Orientation.Horizontal)
        self.blend_slider.setRange(0, 100)
        self.blend_box.setToolTip("Blend two styles of a multi-style pack")
        for widget in (self.blend_first, self.blend_slider, self.blend_second):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for combo in (self.blend_first, self.blend_second):
            combo.setPlaceholderText("—")
            combo.setMinimumWidth(84)
        blend.addWidget(QLabel("Blend"))
        blend.addWidget(self.blend_first)
        blend.addWidget(self.blend_slider, 1)
        blend.addWidget(self.blend_second)
        styles.body.addWidget(self.blend_box)
        layout.addWidget(styles)

        adjust = Card("Adjust")
        self.strength = LabelledSlider("Strength", settings.strength)
        self.smoothing = LabelledSlider("Smoothing", settings.smoothing)
        toggles = QHBoxLayout()
        self.mirror_button = _button("Mirror", checkable=True, tip="Flip the picture like a mirror")
        self.faces_button = _button("Face boxes", checkable=True, tip="Show what the face tracker sees")
        self.mirror_button.setChecked(settings.mirror)
        self.faces_button.setChecked(settings.draw_faces)
        toggles.addWidget(self.mirror_button)
        toggles.addWidget(self.faces_button)
        adjust.body.addWidget(self.strength)
        adjust.body.addWidget(self.smoothing)
        adjust.body.addLayout(toggles)
        layout.addWidget(adjust)

        output = Card("Output")
        self.vcam_button = _button("Virtual camera", "vcam", True, "Send the picture to call apps (V)")
        self.vcam_state = _muted()
        self.record_button = _button("●  Record", "record", True, "Record to a video file (Space)")
        self.recording_label = QLabel()
        self.recording_label.setObjectName("path")
        self.recording_label.setWordWrap(True)
        self.recording_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recording_label.hide()
        self.open_folder_button = _button("Open folder", tip="Show the recording in your file manager")
        self.open_folder_button.hide()
        folder_row = QHBoxLayout()
        self.folder_label = _muted()
        self.change_folder_button = _button("Change…", tip="Where recordings are saved")
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.change_folder_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.vcam_button, 1)
        buttons.addWidget(self.record_button, 1)
        output.body.addLayout(buttons)
        output.body.addWidget(self.vcam_state)
        output.body.addWidget(self.recording_label)
        output.body.addWidget(self.open_folder_button)
        output.body.addLayout(folder_row)
        layout.addWidget(output)
        layout.addStretch(1)

    def set_folder(self, folder: str) -> None:
        home = str(Path.home())
        shown = "~" + folder[len(home):] if folder == home or folder.startswith(home + "/") else folder
        self.folder_label.setText(f"Saving to {shown}")
        self.folder_label.setToolTip(folder)

    def set_blend_names(self, names: list[str]) -> None:
        """Enables the blend controls for a multi-style pack (names), disables them otherwise."""
        for combo in (self.blend_first, self.blend_second):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.blockSignals(False)
        if len(names) >= 2:
            self.blend_first.setCurrentIndex(0)
            self.blend_second.setCurrentIndex(1)
        self.blend_slider.blockSignals(True)
        self.blend_slider.setValue(0)
        self.blend_slider.blockSignals(False)
        self.blend_box.setEnabled(len(names) >= 2)
