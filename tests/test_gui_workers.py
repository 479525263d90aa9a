"""The app's thread-crossing helpers on their own: the preview slot and guarded outputs."""

from __future__ import annotations

import numpy as np

from animecam.core.frames import Frame, FrameResult, FrameSink
from animecam.gui.workers import ManagedSink, PreviewSink


def _result(index: int) -> FrameResult:
    frame = Frame(np.zeros((2, 2, 3), np.uint8), index, index / 10.0)
    return FrameResult(frame, frame)


def test_preview_keeps_only_the_newest_frame_and_signals_once(qtbot) -> None:
    preview = PreviewSink()
    with qtbot.waitSignals([preview.notifier.ready], timeout=1000):
        for index in range(3):
            preview.write(_result(index))
    assert preview.take().output.index == 2
    assert preview.take() is None
    assert (preview.written, preview.replaced) == (3, 2)


class Failing(FrameSink):
    def __init__(self) -> None:
        self.writes = 0

    def write(self, result: FrameResult) -> None:
        self.writes += 1
        if self.writes == 2:
            raise OSError("disk full")

    def close(self) -> None:
        pass


def test_managed_sink_reports_one_failure_and_stops_writing() -> None:
    failures: list[str] = []
    inner = Failing()
    sink = ManagedSink(inner, lambda managed, err: failures.append(str(err)), "out.mp4")
    for index in range(4):
        sink.write(_result(index))
    assert failures == ["disk full"] and inner.writes == 2 and sink.count == 1
