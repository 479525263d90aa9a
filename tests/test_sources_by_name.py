"""Sources and sinks by name (`open_source`, `open_sink`), the one looping source, and pacing: a
camera-like source is read, and decoded, only when a frame has left the pipeline."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from media import index_of, make_clip

from animecam.core.errors import UserError
from animecam.core.frames import Frame, FrameResult, FrameSink, FrameSource, SourceInfo
from animecam.videofilter.pipeline import Pipeline, PipelineConfig
from animecam.videofilter.sinks import SINKS, CallbackSink, open_sink
from animecam.videofilter.sources import (
    SOURCES,
    CameraSource,
    DemoSource,
    LoopingSource,
    VideoFileSource,
    open_source,
    source_kind,
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", frames=6, size=(64, 48), fps=30)


def test_source_kinds_by_prefix_or_by_the_look_of_the_spec() -> None:
    assert set(SOURCES) == {"camera", "demo", "file", "image", "loop"}
    assert source_kind("0") == ("camera", "0") and source_kind("/dev/video2") == ("camera", "/dev/video2")
    assert source_kind("camera:1") == ("camera", "1")
    assert source_kind("demo") == ("demo", "demo") and source_kind("shot.JPG") == ("image", "shot.JPG")
    assert source_kind("loop:demo") == ("loop", "demo")
    assert source_kind("C:/clips/a.mp4") == ("file", "C:/clips/a.mp4")  # not a kind: a Windows path
    with pytest.raises(UserError, match=r"names no file: write file:WHAT"):
        open_source("file:")


def test_loop_spec_is_a_live_endless_clip(clip: Path) -> None:
    with open_source(f"loop:{clip}") as source:
        assert isinstance(source, LoopingSource) and source.info.live and source.newest_on_read
        assert source.info.frame_count is None
        frames = [source.read() for _ in range(14)]
    assert source.loops == 2
    assert [f.index for f in frames] == list(range(14))
    assert [index_of(f.image) for f in frames] == [i % 6 for i in range(14)]
    assert all(b.pts > a.pts for a, b in itertools.pairwise(frames))  # wall clock


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


def test_looping_a_file_continues_its_indices_and_timestamps() -> None:
    opened: list[Counter] = []

    def reopen() -> Counter:
        opened.append(Counter(3))
        return opened[-1]

    source = LoopingSource(Counter(3), reopen)
    frames = [source.read() for _ in range(8)]
    assert not source.info.live and not source.newest_on_read
    assert [f.index for f in frames] == list(range(8))
    assert [f.pts for f in frames] == pytest.approx([i / 10.0 for i in range(8)])
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 1, 2, 0, 1, 2, 0, 1]
    source.close()
    assert opened[1].closed and LoopingSource(Counter(0), lambda: Counter(0)).read() is None


def test_demo_by_name_and_the_old_import_paths() -> None:
    from animecam.videofilter.demo import DemoSource as FromDemoModule

    assert FromDemoModule is DemoSource and isinstance(open_source("demo", (64, 48), 10), DemoSource)
    assert open_source.__module__ == "animecam.videofilter.sources"
    assert VideoFileSource.__module__ == "animecam.videofilter.sources.files"


def test_sinks_by_name() -> None:
    assert set(SINKS) == {"callback", "recorder", "still", "strip", "vcam"}
    seen: list[int] = []
    sink = open_sink("callback", fn=lambda result: seen.append(result.output.index))
    assert isinstance(sink, CallbackSink)
    frame = Frame(np.zeros((2, 2, 3), np.uint8), 5, 0.0)
    sink.write(FrameResult(frame, frame))
    assert seen == [5]
    known = r"unknown output 'screen': use one of callback, recorder, still, strip"
    with pytest.raises(UserError, match=known):
        open_sink("screen")


class GrabCapture:
    """cv2.VideoCapture's grab/retrieve split: grab takes a frame off the camera, retrieve decodes it."""

    def __init__(self) -> None:
        self.grabs = self.retrieves = 0

    def isOpened(self) -> bool:
        return True

    def set(self, prop: int, value: float) -> bool:
        return True

    def get(self, prop: int) -> float:
        return 0.0

    def read(self) -> tuple[bool, np.ndarray]:
        self.grab()
        return self.retrieve()

    def grab(self) -> bool:
        time.sleep(0.005)  # a 200 fps camera
        self.grabs += 1
        return True

    def retrieve(self) -> tuple[bool, np.ndarray]:
        self.retrieves += 1
        return True, np.full((48, 64, 3), self.grabs % 256, np.uint8)

    def release(self) -> None:
        pass


def test_a_camera_decodes_only_the_frames_a_reader_waits_for() -> None:
    capture = GrabCapture()
    source = CameraSource(0, size=(64, 48), fps=200, capture_factory=lambda _spec: capture)
    try:
        time.sleep(0.3)  # nobody reads: frames are taken off the camera, not decoded
        assert capture.grabs > 20 and capture.retrieves == 1 and source.skipped >= capture.grabs - 2
        frames = [source.read() for _ in range(5)]
        assert capture.retrieves <= 7  # the first frame, the five read, at most one in the race
        assert all(b.index > a.index for a, b in itertools.pairwise(frames))
    finally:
        source.close()


class FastCamera(FrameSource):
    """A camera-like source that always has a new frame; counts how many it had to make."""

    newest_on_read = True

    def __init__(self) -> None:
        self.info = SourceInfo("fast", 64, 48, 30.0, live=True)
        self.reads = 0
        self._lock = threading.Lock()

    def read(self) -> Frame | None:
        time.sleep(0.001)
        with self._lock:
            self.reads += 1
            return Frame(np.zeros((48, 64, 3), np.uint8), self.reads, self.reads / 1000)


class SlowSink(FrameSink):
    def __init__(self) -> None:
        self.frames = 0

    def write(self, result: FrameResult) -> None:
        time.sleep(0.02)
        self.frames += 1

    def close(self) -> None:
        pass


class Keep:
    name, input_size = "keep", 64

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        return crops


@pytest.mark.parametrize("paced", [True, False])
def test_the_output_side_paces_a_camera_like_source(paced: bool) -> None:
    source, sink = FastCamera(), SlowSink()
    pipeline = Pipeline(source, Keep(), [sink], PipelineConfig(pace_capture=paced, max_frames=15))
    stats = pipeline.run()
    assert sink.frames == 15
    if paced:  # a credit per frame: at most the frames delivered plus the two in flight are read
        assert source.reads <= 15 + 2 and stats.dropped == 0
    else:  # free-running, it reads (decodes) many frames only to drop them
        assert source.reads > 3 * 15 and stats.dropped > 2 * 15
