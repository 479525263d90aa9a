"""Pipeline branches test_pipeline.py does not reach: realtime pacing (the GUI's default) plays a file
at its own rate and drops rather than lags behind a slow sink; configure() refuses unknown settings
without applying any; start() twice."""

from __future__ import annotations

import time

import numpy as np
import pytest
from test_pipeline import FakeSource, Keep, ListSink

from animecam.core.frames import FrameResult
from animecam.videofilter.pipeline import Pipeline, PipelineConfig

BLACK = np.zeros((48, 64, 3), np.uint8)
FPS = 30.0  # FakeSource's frames are index / 30 s apart


class StampingSink(ListSink):
    """Notes when each frame arrived."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(delay=delay)
        self.arrived: list[float] = []

    def write(self, result: FrameResult) -> None:
        self.arrived.append(time.perf_counter())
        super().write(result)


def test_realtime_plays_a_file_at_its_own_rate() -> None:
    """No frame reaches the sinks before its time in the clip (a lower bound: sleeping guarantees it,
    so a busy machine cannot make this fail), and none is lost while the sink keeps up."""
    sink = StampingSink()
    started = time.perf_counter()
    stats = Pipeline(FakeSource(BLACK, 15), Keep(), [sink], PipelineConfig(realtime=True)).run()
    assert [r.output.index for r in sink.results] == list(range(15)) and stats.dropped == 0
    elapsed = np.array(sink.arrived) - started
    clip_time = np.array([r.output.pts for r in sink.results]) - sink.results[0].output.pts
    assert np.all(elapsed >= clip_time), (elapsed - clip_time).min()


def test_realtime_drops_frames_rather_than_lagging_behind_a_slow_sink() -> None:
    """A sink three times slower than the clip's rate: frames are dropped so the newest get through,
    instead of every frame arriving later and later (lossless file mode would keep all of them)."""
    count = 45
    sink = ListSink(delay=0.1)  # 10 frames per second against the clip's 30
    stats = Pipeline(FakeSource(BLACK, count), Keep(), [sink], PipelineConfig(realtime=True)).run()
    indices = [r.output.index for r in sink.results]
    assert indices == sorted(indices) and stats.dropped > 0 and len(indices) < count
    assert indices[-1] >= count - 4  # the end of the clip arrived, not frames from seconds before it


def test_configure_refuses_unknown_settings_and_applies_none_of_that_call() -> None:
    pipeline = Pipeline(FakeSource(BLACK, 1), Keep(), [ListSink()], PipelineConfig(strength=1.0))
    pipeline.configure(strength=0.25, mirror=True)
    assert (pipeline.config.strength, pipeline.config.mirror) == (0.25, True)
    with pytest.raises(ValueError, match="unknown pipeline setting 'realtime'"):
        pipeline.configure(strength=0.75, realtime=True)  # set at construction only
    with pytest.raises(ValueError, match="unknown pipeline setting 'bogus'"):
        pipeline.configure(bogus=1)
    assert (pipeline.config.strength, pipeline.config.realtime) == (0.25, False)
    assert not hasattr(pipeline.config, "bogus")


def test_start_twice_is_refused_and_runs_one_set_of_threads() -> None:
    sink = ListSink()
    pipeline = Pipeline(FakeSource(BLACK, 10), Keep(), [sink])
    pipeline.start()
    threads = list(pipeline._threads)
    with pytest.raises(RuntimeError, match="a pipeline can be started once"):
        pipeline.start()
    pipeline.join()
    assert pipeline._threads == threads and len(threads) == 3
    assert [r.output.index for r in sink.results] == list(range(10))  # each frame once, not twice
    with pytest.raises(RuntimeError, match="started once"):  # nor again after it finished
        pipeline.start()


def test_pipeline_shares_the_callers_config() -> None:
    """The app's one settings object: the pipeline reads the caller's config, and configure() writes it."""
    config = PipelineConfig(strength=0.5)
    pipeline = Pipeline(FakeSource(BLACK, 1), Keep(), [ListSink()], config)
    assert pipeline.config is config and pipeline.filter.config is config
    pipeline.configure(smoothing=0.2)
    assert config.smoothing == 0.2
