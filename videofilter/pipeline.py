"""Wiring of the stages: Pipeline (threads and queues) around FaceFilter (one frame, one thread;
videofilter/frame_filter.py).

    source --capture thread--> [queue] --process thread (FaceFilter)--> [queue] --output thread--> sinks

Live sources use size-2 queues that drop the oldest frame, so latency never builds up; files are
processed lossless and in order (the queues block instead).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2

from animecam.core.frames import FrameResult, FrameSink, FrameSource
from animecam.core.style import Style
from animecam.videofilter.frame_filter import FaceFilter, PipelineConfig, draw_faces, style_thumbnail

# FaceFilter, PipelineConfig and the helpers live in frame_filter.py; importers know them from here.
__all__ = [
    "STAGES", "FaceFilter", "Pipeline", "PipelineConfig", "PipelineStats", "draw_faces", "style_thumbnail",
]

log = logging.getLogger(__name__)

STAGES = ("read", "track", "scene", "align", "style", "smooth", "compose", "write")


@dataclass(frozen=True)
class PipelineStats:
    frames: int = 0  # frames delivered to the sinks
    dropped: int = 0  # frames dropped to keep a live stream current
    fps: float = 0.0  # delivered frames per second over the last couple of seconds
    stage_ms: dict[str, float] = field(default_factory=dict)  # stage -> median ms
    notice: str | None = None  # a recoverable fault, while it lasts


class _StageTimes:
    """Rolling per-stage medians and the delivered frame rate, shared by the three threads."""

    def __init__(self, window: int) -> None:
        self._lock = threading.Lock()
        self._ms: dict[str, deque[float]] = {name: deque(maxlen=window) for name in STAGES}
        self._delivered: deque[float] = deque(maxlen=window)

    def add(self, stage_ms: dict[str, float]) -> None:
        with self._lock:
            for name, value in stage_ms.items():
                self._ms.setdefault(name, deque(maxlen=self._delivered.maxlen)).append(value)

    def delivered(self) -> None:
        with self._lock:
            self._delivered.append(time.perf_counter())

    def snapshot(self) -> tuple[float, dict[str, float]]:
        with self._lock:
            stamps = list(self._delivered)
            medians = {k: statistics.median(v) for k, v in self._ms.items() if v}
        fps = (
            (len(stamps) - 1) / (stamps[-1] - stamps[0])
            if len(stamps) > 1 and stamps[-1] > stamps[0]
            else 0.0
        )
        return fps, medians


_END = object()  # end-of-stream marker passed down the queues


class Pipeline:
    """Runs source -> FaceFilter -> sinks on three threads; the caller only starts, steers and stops."""

    def __init__(
        self,
        source: FrameSource,
        style: Style,
        sinks: Sequence[FrameSink] = (),
        config: PipelineConfig | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.source = source
        # The caller's object, not a copy: the app's one settings object is this config (configure()
        # changes it in place, read by the threads at each frame).
        self.config = config if config is not None else PipelineConfig()
        self.filter = FaceFilter(style, self.config)
        self._sinks: list[FrameSink] = list(sinks)
        self._sinks_lock = threading.Lock()
        # Held while the output thread writes one frame to the sinks, so a sink removed from
        # another thread is never closed in the middle of a write (x264 deadlocks on that).
        self._writing = threading.RLock()
        self._on_error = on_error
        self.errors: list[BaseException] = []
        self._lossless = not source.info.live and not self.config.realtime
        # Lossless queues are a little deeper so decode, filter and encode overlap smoothly.
        size = 8 if self._lossless else self.config.queue_size
        self._frames_q: queue.Queue = queue.Queue(maxsize=size)
        self._results_q: queue.Queue = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        # queue_size credits fill the stages (the next frame is read while one is filtered) and
        # never overfill a live queue, so a paced source loses no frame to a queue.
        paced = source.newest_on_read and not self._lossless and self.config.pace_capture
        self._credits = threading.Semaphore(self.config.queue_size) if paced else None
        self._times = _StageTimes(self.config.stats_window)
        self._frames = 0
        self._dropped = 0
        self._threads: list[threading.Thread] = []

    # -- steering (any thread) ---------------------------------------------------------------
    def set_style(self, style: Style) -> None:
        self.filter.set_style(style)

    def configure(self, **changes: float | bool) -> None:
        # Every name is checked before any is set: a refused call changes nothing.
        for name in changes:
            if name not in ("strength", "smoothing", "scene", "mirror", "draw_faces"):
                raise ValueError(f"unknown pipeline setting {name!r}")
        for name, value in changes.items():
            setattr(self.config, name, value)

    def add_sink(self, sink: FrameSink) -> None:
        with self._sinks_lock:
            self._sinks.append(sink)

    def remove_sink(self, sink: FrameSink) -> None:
        with self._sinks_lock:
            if sink not in self._sinks:
                return
            self._sinks.remove(sink)
        with self._writing:
            sink.close()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    @property
    def stats(self) -> PipelineStats:
        fps, medians = self._times.snapshot()
        dropped = self._dropped + self.source.skipped
        return PipelineStats(self._frames, dropped, fps, medians, self.source.status)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            raise RuntimeError("a pipeline can be started once")
        if self.config.opencv_threads > 0:
            cv2.setNumThreads(self.config.opencv_threads)  # process-wide in OpenCV
        for target, name in (
            (self._capture, "capture"),
            (self._process, "process"),
            (self._output, "output"),
        ):
            thread = threading.Thread(target=self._guard(target), name=f"animecam-{name}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def request_stop(self) -> None:
        """Ask the threads to finish (safe from any thread, a sink or an error callback included)."""
        self._stop.set()

    def stop(self) -> None:
        self.request_stop()
        self.join()

    def join(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def run(self) -> PipelineStats:
        """Blocking: process the whole source (or until stop()), then raise the first error, if any."""
        self.start()
        try:
            while self.running:
                self.join(timeout=0.2)
        except KeyboardInterrupt:
            self.stop()
            raise
        finally:
            self.join()
        if self.errors:
            raise self.errors[0]
        return self.stats

    # -- threads -----------------------------------------------------------------------------
    def _guard(self, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as err:
                self._fail(err)

        return run

    def _fail(self, err: BaseException) -> None:
        log.debug("pipeline stopped by an error", exc_info=err)
        self._stop.set()
        self._report(err)

    def _report(self, err: BaseException) -> None:
        self.errors.append(err)
        if self._on_error is not None:
            self._on_error(err)

    def _put(self, q: queue.Queue, item: object) -> None:
        """Lossless: wait for room (checking for stop). Live: drop the oldest item instead."""
        while not self._stop.is_set():
            try:
                q.put(item, timeout=0.1 if self._lossless else 0)
                return
            except queue.Full:
                if not self._lossless:
                    try:
                        q.get_nowait()
                        self._dropped += 1
                        self._frame_left()
                    except queue.Empty:
                        pass

    def _get(self, q: queue.Queue) -> object:
        while True:
            try:
                return q.get(timeout=0.1)
            except queue.Empty:
                if self._stop.is_set():
                    return _END

    def _capture(self) -> None:
        start = time.perf_counter()
        first_pts: float | None = None
        try:
            while not self._stop.is_set():
                # The timeout keeps stop() prompt while every credit is out.
                if self._credits is not None and not self._credits.acquire(timeout=0.1):
                    continue
                t = time.perf_counter()
                try:
                    frame = self.source.read()
                except Exception as err:
                    # End the stream here but let the frames already read reach the sinks.
                    self._report(err)
                    break
                read_ms = (time.perf_counter() - t) * 1e3
                if frame is None:
                    break
                if self.config.realtime and not self.source.info.live:
                    first_pts = frame.pts if first_pts is None else first_pts
                    delay = (frame.pts - first_pts) - (time.perf_counter() - start)
                    if delay > 0:
                        self._stop.wait(delay)
                self._put(self._frames_q, (frame, read_ms))
        finally:
            self._put_end(self._frames_q)

    def _put_end(self, q: queue.Queue) -> None:
        # The end marker must get through even to a full live queue, or the next thread would wait.
        while True:
            try:
                q.put(_END, timeout=0.1)
                return
            except queue.Full:
                if self._lossless and not self._stop.is_set():
                    continue  # the next thread is still working through the queue: lose nothing
                with contextlib.suppress(queue.Empty):
                    q.get_nowait()

    def _process(self) -> None:
        try:
            while (item := self._get(self._frames_q)) is not _END:
                frame, read_ms = item  # type: ignore[misc]
                result = self.filter.process(frame)
                result.stage_ms["read"] = read_ms
                result.notice = self.source.status
                self._put(self._results_q, result)
        finally:
            self._put_end(self._results_q)

    def _output(self) -> None:
        try:
            while (result := self._get(self._results_q)) is not _END:
                t = time.perf_counter()
                self._write(result)  # type: ignore[arg-type]
                result.stage_ms["write"] = (time.perf_counter() - t) * 1e3  # type: ignore[union-attr]
                self._times.add(result.stage_ms)  # type: ignore[union-attr]
                self._times.delivered()
                self._frames += 1
                self._frame_left()
                if self.config.max_frames is not None and self._frames >= self.config.max_frames:
                    self._stop.set()
                    break
        finally:
            with self._sinks_lock:
                sinks, self._sinks = self._sinks, []
            for sink in sinks:
                self._close_sink(sink)

    def _frame_left(self) -> None:
        """A frame was delivered or dropped: the capture thread may read one more."""
        if self._credits is not None:
            self._credits.release()

    def _write(self, result: FrameResult) -> None:
        with self._writing:
            self._write_to_sinks(result)

    def _write_to_sinks(self, result: FrameResult) -> None:
        with self._sinks_lock:
            sinks = list(self._sinks)
        for sink in sinks:
            try:
                sink.write(result)
            except Exception as err:
                with self._sinks_lock:
                    if sink in self._sinks:
                        self._sinks.remove(sink)
                self._close_sink(sink)
                self._report(err)
                with self._sinks_lock:
                    if not self._sinks:  # nothing left to deliver to
                        self._stop.set()

    def _close_sink(self, sink: FrameSink) -> None:
        try:
            sink.close()
        except Exception as err:
            self._report(err)
