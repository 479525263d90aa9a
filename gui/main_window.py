"""The main window: a large preview, a compact side panel, a banner for faults and a status line.

It only wires widgets to the Session; nothing here waits on a frame or touches pixels.
"""

from __future__ import annotations

import time
from pathlib import Path

from PyQt6.QtCore import QSettings, Qt, QTimer, QUrl
from PyQt6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from animecam.core.frames import SourceInfo
from animecam.engine.styles import DEFAULT_STYLE
from animecam.gui import theme
from animecam.gui.panels import SidePanel, _button
from animecam.gui.session import Session
from animecam.gui.settings import VIEWS, load_settings, save_settings
from animecam.gui.widgets import Banner, PreviewWidget
from animecam.videofilter.pipeline import PipelineStats

VIDEO_FILTER = "Videos (*.mp4 *.mkv *.mov *.avi *.webm);;All files (*)"
DEMO_SOURCE = "demo"  # open_source()'s built-in clip, for trying the app without a camera
VCAM_OFF = "Off. Turn it on, then pick it as the camera in your call app."
VIEW_LABELS = {"stylised": "Anime", "original": "Original", "side": "Compare"}  # compare: both at once


def _elapsed(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes:02d}:{seconds:02d}"


class MainWindow(QMainWindow):
    def __init__(
        self, session: Session, store: QSettings, source: str | None = None, style: str | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.store = store
        self.settings = load_settings(store)
        if source is not None:
            self.settings.camera = source
        if style is not None:
            self.settings.style = style
        self.last_recording: Path | None = None
        self.thumbnails_shown = 0
        self.last_stats: PipelineStats | None = None
        self.setWindowTitle("animecam")
        self._build()
        self._connect()
        self._shortcuts()
        if not self.settings.geometry or not self.restoreGeometry(self.settings.geometry):
            self.resize(1280, 800)
        settings = self.settings
        session.configure(
            strength=settings.strength,
            smoothing=settings.smoothing,
            mirror=settings.mirror,
            draw_faces=settings.draw_faces,
        )
        self._fill_sources()
        session.refresh_styles()
        session.select_style(settings.style)
        session.open_source(settings.camera)
        session.poll_cameras()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QWidget()
        outer = QHBoxLayout(root)
        outer.setContentsMargins(16, 14, 16, 12)
        outer.setSpacing(16)

        left = QVBoxLayout()
        left.setSpacing(10)
        self.top_bar = QWidget()
        bar = QHBoxLayout(self.top_bar)
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
        for view in VIEWS:
            button = _button(VIEW_LABELS[view], "segment", checkable=True)
            self.view_group.addButton(button)
            self.view_buttons[view] = button
            segment_row.addWidget(button)
        bar.addWidget(segments)
        bar.addStretch(1)
        keys = QLabel("1–9 style · Space record · V virtual camera")
        keys.setObjectName("muted")
        bar.addWidget(keys)
        bar.addSpacing(12)
        self.fullscreen_button = _button("Full screen  F", tip="Full-screen preview (Esc leaves)")
        bar.addWidget(self.fullscreen_button)
        left.addWidget(self.top_bar)

        self.banner = Banner()
        left.addWidget(self.banner)
        self.preview = PreviewWidget()
        self.preview.set_view(self.settings.view)
        self.view_buttons[self.settings.view].setChecked(True)
        left.addWidget(self.preview, 1)
        outer.addLayout(left, 1)

        self.panel = SidePanel(self.settings)
        self.panel.set_folder(self.settings.output_folder)
        self.panel.set_blend_names([])
        self.panel.vcam_state.setText(VCAM_OFF)
        self.panel_scroll = QScrollArea()
        self.panel_scroll.setWidget(self.panel)
        self.panel_scroll.setWidgetResizable(True)
        self.panel_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.panel_scroll.setFixedWidth(self.panel.width() + 10)
        outer.addWidget(self.panel_scroll)
        self.setCentralWidget(root)

        self.stats_label = QLabel("starting…")
        self.source_label = QLabel()
        self.statusBar().addWidget(self.stats_label, 1)
        self.statusBar().addPermanentWidget(self.source_label)
        self.statusBar().setSizeGripEnabled(False)
        self._record_timer = QTimer(self, interval=250, timeout=self._update_outputs)

    def _connect(self) -> None:
        session, panel = self.session, self.panel
        session.preview.notifier.ready.connect(self._take_frame)
        session.styles_listed.connect(self._styles_listed)
        session.style_changed.connect(self._style_changed)
        session.style_failed.connect(self._style_failed)
        session.thumbnail_ready.connect(self._thumbnail_ready)
        session.source_changed.connect(self._source_changed)
        session.cameras_changed.connect(lambda _cameras: self._fill_sources())
        session.notice.connect(self.banner.post)
        session.stats_changed.connect(self._show_stats)
        session.recording_changed.connect(self._recording_changed)
        session.recording_finished.connect(self._recording_finished)
        session.vcam_changed.connect(self._vcam_changed)

        panel.gallery.style_clicked.connect(session.select_style)
        panel.camera_combo.activated.connect(self._source_picked)
        panel.open_file_button.clicked.connect(self._open_file)
        panel.strength.changed.connect(lambda v: self._configure(strength=v))
        panel.smoothing.changed.connect(lambda v: self._configure(smoothing=v))
        panel.mirror_button.toggled.connect(lambda on: self._configure(mirror=on))
        panel.faces_button.toggled.connect(lambda on: self._configure(draw_faces=on))
        panel.blend_slider.valueChanged.connect(self._blend)
        panel.blend_first.currentIndexChanged.connect(self._blend)
        panel.blend_second.currentIndexChanged.connect(self._blend)
        panel.vcam_button.clicked.connect(self.session.set_vcam)
        panel.record_button.clicked.connect(self._record_clicked)
        panel.open_folder_button.clicked.connect(self.open_recording_folder)
        panel.change_folder_button.clicked.connect(self._choose_folder)
        self.view_group.buttonClicked.connect(self._view_clicked)
        self.fullscreen_button.clicked.connect(self.toggle_fullscreen)

    def _shortcuts(self) -> None:
        for number in range(1, 10):
            QShortcut(QKeySequence(str(number)), self, activated=lambda n=number: self.pick_style(n - 1))
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, activated=self.panel.record_button.click)
        QShortcut(QKeySequence(Qt.Key.Key_V), self, activated=self.panel.vcam_button.click)
        QShortcut(QKeySequence(Qt.Key.Key_F), self, activated=self.toggle_fullscreen)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.leave_fullscreen)

    # -- actions -----------------------------------------------------------------------------------
    def pick_style(self, position: int) -> None:
        names = self.panel.gallery.names()
        if 0 <= position < len(names):
            self.session.select_style(names[position])

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.leave_fullscreen()
            return
        for widget in (self.panel_scroll, self.top_bar, self.statusBar()):
            widget.hide()
        self.showFullScreen()

    def leave_fullscreen(self) -> None:
        if not self.isFullScreen():
            return
        for widget in (self.panel_scroll, self.top_bar, self.statusBar()):
            widget.show()
        self.showNormal()

    def open_recording_folder(self) -> None:
        if self.last_recording is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_recording.parent)))

    def _configure(self, **changes: float | bool) -> None:
        for key, value in changes.items():
            setattr(self.settings, key, value)
        self.session.configure(**changes)

    def _blend(self, *_args: object) -> None:
        panel = self.panel
        first, second = panel.blend_first.currentIndex(), panel.blend_second.currentIndex()
        self.session.set_blend(first, second, panel.blend_slider.value() / 100)

    def _view_clicked(self, button: QPushButton) -> None:
        view = next(v for v, b in self.view_buttons.items() if b is button)
        self.settings.view = view
        self.preview.set_view(view)

    def _record_clicked(self, checked: bool) -> None:
        if checked:
            self.panel.record_button.setText("Starting…")
            self.session.start_recording(Path(self.settings.output_folder).expanduser())
        else:
            self.session.stop_recording()

    def _source_picked(self, index: int) -> None:
        spec = self.panel.camera_combo.itemData(index)
        if spec is not None and spec != self.session.spec:
            self.settings.camera = spec
            self.session.open_source(spec)

    def _open_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Open a video file", str(Path.home()), VIDEO_FILTER
        )
        if path:
            self.settings.camera = path
            self.session.open_source(path)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save recordings to", self.settings.output_folder)
        if folder:
            self.settings.output_folder = folder
            self.panel.set_folder(folder)

    # -- session events ----------------------------------------------------------------------------
    def _take_frame(self) -> None:
        result = self.session.preview.take()
        if result is not None:
            self.preview.show_result(result)

    def _styles_listed(self, infos: list) -> None:
        names = [info.name for info in infos]
        self.panel.gallery.set_styles(names)
        if self.session.style_name:
            self.panel.gallery.mark_current(self.session.style_name)
        self.session.request_thumbnails(names)

    def _thumbnail_ready(self, name: str, image: object) -> None:
        self.panel.gallery.set_thumbnail(name, image)  # type: ignore[arg-type]
        self.thumbnails_shown += 1

    def _style_changed(self, name: str, _style: object) -> None:
        self.settings.style = name
        self.panel.gallery.mark_current(name)
        self.panel.set_blend_names(self.session.blendable())

    def _style_failed(self, name: str) -> None:
        if self.session.style is None and name != DEFAULT_STYLE:
            self.session.select_style(DEFAULT_STYLE)  # a remembered style that is gone
        elif self.session.style_name:
            self.panel.gallery.mark_current(self.session.style_name)

    def _source_changed(self, spec: str, info: SourceInfo) -> None:
        self.settings.camera = spec
        self.preview.placeholder = "Waiting for the first frame…"
        self.source_label.setText(f"{info.name} · {info.width}×{info.height} · {info.fps:.0f} fps")
        self._fill_sources()

    def _fill_sources(self) -> None:
        combo, spec = self.panel.camera_combo, self.settings.camera
        combo.blockSignals(True)
        combo.clear()
        if not self.session.cameras:
            combo.addItem("No camera found")
            combo.model().item(0).setEnabled(False)
        for camera in self.session.cameras:
            combo.addItem(camera.name, str(camera.path or camera.index))
        combo.addItem("Demo clip (built in)", DEMO_SOURCE)
        if combo.findData(spec) < 0:
            is_camera = spec.isdigit() or spec.startswith("/dev/")
            label = f"Camera {spec} (not found)" if is_camera else f"Video file: {Path(spec).name}"
            combo.addItem(label, spec)
        combo.setCurrentIndex(combo.findData(spec))
        combo.blockSignals(False)

    def _show_stats(self, stats: PipelineStats) -> None:
        self.last_stats = stats
        stages = " · ".join(
            f"{name} {ms:.1f}" for name, ms in stats.stage_ms.items() if name in ("track", "style", "compose")
        )
        stages = f"{stages} ms" if stages else ""
        dropped = f" · {stats.dropped} dropped" if stats.dropped else ""
        dot = theme.LIVE if stats.fps > 0 else theme.MUTED
        self.stats_label.setText(
            f"<span style='color:{dot}'>●</span>&nbsp; {stats.fps:.1f} fps &nbsp; {stages}{dropped}"
        )

    def _recording_changed(self, on: bool, path: str) -> None:
        button = self.panel.record_button
        button.setChecked(on)
        if on:
            self._record_timer.start()
            self.panel.recording_label.setText(f"Recording {Path(path).name}")
            self.panel.recording_label.setToolTip(path)
            self.panel.recording_label.show()
            self.panel.open_folder_button.hide()
        else:
            button.setText("●  Record")
            if not path:
                self.panel.recording_label.hide()
        self._update_outputs()

    def _recording_finished(self, path: str, frames: int) -> None:
        self.last_recording = Path(path)
        self.panel.recording_label.setText(f"Saved {frames} frames: {Path(path).name}")
        self.panel.recording_label.setToolTip(path)
        self.panel.recording_label.show()
        self.panel.open_folder_button.show()

    def _vcam_changed(self, on: bool, text: str) -> None:
        panel = self.panel
        panel.vcam_button.setChecked(on)
        panel.vcam_button.setText("◉  Camera on" if on else "Virtual camera")
        if on:
            panel.vcam_state.setText(f"Live on {text}: pick it as the camera in your call app")
        elif text != "off":
            panel.vcam_state.setText(text)
        else:
            panel.vcam_state.setText(VCAM_OFF)
        self._update_outputs()

    def _update_outputs(self) -> None:
        badges = []
        recorder = self.session.recorder
        if recorder is not None:
            elapsed = _elapsed(time.monotonic() - recorder.started)
            self.panel.record_button.setText(f"■  Stop  {elapsed}")
            badges.append((f"● REC {elapsed}", theme.RECORD))
        else:
            self._record_timer.stop()
        if self.session.vcam is not None:
            badges.append(("LIVE · virtual camera", "#15803d"))
        self.preview.set_badges(badges)

    # -- closing -----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.leave_fullscreen()
        self.settings.geometry = bytes(self.saveGeometry())
        save_settings(self.store, self.settings)
        self.session.shutdown()
        event.accept()
