"""The app's thread-crossing helpers on their own: preview slot, looping file, guarded outputs."""

from __future__ import annotations

import numpy as np
import pytest

from animecam.core.frames import Frame, FrameResult, FrameSink, FrameSource, SourceInfo
from animecam.gui.workers import LoopingSource, ManagedSink, PreviewSink


class Counter(FrameSource):
    def __init__(self, count: int) -> None:
        self.info = SourceInfo("counter", 4, 4, 10.0, count)
        self.count, self.index, self.closed = count, 0, False

    def read(self) -> Frame | None:
        if self.index >= self.count:
            return None
        frame = Frame(np.full((4, 4, 3), self.index, np.uint8), self.index, self.index / 10.0)
        self.index += 1
        return frame

    def close(self) -> None:
        self.closed = True


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


def test_looping_source_continues_indices_and_timestamps() -> None:
    opened: list[Counter] = []

    def reopen() -> Counter:
        opened.append(Counter(3))
        return opened[-1]

    first = Counter(3)
    source = LoopingSource(first, reopen)
    frames = [source.read() for _ in range(8)]
    assert [f.index for f in frames] == list(range(8))
    assert [f.pts for f in frames] == pytest.approx([i / 10.0 for i in range(8)])
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 1, 2, 0, 1, 2, 0, 1]
    assert first.closed and opened[0].closed and not opened[1].closed
    source.close()
    assert opened[1].closed


def test_looping_source_ends_on_an_empty_file() -> None:
    assert LoopingSource(Counter(0), lambda: Counter(0)).read() is None


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
