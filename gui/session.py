"""The running filter behind the window: one Pipeline at a time, its sinks, and the style in use.

Everything slow happens on worker threads (`Background`) or on the Pipeline's own threads; the
methods here are called on the UI thread and return at once. Results come back as Qt signals.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from animecam.core.errors import UserError
from animecam.core.frames import FrameSink, FrameSource
from animecam.core.style import MultiStyle, Style
from animecam.gui.services import Services
from animecam.gui.workers import Background, LoopingSource, ManagedSink, PreviewSink, describe
from animecam.videofilter.pipeline import Pipeline, PipelineConfig

log = logging.getLogger(__name__)

STATS_INTERVAL_MS = 250
CAMERA_POLL_MS = 2000  # how quickly a plugged-in camera shows up in the picker


class Session(QObject):
    styles_listed = pyqtSignal(list)  # [StyleInfo]
    style_changed = pyqtSignal(str, object)  # name, Style now running
    style_failed = pyqtSignal(str)  # name that could not be loaded (the banner says why)
    thumbnail_ready = pyqtSignal(str, object)  # style name, BGR ndarray
    source_changed = pyqtSignal(str, object)  # spec, SourceInfo
    cameras_changed = pyqtSignal(list)  # [CameraDevice]
    notice = pyqtSignal(str, str, str)  # key, level ("warning" | "error"), message; "" clears the key
    stats_changed = pyqtSignal(object)  # PipelineStats
    recording_changed = pyqtSignal(bool, str)  # recording?, file path
    recording_finished = pyqtSignal(str, int)  # file path, frames written
    vcam_changed = pyqtSignal(bool, str)  # on?, device name or why not
    _sink_failed = pyqtSignal(object, object)  # ManagedSink, exception (from the output thread)

    def __init__(
        self,
        services: Services,
        config: PipelineConfig | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.config = replace(config) if config else PipelineConfig(realtime=True)
        self.preview = PreviewSink()
        self.pipeline: Pipeline | None = None
        self.source: FrameSource | None = None
        self.spec: str | None = None
        self.style: Style | None = None
        self.style_name: str | None = None
        self.recorder: ManagedSink | None = None
        self.vcam: ManagedSink | None = None
        self._vcam_wanted = False
        self._wanted_style: str | None = None
        self._styles: dict[str, Style] = {}
        self._pending_source: tuple[str, FrameSource] | None = None
        self._source_generation = 0
        self._cameras: list = []
        self._polling_cameras = False
        self._source_status: str | None = None
        self._closed = False
        self._styles_bg = Background("styles", self)
        self._thumbs_bg = Background("thumbnails", self)
        self._io_bg = Background("io", self)
        self._sink_failed.connect(self._on_sink_failed)
        self._stats_timer = QTimer(self, interval=STATS_INTERVAL_MS, timeout=self._poll_pipeline)
        self._camera_timer = QTimer(self, interval=CAMERA_POLL_MS, timeout=self.poll_cameras)
        self._stats_timer.start()
        self._camera_timer.start()

    # -- styles ------------------------------------------------------------------------------------
    def refresh_styles(self) -> None:
        self._styles_bg.submit(
            lambda: list(self.services.list_styles()),
            self.styles_listed.emit,
            lambda err: self.notice.emit("style", "error", f"cannot list styles: {describe(err)}"),
        )

    def select_style(self, name: str) -> None:
        """Switches at the next frame when the style was loaded before; otherwise loads it first."""
        self._wanted_style = name
        if name in self._styles:
            self._apply_style(name, self._styles[name])
            return

        def load() -> Style | None:
            if self._wanted_style != name:  # another click came first: skip the stale load
                return None
            return self.services.load_style(name)

        self._styles_bg.submit(
            load, partial(self._style_loaded, name), partial(self._style_load_failed, name)
        )

    def _style_loaded(self, name: str, style: Style | None) -> None:
        if style is None:
            return
        self._styles[name] = style
        if self._wanted_style == name:
            self._apply_style(name, style)

    def _style_load_failed(self, name: str, err: BaseException) -> None:
        self.notice.emit("style", "error", f"style {name!r} could not be loaded: {describe(err)}")
        if self._wanted_style == name:
            self._wanted_style = self.style_name
        self.style_failed.emit(name)

    def _apply_style(self, name: str, style: Style) -> None:
        self.style, self.style_name = style, name
        self.notice.emit("style", "", "")
        if self.pipeline is not None:
            self.pipeline.set_style(style)
        elif self._pending_source is not None:
            self._start_pipeline(*self._pending_source)
        self.style_changed.emit(name, style)

    def blendable(self) -> list[str]:
        """Names of the styles the blend slider can mix (a multi-style pack), else []."""
        if isinstance(self.style, MultiStyle) and len(self.style.style_names) >= 2:
            return list(self.style.style_names)
        return []

    def set_blend(self, first: int, second: int, amount: float) -> None:
        """Mixes two styles of the running multi-style pack: amount 0 = first, 1 = second."""
        names = self.blendable()
        if not (0 <= first < len(names) and 0 <= second < len(names)):
            return
        weights = np.zeros(len(names), np.float32)
        weights[first] += 1.0 - amount
        weights[second] += amount
        self.style.set_style_mix(weights.tolist())  # type: ignore[union-attr]

    def request_thumbnails(self, names: list[str]) -> None:
        for name in names:
            self._thumbs_bg.submit(
                # A separate instance: a multi-style pack's mix state stays the running one's own.
                partial(lambda n: self.services.thumbnail(self.services.load_style(n)), name),
                partial(self.thumbnail_ready.emit, name),
                lambda err: log.info("no thumbnail: %s", describe(err)),
            )

    # -- settings that apply at the next frame -----------------------------------------------------
    def configure(self, **changes: float | bool) -> None:
        for key, value in changes.items():
            setattr(self.config, key, value)
        if self.pipeline is not None:
            self.pipeline.configure(**changes)

    # -- sources -----------------------------------------------------------------------------------
    def open_source(self, spec: str) -> None:
        self._source_generation += 1
        generation = self._source_generation

        def open_looping() -> FrameSource:
            source = self.services.open_source(spec)
            if source.info.live:
                return source
            return LoopingSource(source, partial(self.services.open_source, spec))

        self._io_bg.submit(
            open_looping,
            partial(self._source_opened, spec, generation),
            partial(self._source_failed, spec, generation),
        )

    def _source_opened(self, spec: str, generation: int, source: FrameSource) -> None:
        if generation != self._source_generation or self._closed:
            self._io_bg.submit(source.close)
            return
        self.notice.emit("source", "", "")
        if self.style is None:  # started once the first style has loaded
            if self._pending_source is not None:
                self._io_bg.submit(self._pending_source[1].close)
            self._pending_source = (spec, source)
            return
        self._start_pipeline(spec, source)

    def _source_failed(self, spec: str, generation: int, err: BaseException) -> None:
        if generation == self._source_generation:
            self.notice.emit("source", "error", f"cannot open {spec}: {describe(err)}")

    def _start_pipeline(self, spec: str, source: FrameSource) -> None:
        assert self.style is not None
        self._pending_source = None
        self._retire_pipeline()
        self.spec, self.source = spec, source
        self.pipeline = Pipeline(source, self.style, [self.preview], self.config)
        self.pipeline.start()
        self.source_changed.emit(spec, source.info)
        if self._vcam_wanted:
            self.set_vcam(True)

    def _retire_pipeline(self) -> None:
        """Stops the running pipeline on a worker thread (its sinks are finalised as it stops)."""
        if self.recorder is not None:
            self.stop_recording()
        if self.vcam is not None:
            self.vcam = None  # closed by the pipeline's stop; reopened by the next pipeline
        if self._source_status is not None:  # the old source's fault is not the next one's
            self._source_status = None
            self.notice.emit("camera", "", "")
        pipeline, source = self.pipeline, self.source
        self.pipeline, self.source = None, None
        if pipeline is not None and source is not None:
            self._io_bg.submit(lambda: (pipeline.stop(), source.close()))

    @property
    def cameras(self) -> list:
        """The cameras found at the last poll: [CameraDevice(index, name, path)]."""
        return list(self._cameras)

    def poll_cameras(self) -> None:
        if self._polling_cameras:
            return
        self._polling_cameras = True
        self._io_bg.submit(
            lambda: list(self.services.list_cameras()), self._cameras_listed, self._cameras_failed
        )

    def _cameras_listed(self, cameras: list) -> None:
        self._polling_cameras = False
        if cameras != self._cameras:
            self._cameras = cameras
            self.cameras_changed.emit(cameras)

    def _cameras_failed(self, err: BaseException) -> None:
        self._polling_cameras = False
        log.info("listing cameras failed: %s", describe(err))

    def _poll_pipeline(self) -> None:
        pipeline = self.pipeline
        if pipeline is None:
            return
        stats = pipeline.stats
        self.stats_changed.emit(stats)
        if stats.notice != self._source_status:  # e.g. "camera lost, reconnecting" while it lasts
            self._source_status = stats.notice
            self.notice.emit("camera", "warning" if stats.notice else "", stats.notice or "")
        if pipeline.running:
            return
        # The source ended or failed (files loop, so this is a fault): its sinks are already closed.
        spec = self.spec
        self._retire_pipeline()
        if pipeline.errors:
            self.notice.emit("source", "error", f"{spec} stopped: {describe(pipeline.errors[0])}")
        else:
            self.notice.emit("source", "warning", f"{spec} stopped sending pictures: pick a source again")

    # -- outputs -----------------------------------------------------------------------------------
    def _managed(self, sink: FrameSink, name: str) -> ManagedSink:
        return ManagedSink(sink, lambda managed, err: self._sink_failed.emit(managed, err), name)

    def start_recording(self, folder: Path) -> None:
        pipeline, source = self.pipeline, self.source
        if self.recorder is not None:
            return
        if pipeline is None or source is None:
            self.notice.emit("record", "warning", "nothing to record yet: pick a camera or a video file")
            self.recording_changed.emit(False, "")
            return
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"animecam-{stamp}.mp4"
        for n in range(2, 100):
            if not path.exists():
                break
            path = folder / f"animecam-{stamp}-{n}.mp4"

        def open_recorder() -> ManagedSink:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise UserError(f"cannot create the output folder {folder}: {err.strerror}") from None
            # A recording starts mid-stream (and a file source loops): the file's own audio track and
            # length do not apply to it.
            info = replace(source.info, audio_path=None, frame_count=None)
            return self._managed(self.services.make_recorder(path, info), str(path))

        def opened(recorder: ManagedSink) -> None:
            if pipeline is not self.pipeline:
                self._io_bg.submit(recorder.close)
                return
            self.recorder = recorder
            recorder.started = time.monotonic()
            pipeline.add_sink(recorder)
            self.notice.emit("record", "", "")
            self.recording_changed.emit(True, str(path))

        def failed(err: BaseException) -> None:
            self.notice.emit("record", "error", f"cannot record: {describe(err)}")
            self.recording_changed.emit(False, "")

        self._io_bg.submit(open_recorder, opened, failed)

    def stop_recording(self) -> None:
        recorder, pipeline = self.recorder, self.pipeline
        if recorder is None:
            return
        self.recorder = None
        path = recorder.name
        self.recording_changed.emit(False, path)

        def finalise() -> int:
            if pipeline is not None:
                pipeline.remove_sink(recorder)  # closes it; a no-op when the pipeline already did
            return recorder.count

        self._io_bg.submit(
            finalise,
            partial(self.recording_finished.emit, path),
            lambda err: self.notice.emit("record", "error", f"the recording failed: {describe(err)}"),
        )

    def set_vcam(self, on: bool) -> None:
        self._vcam_wanted = on
        pipeline = self.pipeline
        if not on:
            vcam, self.vcam = self.vcam, None
            if vcam is not None and pipeline is not None:
                self._io_bg.submit(partial(pipeline.remove_sink, vcam))
            self.vcam_changed.emit(False, "off")
            return
        if self.vcam is not None:
            return
        if pipeline is None:  # _start_pipeline opens it with the next source
            self.vcam_changed.emit(False, "waiting for a picture: starts once a source is running")
            return

        def opened(vcam: ManagedSink) -> None:
            if pipeline is not self.pipeline or not self._vcam_wanted:
                self._io_bg.submit(vcam.close)
                return
            self.vcam = vcam
            pipeline.add_sink(vcam)
            self.notice.emit("vcam", "", "")
            self.vcam_changed.emit(True, vcam.name)

        def failed(err: BaseException) -> None:
            self._vcam_wanted = False
            self.notice.emit("vcam", "warning", describe(err))
            self.vcam_changed.emit(False, describe(err))

        def open_vcam() -> ManagedSink:
            sink = self.services.make_vcam()
            return self._managed(sink, str(getattr(sink, "device", "virtual camera")))

        self._io_bg.submit(open_vcam, opened, failed)

    def _on_sink_failed(self, sink: ManagedSink, err: BaseException) -> None:
        if sink is self.recorder:
            self.notice.emit("record", "error", f"recording stopped: {describe(err)}")
            self.stop_recording()
        elif sink is self.vcam:
            self.notice.emit("vcam", "warning", f"virtual camera stopped: {describe(err)}")
            self.set_vcam(False)

    # -- shutdown ----------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Blocking on purpose (the window is closing): recordings must be complete files."""
        self._closed = True
        self._stats_timer.stop()
        self._camera_timer.stop()
        self._styles_bg.shutdown(cancel=True)
        self._thumbs_bg.shutdown(cancel=True)
        self._io_bg.shutdown(cancel=False)  # queued stops and recording finalisations still run
        if self.pipeline is not None:
            self.pipeline.stop()
        for source in (self.source, self._pending_source[1] if self._pending_source else None):
            if source is not None:
                source.close()
        self.pipeline = self.source = self._pending_source = None
