"""The window's controls: the top bar (view, full screen) and the compact side panel (source, styles,
adjustments, outputs), each card on its own.

The window talks to them through their signals and the small set of methods below; it never
reaches into their widgets (tests may, to click them as a person would).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from animecam.gui.outputs import OutputKind
from animecam.gui.widgets import Card, LabelledSlider, StyleGallery, button
from animecam.videofilter.pipeline import PipelineConfig

PANEL_WIDTH = 352
VIEW_LABELS = {"stylised": "Anime", "original": "Original", "side": "Compare"}
VIEW_TIPS = {
    "stylised": "Show the drawn picture (what call apps and recordings get)",
    "original": "Show the picture as the camera sends it",
    "side": "Show the original and the drawing next to each other",
}
RECORD_TEXT = "●  Record"
# What each control does, in its tooltip.
TIPS = {
    "fullscreen": "Show only the picture, on the whole screen (Esc leaves)",
    "source": "Where the picture comes from: a camera, the built-in demo clip or a video file",
    "open_file": "Use a video file or a photo instead of a camera (a video plays in a loop)",
    "strength": "How much of the face is drawn: 0% shows the photo, 100% only the drawing",
    "smoothing": "Steadies the drawing between frames: more is calmer, less follows faster",
    "mirror": "Flip the picture left to right, like a mirror",
    "draw_faces": "Mark the faces the tracker finds (boxes and points)",
    "scene": "Draw the whole picture in the style, background and all; off, only the faces are drawn",
    "vcam": "Send the picture to call apps as a camera (V)",
    "recorder": "Record the picture to a video file (Space)",
    "snapshot": "Save the drawn picture as it is now to a PNG in the output folder (S)",
    "open_folder": "Show the last recording or snapshot in your file manager",
    "change_folder": "Choose the folder recordings and snapshots are saved to",
}
VCAM_TEXT = "Virtual camera"


def _muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label


class TopBar(QWidget):
    """The app's name, the view switch, the snapshot and full-screen buttons."""

    view_picked = pyqtSignal(str)  # one of VIEW_LABELS
    fullscreen_clicked = pyqtSignal()
    snapshot_clicked = pyqtSignal()

    def __init__(self, view: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(2, 0, 0, 0)
        bar.setSpacing(0)
        title, accent = QLabel("anime"), QLabel("cam")
        for label in (title, accent):
            label.setObjectName("appTitle")
        accent.setProperty("accent", True)
        bar.addWidget(title)
        bar.addWidget(accent)
        bar.addSpacing(16)
        segments = QFrame()
        segments.setObjectName("segments")
        segment_row = QHBoxLayout(segments)
        segment_row.setContentsMargins(3, 3, 3, 3)
        segment_row.setSpacing(2)
        self.view_group = QButtonGroup(self)
        self.view_buttons: dict[str, QPushButton] = {}
        for name, text in VIEW_LABELS.items():
            view_button = button(text, "segment", checkable=True, tip=VIEW_TIPS[name])
            view_button.clicked.connect(lambda _checked, n=name: self.view_picked.emit(n))
            self.view_group.addButton(view_button)
            self.view_buttons[name] = view_button
            segment_row.addWidget(view_button)
        self.view_buttons[view].setChecked(True)
        bar.addWidget(segments)
        bar.addStretch(1)
        keys = QLabel("1–9 style · Space record · V virtual camera")
        keys.setObjectName("muted")
        keys.setToolTip("Keyboard shortcuts")
        bar.addWidget(keys)
        bar.addSpacing(12)
        self.snapshot_button = button("Snapshot  S", tip=TIPS["snapshot"])
        self.snapshot_button.clicked.connect(self.snapshot_clicked)
        bar.addWidget(self.snapshot_button)
        bar.addSpacing(6)
        self.fullscreen_button = button("Full screen  F", tip=TIPS["fullscreen"])
        self.fullscreen_button.clicked.connect(self.fullscreen_clicked)
        bar.addWidget(self.fullscreen_button)


class SidePanel(QWidget):
    source_picked = pyqtSignal(str)  # the spec of the entry picked in the source list
    open_file_requested = pyqtSignal()
    style_clicked = pyqtSignal(str)
    knob_changed = pyqtSignal(str, object)  # a settings.KNOBS name, its new value
    blend_changed = pyqtSignal(int, int, float)  # first style, second style, 0..1 towards the second
    output_toggled = pyqtSignal(str, bool)  # OutputKind, on?
    open_folder_requested = pyqtSignal()
    change_folder_requested = pyqtSignal()

    def __init__(self, config: PipelineConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(PANEL_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(8)
        layout.addWidget(self._source_card())
        layout.addWidget(self._style_card())
        layout.addWidget(self._adjust_card(config))
        layout.addWidget(self._output_card())
        layout.addStretch(1)

    # -- cards -------------------------------------------------------------------------------------
    def _source_card(self) -> Card:
        card = Card("Source")
        self.camera_combo = QComboBox()
        self.camera_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.camera_combo.setToolTip(TIPS["source"])
        self.camera_combo.activated.connect(self._source_activated)
        self.open_file_button = button("Open file…", tip=TIPS["open_file"])
        self.open_file_button.clicked.connect(self.open_file_requested)
        row = QHBoxLayout()
        row.addWidget(self.camera_combo, 1)
        row.addWidget(self.open_file_button)
        card.body.addLayout(row)
        return card

    def _style_card(self) -> Card:
        card = Card("Style")
        self.gallery = StyleGallery()
        self.gallery.style_clicked.connect(self.style_clicked)
        card.body.addWidget(self.gallery)
        # Mixing is for packs that hold several styles; the box stays hidden for all others.
        self.blend_box = QWidget()
        box = QVBoxLayout(self.blend_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        box.addWidget(_muted("Mix two styles of this pack"))
        row = QHBoxLayout()
        row.setSpacing(8)
        self.blend_first = QComboBox()
        self.blend_second = QComboBox()
        self.blend_slider = QSlider(Qt.Orientation.Horizontal)
        self.blend_slider.setRange(0, 100)
        self.blend_first.setToolTip("The style at the slider's left end")
        self.blend_second.setToolTip("The style at the slider's right end")
        self.blend_slider.setToolTip("Slide towards a style to draw more like it")
        for widget in (self.blend_first, self.blend_slider, self.blend_second):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            row.addWidget(widget, 1 if widget is self.blend_slider else 0)
        for combo in (self.blend_first, self.blend_second):
            combo.setMinimumWidth(84)
            combo.currentIndexChanged.connect(self._blend_moved)
        self.blend_slider.valueChanged.connect(self._blend_moved)
        box.addLayout(row)
        card.body.addWidget(self.blend_box)
        self.set_blend_names([])
        return card

    def _adjust_card(self, config: PipelineConfig) -> Card:
        card = Card("Adjust")
        self.strength = LabelledSlider("Strength", config.strength, TIPS["strength"])
        self.smoothing = LabelledSlider("Smoothing", config.smoothing, TIPS["smoothing"])
        self.strength.changed.connect(lambda value: self.knob_changed.emit("strength", value))
        self.smoothing.changed.connect(lambda value: self.knob_changed.emit("smoothing", value))
        self.scene_button = button("Whole picture", checkable=True, tip=TIPS["scene"])
        self.mirror_button = button("Mirror", checkable=True, tip=TIPS["mirror"])
        self.faces_button = button("Face boxes", checkable=True, tip=TIPS["draw_faces"])
        toggles = QHBoxLayout()
        knobs = {"scene": self.scene_button, "mirror": self.mirror_button, "draw_faces": self.faces_button}
        for knob, toggle in knobs.items():
            toggle.setChecked(getattr(config, knob))
            toggle.toggled.connect(lambda on, k=knob: self.knob_changed.emit(k, on))
            toggles.addWidget(toggle)
        card.body.addWidget(self.strength)
        card.body.addWidget(self.smoothing)
        card.body.addLayout(toggles)
        return card

    def _output_card(self) -> Card:
        card = Card("Output")
        self.vcam_button = button(VCAM_TEXT, "vcam", True, TIPS["vcam"])
        self.record_button = button(RECORD_TEXT, "record", True, TIPS["recorder"])
        self.output_buttons: dict[OutputKind, QPushButton] = {
            "vcam": self.vcam_button,
            "recorder": self.record_button,
        }
        for kind, output_button in self.output_buttons.items():
            output_button.clicked.connect(lambda on, k=kind: self._output_clicked(k, on))
        self.vcam_state = _muted()
        self.recording_label = QLabel()
        self.recording_label.setObjectName("path")
        self.recording_label.setWordWrap(True)
        self.recording_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recording_label.hide()
        self.output_labels: dict[OutputKind, QLabel] = {
            "vcam": self.vcam_state,
            "recorder": self.recording_label,
        }
        self.folder_label = _muted()
        self.open_folder_button = button("Open", tip=TIPS["open_folder"])
        self.open_folder_button.clicked.connect(self.open_folder_requested)
        self.open_folder_button.hide()
        self.change_folder_button = button("Change…", tip=TIPS["change_folder"])
        self.change_folder_button.clicked.connect(self.change_folder_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.vcam_button, 1)
        buttons.addWidget(self.record_button, 1)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.open_folder_button)
        folder_row.addWidget(self.change_folder_button)
        card.body.addLayout(buttons)
        card.body.addWidget(self.vcam_state)
        card.body.addWidget(self.recording_label)
        card.body.addLayout(folder_row)
        return card

    # -- what the widgets report -------------------------------------------------------------------
    def _source_activated(self, index: int) -> None:
        spec = self.camera_combo.itemData(index)
        if spec is not None:
            self.source_picked.emit(spec)

    def _blend_moved(self, *_args: object) -> None:
        first, second = self.blend_first.currentIndex(), self.blend_second.currentIndex()
        self.blend_changed.emit(first, second, self.blend_slider.value() / 100)

    def _output_clicked(self, kind: OutputKind, on: bool) -> None:
        if on and kind == "recorder":
            self.record_button.setText("Starting…")
        self.output_toggled.emit(kind, on)

    # -- what the window tells it ------------------------------------------------------------------
    def toggle_output(self, kind: OutputKind) -> None:
        """As if its button were clicked (the window's shortcuts)."""
        self.output_buttons[kind].click()

    def set_sources(self, entries: list[tuple[str, str | None]], current: str) -> None:
        """The source list: (label, spec) entries, spec None for a line that cannot be picked."""
        combo = self.camera_combo
        # The combo shares its row with a button in the fixed-width panel: long file names are
        # shortened in the middle to the width it has (the whole name is the entry's tooltip).
        width = PANEL_WIDTH - 40 - self.open_file_button.sizeHint().width() - 44
        combo.blockSignals(True)
        combo.clear()
        for label, spec in entries:
            combo.addItem(combo.fontMetrics().elidedText(label, Qt.TextElideMode.ElideMiddle, width), spec)
            combo.setItemData(combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
            if spec is None:
                combo.model().item(combo.count() - 1).setEnabled(False)
        combo.setCurrentIndex(combo.findData(current))
        combo.blockSignals(False)

    def set_folder(self, folder: str) -> None:
        home = str(Path.home())
        shown = "~" + folder[len(home):] if folder == home or folder.startswith(home + "/") else folder
        self.folder_label.setText(f"Saving to {shown}")
        self.folder_label.setToolTip(folder)

    def set_styles(self, names: list[str], current: str | None) -> None:
        self.gallery.set_styles(names)
        if current:
            self.gallery.mark_current(current)

    def set_thumbnail(self, name: str, image: np.ndarray) -> None:
        self.gallery.set_thumbnail(name, image)

    def mark_style(self, name: str) -> None:
        self.gallery.mark_current(name)

    def style_names(self) -> list[str]:
        return self.gallery.names()

    def set_blend_names(self, names: list[str]) -> None:
        """Shows the mixing controls for a multi-style pack (names), hides them otherwise."""
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
        self.blend_box.setVisible(len(names) >= 2)

    def show_output(self, kind: OutputKind, on: bool, text: str, tip: str = "") -> None:
        """An output's button state and the line under it (`text` "" hides the line)."""
        output_button, label = self.output_buttons[kind], self.output_labels[kind]
        output_button.setChecked(on)
        if kind == "vcam":
            output_button.setText("◉  Camera on" if on else VCAM_TEXT)
        elif not on:
            output_button.setText(RECORD_TEXT)
        label.setText(text)
        label.setToolTip(tip)
        label.setVisible(bool(text))
        if kind == "recorder" and on:
            self.open_folder_button.hide()

    def show_recording_time(self, elapsed: str) -> None:
        self.record_button.setText(f"■  Stop  {elapsed}")

    def show_saved(self, text: str, path: str) -> None:
        self.show_output("recorder", False, text, path)
        self.open_folder_button.show()
