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

from animecam.core.frames import FrameSource, SourceInfo
from animecam.core.style import MultiStyle, Style
from animecam.gui.outputs import OUTPUT_KINDS, OUTPUT_RULES, OutputKind, new_recording_path
from animecam.gui.services import Services
from animecam.gui.settings import KNOBS, AppSettings
from animecam.gui.workers import Background, ManagedSink, PreviewSink, describe
from animecam.videofilter.pipeline import Pipeline
from animecam.videofilter.sources import LoopingSource

log = logging.getLogger(__name__)

STATS_INTERVAL_MS = 250
CAMERA_POLL_MS = 2000  # how quickly a plugged-in camera shows up in the picker


class Session(QObject):
    styles_listed = pyqtSignal(list)  # [StyleInfo]
    style_changed = pyqtSignal(str, object)  # name, Style now running
    style_failed = pyqtSignal(str)  # name that could not be loaded (the banner says why)
    thumbnail_ready = pyqtSignal(str, object)  # style name, BGR ndarray
    source_changed = pyqtSignal(str, object)  # spec, SourceInfo
    source_failed = pyqtSignal(str, str)  # spec that could not be opened, why
    cameras_changed = pyqtSignal(list)  # [CameraDevice]
    notice = pyqtSignal(str, str, str)  # key, level ("warning" | "error"), message; "" clears the key
    stats_changed = pyqtSignal(object)  # PipelineStats
    # kind, on?, detail: the file or device when on; when off why it stopped or could not start
    # ("" when the person switched it off)
    output_changed = pyqtSignal(str, bool, str)
    output_closed = pyqtSignal(str, str, int)  # kind, file or device, frames written: complete now
    _sink_failed = pyqtSignal(object, object)  # ManagedSink, exception (from the output thread)

    def __init__(
        self,
        services: Services,
        settings: AppSettings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        # Shared with the window: what the panel changes is what the next pipeline starts with.
        self.settings = settings if settings is not None else AppSettings()
        self.preview = PreviewSink()
        self.pipeline: Pipeline | None = None
        self.source: FrameSource | None = None
        self.spec: str | None = None
        self.style: Style | None = None
        self.style_name: str | None = None
        self.outputs: dict[OutputKind, ManagedSink] = {}  # the outputs open now
        self._wanted: set[OutputKind] = set()  # switched on by the person (maybe still opening)
        self._opening: set[OutputKind] = set()
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
        self.settings.style = name
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
            if key not in KNOBS:
                raise ValueError(f"unknown setting {key!r}: one of {', '.join(KNOBS)}")
            setattr(self.settings.pipeline, key, value)
        if self.pipeline is not None:  # it keeps its own copy of the configuration
            self.pipeline.configure(**changes)

    # -- sources -----------------------------------------------------------------------------------
    def open_source(self, spec: str) -> None:
        """Opens `spec` and runs it once it is open; it is remembered even when it cannot be opened,
        so an unplugged camera is tried again at the next start."""
        self.settings.camera = spec
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
            self.source_failed.emit(spec, describe(err))

    def _start_pipeline(self, spec: str, source: FrameSource) -> None:
        assert self.style is not None
        self._pending_source = None
        self._retire_pipeline()
        self.spec, self.source = spec, source
        self.pipeline = Pipeline(source, self.style, [self.preview], self.settings.pipeline)
        self.pipeline.start()
        self.source_changed.emit(spec, source.info)
        for kind in sorted(self._wanted):
            self.set_output(kind, True)

    def _retire_pipeline(self) -> None:
        """Stops the running pipeline on a worker thread (its sinks are finalised as it stops)."""
        for kind in list(self.outputs):
            if OUTPUT_RULES[kind].follows_source:
                del self.outputs[kind]  # closed by the pipeline's stop; reopened by the next pipeline
            else:
                self.set_output(kind, False)
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
    def set_output(self, kind: OutputKind, on: bool) -> None:
        """Switches the recording or the virtual camera on or off (opening happens on a worker
        thread); `output_changed` says how it went, `output_closed` when a closed one is complete."""
        if kind not in OUTPUT_KINDS:
            raise ValueError(f"unknown output {kind!r}: one of {', '.join(OUTPUT_KINDS)}")
        if not on:
            self._wanted.discard(kind)
            self._close_output(kind)
            return
        self._wanted.add(kind)
        if kind in self.outputs or kind in self._opening:
            return
        pipeline, source = self.pipeline, self.source
        if pipeline is None or source is None:
            if OUTPUT_RULES[kind].follows_source:  # _start_pipeline opens it with the next source
                self.output_changed.emit(kind, False, "waiting for a picture: starts with the next source")
            else:
                self._wanted.discard(kind)
                self.notice.emit(kind, "warning", "nothing to record yet: pick a camera or a video file")
                self.output_changed.emit(kind, False, "")
            return
        self._opening.add(kind)
        self._io_bg.submit(
            partial(self._open_output, kind, source.info, Path(self.settings.output_folder).expanduser()),
            partial(self._output_opened, kind, pipeline),
            partial(self._output_failed, kind),
        )

    def _open_output(self, kind: OutputKind, info: SourceInfo, folder: Path) -> ManagedSink:
        """Runs on the io thread: creating folders and opening devices can take a while."""
        if kind == "recorder":
            path = new_recording_path(folder)
            # A recording starts mid-stream (and a file source loops): the file's own audio track and
            # length do not apply to it.
            info = replace(info, audio_path=None, frame_count=None)
            sink = self.services.open_sink(kind, path=path, info=info)
            name = str(path)
        else:
            sink = self.services.open_sink(kind)
            name = str(getattr(sink, "device", "virtual camera"))
        return ManagedSink(sink, lambda managed, err: self._sink_failed.emit(managed, err), name)

    def _output_opened(self, kind: OutputKind, pipeline: Pipeline, sink: ManagedSink) -> None:
        self._opening.discard(kind)
        if pipeline is not self.pipeline or kind not in self._wanted:
            self._io_bg.submit(sink.close)
            if kind in self._wanted and self.pipeline is not None:  # the source changed meanwhile
                self.set_output(kind, True)
            return
        self.outputs[kind] = sink
        sink.started = time.monotonic()
        pipeline.add_sink(sink)
        self.notice.emit(kind, "", "")
        self.output_changed.emit(kind, True, sink.name)

    def _output_failed(self, kind: OutputKind, err: BaseException) -> None:
        self._opening.discard(kind)
        self._wanted.discard(kind)
        rules = OUTPUT_RULES[kind]
        self.notice.emit(kind, rules.level, f"{rules.cannot}{describe(err)}")
        self.output_changed.emit(kind, False, describe(err))

    def _close_output(self, kind: OutputKind, why: str = "") -> None:
        sink, pipeline = self.outputs.pop(kind, None), self.pipeline
        self.output_changed.emit(kind, False, why)
        if sink is None:
            return

        def finalise() -> int:
            if pipeline is not None:
                pipeline.remove_sink(sink)  # closes it; a no-op when the pipeline already did
            return sink.count

        self._io_bg.submit(
            finalise,
            partial(self.output_closed.emit, kind, sink.name),
            lambda err: self.notice.emit(kind, "error", f"{OUTPUT_RULES[kind].name} failed: {describe(err)}"),
        )

    def _on_sink_failed(self, sink: ManagedSink, err: BaseException) -> None:
        kind = next((k for k, open_sink in self.outputs.items() if open_sink is sink), None)
        if kind is None:
            return
        rules = OUTPUT_RULES[kind]
        why = f"{rules.name} stopped: {describe(err)}"
        self.notice.emit(kind, rules.level, why)
        self._wanted.discard(kind)
        self._close_output(kind, why)

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
