"""The pieces of animecam the app calls, gathered in one place so tests and benchmarks can swap one.

Every default is the same function `animecam live` uses; the app adds no image logic of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from animecam.core.frames import FrameSink, FrameSource
from animecam.core.style import Style, StyleInfo
from animecam.gui.outputs import OutputKind


@dataclass
class Services:
    list_styles: Callable[[], Sequence[StyleInfo]]
    load_style: Callable[[str], Style]
    open_source: Callable[[str], FrameSource]  # camera index, device path or video file
    list_cameras: Callable[[], Sequence]  # [CameraDevice(index, name, path)]
    # open_sink("recorder", path=Path, info=SourceInfo) or open_sink("vcam"); raises UserError saying
    # why an output cannot open (no loopback device, a folder that cannot be written).
    open_sink: Callable[..., FrameSink]
    thumbnail: Callable[[Style], np.ndarray]  # BGR picture of the style on a reference face


def default_services(
    backend: str = "auto",
    vcam_backend: str | None = None,
    size: tuple[int, int] = (1280, 720),
    fps: int = 30,
) -> Services:
    """`backend` runs the styles; `vcam_backend` picks a pyvirtualcam backend (None: the first that works)."""

    def list_styles() -> Sequence[StyleInfo]:
        from animecam.engine.styles import list_styles as engine_list_styles

        return engine_list_styles(backend=backend)

    def load_style(name: str) -> Style:
        from animecam.engine.styles import load_style as engine_load_style

        return engine_load_style(name, backend=backend)

    def open_source(spec: str) -> FrameSource:
        from animecam.videofilter.sources import open_source as videofilter_open_source

        return videofilter_open_source(spec, size=size, fps=fps)

    def list_cameras() -> Sequence:
        from animecam.videofilter.sources import list_cameras as videofilter_list_cameras

        return videofilter_list_cameras()

    def open_sink(kind: OutputKind, **opts: Any) -> FrameSink:
        from animecam.videofilter.sinks import open_sink as videofilter_open_sink

        if kind == "vcam":  # the app's picture size and rate, whatever the source's
            opts = {"size": size, "fps": fps, "backend": vcam_backend, **opts}
        return videofilter_open_sink(kind, **opts)

    def thumbnail(style: Style) -> np.ndarray:
        from animecam.videofilter.pipeline import style_thumbnail

        return style_thumbnail(style, size=112)

    return Services(list_styles, load_style, open_source, list_cameras, open_sink, thumbnail)
