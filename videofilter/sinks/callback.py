"""A sink that hands every result to a function."""

from __future__ import annotations

from collections.abc import Callable

from animecam.core.frames import FrameResult, FrameSink


class CallbackSink(FrameSink):
    """Hands every result to a function (previews, progress bars, tests)."""

    def __init__(self, fn: Callable[[FrameResult], None]) -> None:
        self.fn = fn

    def write(self, result: FrameResult) -> None:
        self.fn(result)

    def close(self) -> None:
        pass
