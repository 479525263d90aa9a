"""`animecam bench`: the pipeline's per-stage cost and frame rate on a clip, with and without the model."""

from __future__ import annotations

import time

import numpy as np

from animecam.core.frames import FrameResult, FrameSink
from animecam.core.style import Style
from animecam.videofilter.pipeline import Pipeline, PipelineConfig
from animecam.videofilter.sources import open_source


class _NullSink(FrameSink):
    def write(self, result: FrameResult) -> None:
        pass

    def close(self) -> None:
        pass


class _IdentityStyle:
    """Stands in for the model so the rest of the pipeline is measured alone."""

    def __init__(self, input_size: int) -> None:
        self.name = "identity"
        self.input_size = input_size

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        return crops.copy()


def _run(clip: str, style: Style, max_frames: int | None, scene: bool) -> dict:
    """fps (frames over wall time), cpu_ms_per_frame (the process's CPU time, all threads, over the
    frames delivered: what other jobs on the cores move far less than fps) and the stage medians."""
    with open_source(clip) as source:
        pipeline = Pipeline(source, style, [_NullSink()], PipelineConfig(max_frames=max_frames, scene=scene))
        started, cpu_started = time.perf_counter(), time.process_time()
        stats = pipeline.run()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    frames = max(1, stats.frames)
    return {
        "fps": round(stats.frames / seconds, 2),
        "cpu_ms_per_frame": round(1e3 * cpu_seconds / frames, 3),
        "stages_ms": {k: round(v, 3) for k, v in stats.stage_ms.items()},
        "frames": stats.frames,
    }


def bench_pipeline(
    clip: str, style: Style, backend: str, max_frames: int | None = None, scene: bool = True
) -> dict:
    """Runs the clip twice (the style, then an identity stand-in). `clip` is anything
    `open_source` opens (`demo`: the built-in clip) and is reported as given; `scene` False = face only."""
    report = _run(clip, style, max_frames, scene)
    plain = _run(clip, _IdentityStyle(style.input_size), max_frames, scene)
    del plain["frames"]
    extra = {"input": clip, "style": style.name, "backend": backend, "scene": scene, "without_style": plain}
    return {**report, **extra}
