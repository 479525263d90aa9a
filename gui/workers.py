"""Helpers between the pipeline's threads and the UI thread.

- `PreviewSink` is a FrameSink the pipeline's output thread writes to. It only stores the newest
  result and, when the UI has taken the previous one, posts one queued signal: the UI thread takes
  the newest frame whenever it gets to it, so a slow UI drops frames instead of queueing them.
- `Background` runs slow calls (loading a style, opening a camera, finalising a recording) on its
  own worker thread and hands the result back to the UI thread through a queued signal.
- `ManagedSink` wraps an optional output so its failure switches only that output off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from animecam.core.errors import UserError
from animecam.core.frames import FrameResult, FrameSink

log = logging.getLogger(__name__)


class _Notifier(QObject):
    ready = pyqtSignal()


class PreviewSink(FrameSink):
    """Latest-frame slot between the output thread and the UI thread."""

    def __init__(self) -> None:
        self.notifier = _Notifier()  # created on the UI thread, so its signal is delivered there
        self._lock = threading.Lock()
        self._latest: FrameResult | None = None
        self.written = 0  # frames the pipeline delivered
        self.replaced = 0  # frames overwritten before the UI took them (the UI was behind)

    def write(self, result: FrameResult) -> None:
        with self._lock:
            waiting = self._latest is not None
            self._latest = result
            self.written += 1
            self.replaced += waiting
        if not waiting:  # one notification per frame the UI actually takes
            self.notifier.ready.emit()

    def take(self) -> FrameResult | None:
        with self._lock:
            result, self._latest = self._latest, None
        return result

    def close(self) -> None:
        # The same preview outlives pipelines (a new one starts on every source change).
        pass


def describe(err: BaseException) -> str:
    """One line for the banner: a UserError's own words, anything else with its type."""
    if isinstance(err, UserError):
        return str(err)
    return f"{type(err).__name__}: {' '.join(str(err).split()) or 'no details'}"


class ManagedSink(FrameSink):
    """An optional output (recording, virtual camera): counts frames, and a failure in it only
    switches it off (reported once) instead of stopping the preview."""

    def __init__(self, inner: FrameSink, on_failure, name: str = "") -> None:
        self.inner = inner
        self.name = name  # the recording's path, or the virtual camera's device
        self.count = 0
        self.started = time.monotonic()
        self._on_failure = on_failure
        self._failed = False

    def write(self, result: FrameResult) -> None:
        if self._failed:
            return
        try:
            self.inner.write(result)
        except Exception as err:
            self._failed = True
            self._on_failure(self, err)
            return
        self.count += 1

    def close(self) -> None:
        self.inner.close()


class Background(QObject):
    """A single worker thread whose results arrive on the UI thread as callbacks."""

    _deliver = pyqtSignal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"animecam-gui-{name}")
        self._closed = False
        self._deliver.connect(self._run_callback)

    def submit(
        self,
        work: Callable[[], Any],
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if self._closed:
            return

        def job() -> None:
            try:
                value = work()
            except Exception as err:
                log.debug("background call failed", exc_info=err)
                if on_error is not None:
                    self._post(partial(on_error, err))
                return
            if on_result is not None:
                self._post(partial(on_result, value))

        self._pool.submit(job)

    def _post(self, callback: Callable[[], None]) -> None:
        if not self._closed:
            self._deliver.emit(callback)

    def _run_callback(self, callback: Callable[[], None]) -> None:
        if not self._closed:
            callback()

    def shutdown(self, cancel: bool) -> None:
        """Waits for the running call (and the queued ones unless `cancel`); later results are ignored."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=cancel)
