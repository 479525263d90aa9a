"""The main window: a large preview, a compact side panel, a banner for faults and a status line.

It only wires the panels' signals to the Session and the Session's signals back to the panels;
nothing here waits on a frame or touches pixels. The settings object is the Session's own.
"""

from __future__ import annotations

import time
from pathlib import Path

from PyQt6.QtCore import QSettings, Qt, QTimer, QUrl
from PyQt6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PyQt6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMainWindow, QScrollArea, QVBoxLayout, QWidget

from animecam.core.errors import UserError
from animecam.core.frames import FrameResult, SourceInfo
from animecam.engine.styles import DEFAULT_STYLE
from animecam.gui import theme
from animecam.gui.outputs import OutputKind, new_recording_path
from animecam.gui.panels import SidePanel, TopBar
from animecam.gui.session import Session
from animecam.gui.settings import save_settings
from animecam.gui.widgets import Banner, PreviewWidget
from animecam.videofilter.pipeline import PipelineStats
from animecam.videofilter.sinks import StillSink

MEDIA_FILTER = (
    "Videos and photos (*.mp4 *.mkv *.mov *.avi *.webm *.jpg *.jpeg *.png *.webp *.bmp);;All files (*)"
)
DEMO_SOURCE = "demo"  # open_source()'s built-in clip, for trying the app without a camera
VCAM_OFF = "Off. Turn it on, then pick it as the camera in your call app."
NO_SOURCE_HINT = "Pick the demo clip or another camera under Source on the right,\nor open a video file."
STATS_TIP = (
    "Frames per second the filter delivers, and the milliseconds per frame it spends finding faces,\n"
    "drawing them, drawing the rest of the picture and pasting the faces in. When the computer is\n"
    "busy, the filter skips a camera frame rather than fall behind, so the picture stays live;\n"
    "a few skipped frames are normal."
)


def _elapsed(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes:02d}:{seconds:02d}"


def _is_camera(spec: str) -> bool:
    return spec.isdigit() or spec.startswith("/dev/")


class MainWindow(QMainWindow):
    def __init__(self, session: Session, store: QSettings) -> None:
        super().__init__()
        self.session = session
        self.store = store
        self.settings = session.settings  # one object: what the panel changes, the session runs with
        self.last_recording: Path | None = None  # or the last snapshot: what "Open" shows
        self._last_result: FrameResult | None = None  # the picture shown last (a snapshot saves it)
        self.thumbnails_shown = 0
        self.last_stats: PipelineStats | None = None
        self.source_missing: str | None = None  # why no source runs (the no-camera state), else None
        self._recording: str | None = None  # the file being recorded, until it is complete
        self.setWindowTitle("animecam")
        self._build()
        self._connect()
        self._shortcuts()
        if not self.settings.geometry or not self.restoreGeometry(self.settings.geometry):
            self.resize(1280, 800)
        self._fill_sources()
        session.refresh_styles()
        session.select_style(self.settings.style)
        session.open_source(self.settings.camera)
        session.poll_cameras()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QWidget()
        outer = QHBoxLayout(root)
        outer.setContentsMargins(16, 12, 16, 10)
        outer.setSpacing(16)

        left = QVBoxLayout()
        left.setSpacing(10)
        self.top_bar = TopBar(self.settings.view)
        left.addWidget(self.top_bar)
        self.banner = Banner()
        left.addWidget(self.banner)
        self.preview = PreviewWidget()
        self.preview.set_view(self.settings.view)
        left.addWidget(self.preview, 1)
        outer.addLayout(left, 1)

        self.panel = SidePanel(self.settings.pipeline)
        self.panel.set_folder(self.settings.output_folder)
        self.panel.show_output("vcam", False, VCAM_OFF)
        # Scrolls only in windows smaller than the smallest laptop screens the layout is sized for.
        self.panel_scroll = QScrollArea()
        self.panel_scroll.setWidget(self.panel)
        self.panel_scroll.setWidgetResizable(True)
        self.panel_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.panel_scroll.setFixedWidth(self.panel.width() + 10)
        outer.addWidget(self.panel_scroll)
        self.setCentralWidget(root)

        self.stats_label = QLabel("starting…")
        self.stats_label.setToolTip(STATS_TIP)
        self.source_label = QLabel()
        self.source_label.setToolTip("The source: its name, picture size and frame rate")
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
        session.source_failed.connect(self._source_failed)
        session.cameras_changed.connect(lambda _cameras: self._fill_sources())
        session.notice.connect(self.banner.post)
        session.stats_changed.connect(self._show_stats)
        session.output_changed.connect(self._output_changed)
        session.output_closed.connect(self._output_closed)

        panel.style_clicked.connect(session.select_style)
        panel.source_picked.connect(self._source_picked)
        panel.open_file_requested.connect(self._open_file)
        panel.knob_changed.connect(lambda name, value: session.configure(**{name: value}))
        panel.blend_changed.connect(session.set_blend)
        panel.output_toggled.connect(session.set_output)
        panel.open_folder_requested.connect(self.open_recording_folder)
        panel.change_folder_requested.connect(self._choose_folder)
        self.top_bar.view_picked.connect(self._view_picked)
        self.top_bar.fullscreen_clicked.connect(self.toggle_fullscreen)
        self.top_bar.snapshot_clicked.connect(self.save_snapshot)

    def _shortcuts(self) -> None:
        for number in range(1, 10):
            QShortcut(QKeySequence(str(number)), self, activated=lambda n=number: self.pick_style(n - 1))
        shortcuts: dict[Qt.Key, OutputKind] = {Qt.Key.Key_Space: "recorder", Qt.Key.Key_V: "vcam"}
        for key, kind in shortcuts.items():
            QShortcut(QKeySequence(key), self, activated=lambda k=kind: self.panel.toggle_output(k))
        QShortcut(QKeySequence(Qt.Key.Key_F), self, activated=self.toggle_fullscreen)
        QShortcut(QKeySequence(Qt.Key.Key_S), self, activated=self.save_snapshot)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.leave_fullscreen)

    # -- actions -----------------------------------------------------------------------------------
    def pick_style(self, position: int) -> None:
        names = self.panel.style_names()
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

    def save_snapshot(self) -> Path | None:
        """The picture last shown, saved as a PNG in the output folder (None: nothing to save, or
        it could not be written; the panel says which)."""
        if self._last_result is None:
            self.panel.show_output("recorder", False, "No picture to save yet")
            return None
        try:
            path = new_recording_path(Path(self.settings.output_folder).expanduser(), ".png")
            sink = StillSink(path)
            sink.write(self._last_result)
            sink.close()
        except UserError as err:
            self.panel.show_output("recorder", False, f"cannot save the snapshot: {err}")
            return None
        self.last_recording = path
        self.panel.show_saved(f"Saved a snapshot: {path.name}", str(path))
        return path

    def open_recording_folder(self) -> None:
        if self.last_recording is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_recording.parent)))

    def _view_picked(self, view: str) -> None:
        self.settings.view = view
        self.preview.set_view(view)

    def _source_picked(self, spec: str) -> None:
        if spec != self.session.spec:
            self.session.open_source(spec)

    def _open_file(self) -> None:
        title = "Open a video or a photo"
        path, _filter = QFileDialog.getOpenFileName(self, title, str(Path.home()), MEDIA_FILTER)
        if path:
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
            self._last_result = result
            self.preview.show_result(result)

    def _styles_listed(self, infos: list) -> None:
        names = [info.name for info in infos]
        self.panel.set_styles(names, self.session.style_name)
        self.session.request_thumbnails(names)

    def _thumbnail_ready(self, name: str, image: object) -> None:
        self.panel.set_thumbnail(name, image)  # type: ignore[arg-type]
        self.thumbnails_shown += 1

    def _style_changed(self, name: str, _style: object) -> None:
        self.panel.mark_style(name)
        self.panel.set_blend_names(self.session.blendable())

    def _style_failed(self, name: str) -> None:
        if self.session.style is None and name != DEFAULT_STYLE:
            self.session.select_style(DEFAULT_STYLE)  # a remembered style that is gone
        elif self.session.style_name:
            self.panel.mark_style(self.session.style_name)

    def _source_changed(self, spec: str, info: SourceInfo) -> None:
        self.source_missing = None
        self.preview.show_placeholder("Waiting for the first frame…")
        self.source_label.setText(f"{info.name} · {info.width}×{info.height} · {info.fps:.0f} fps")
        self._fill_sources()

    def _source_failed(self, spec: str, why: str) -> None:
        if self.session.pipeline is not None:  # the previous source is still running
            return
        self.source_missing = why
        headline = f"No picture from camera {spec}" if _is_camera(spec) else f"Cannot play {Path(spec).name}"
        self.preview.show_placeholder(f"{headline}\n\n{NO_SOURCE_HINT}")
        self.source_label.setText("no source")
        self.stats_label.setText("waiting for a source")
        self._fill_sources()

    def _fill_sources(self) -> None:
        cameras, spec = self.session.cameras, self.settings.camera
        entries: list[tuple[str, str | None]] = [] if cameras else [("No camera found", None)]
        entries += [(camera.name, str(camera.path or camera.index)) for camera in cameras]
        entries.append(("Demo clip (built in)", DEMO_SOURCE))
        if spec not in [entry_spec for _label, entry_spec in entries]:
            # Short enough for the picker's row: a device path says it is a camera by itself.
            camera = f"Camera {spec}" if spec.isdigit() else spec
            label = f"{camera} (not found)" if _is_camera(spec) else f"File: {Path(spec).name}"
            entries.append((label, spec))
        self.panel.set_sources(entries, spec)

    def _show_stats(self, stats: PipelineStats) -> None:
        self.last_stats = stats
        names = {"track": "face", "style": "draw", "scene": "scene", "compose": "paste"}
        stages = " · ".join(f"{names[name]} {ms:.1f}" for name, ms in stats.stage_ms.items() if name in names)
        stages = f"{stages} ms" if stages else ""
        skipped = f" · {stats.dropped} skipped to stay live" if stats.dropped else ""
        dot = theme.LIVE if stats.fps > 0 else theme.MUTED
        self.stats_label.setText(
            f"<span style='color:{dot}'>●</span>&nbsp; {stats.fps:.1f} fps &nbsp; {stages}{skipped}"
        )

    def _output_changed(self, kind: OutputKind, on: bool, detail: str) -> None:
        if kind == "vcam":
            text = f"Live on {detail}: pick it as the camera in your call app" if on else detail or VCAM_OFF
            self.panel.show_output(kind, on, text)
        elif on:
            self._recording = detail
            self._record_timer.start()
            self.panel.show_output(kind, True, f"Recording {Path(detail).name}", detail)
        elif detail or self._recording is None:  # why it stopped or could not start, or nothing
            self.panel.show_output(kind, False, detail)
        else:
            self.panel.show_output(kind, False, f"Finishing {Path(self._recording).name}…", self._recording)
        self._update_outputs()

    def _output_closed(self, kind: OutputKind, name: str, frames: int) -> None:
        if kind != "recorder":
            return
        self._recording = None
        self.last_recording = Path(name)
        self.panel.show_saved(f"Saved {frames} frames: {Path(name).name}", name)

    def _update_outputs(self) -> None:
        badges = []
        recorder = self.session.outputs.get("recorder")
        if recorder is not None:
            elapsed = _elapsed(time.monotonic() - recorder.started)
            self.panel.show_recording_time(elapsed)
            badges.append((f"● REC {elapsed}", theme.RECORD))
        else:
            self._record_timer.stop()
        if "vcam" in self.session.outputs:
            badges.append(("LIVE · virtual camera", "#15803d"))
        self.preview.set_badges(badges)

    # -- closing -----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.leave_fullscreen()
        self.settings.geometry = bytes(self.saveGeometry())
        save_settings(self.store, self.settings)
        self.session.shutdown()
        event.accept()
