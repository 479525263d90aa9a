"""`animecam bench`: the pipeline's per-stage cost and frame rate on a clip, with and without the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from animecam.core.frames import FrameResult, FrameSink
from animecam.core.style import Style
from animecam.videofilter.pipeline import Pipeline, PipelineConfig
from animecam.videofilter.sources import VideoFileSource


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


def _run(clip: Path, style: Style, max_frames: int | None) -> tuple[float, dict[str, float], int]:
    import time

    with VideoFileSource(clip) as source:
        pipeline = Pipeline(source, style, [_NullSink()], PipelineConfig(max_frames=max_frames))
        started = time.perf_counter()
        stats = pipeline.run()
        seconds = time.perf_counter() - started
    return stats.frames / seconds, stats.stage_ms, stats.frames


def bench_pipeline(clip: Path, style: Style, backend: str, max_frames: int | None = None) -> dict:
    """Runs the clip twice (the style, then an identity stand-in); fps is frames over wall time."""
    fps, stages, frames = _run(clip, style, max_frames)
    fps_plain, stages_plain, _ = _run(clip, _IdentityStyle(style.input_size), max_frames)
    return {
        "fps": round(fps, 2),
        "stages_ms": {k: round(v, 3) for k, v in stages.items()},
        "frames": frames,
        "input": str(clip),
        "style": style.name,
        "backend": backend,
        "without_style": {
            "fps": round(fps_plain, 2),
            "stages_ms": {k: round(v, 3) for k, v in stages_plain.items()},
        },
    }
