"""Where frames come from, one module per kind, opened by name with `open_source`.

Every source yields BGR uint8 frames with a 0-based index and a presentation time in seconds.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Protocol

from animecam.core.errors import UserError
from animecam.core.frames import FrameSource
from animecam.videofilter.sources.camera import CameraDevice, CameraSource, list_cameras
from animecam.videofilter.sources.demo import DemoSource
from animecam.videofilter.sources.files import VideoFileSource
from animecam.videofilter.sources.image import IMAGE_SUFFIXES, ImageSource
from animecam.videofilter.sources.looping import LoopingSource

__all__ = [
    "IMAGE_SUFFIXES", "SOURCES", "CameraDevice", "CameraSource", "DemoSource", "ImageSource",
    "LoopingSource", "VideoFileSource", "list_cameras", "open_source", "source_kind",
]


class _OpensFromSpec(Protocol):
    def from_spec(self, target: str, size: tuple[int, int], fps: float) -> FrameSource: ...


class _LoopedClip:
    """`loop:CLIP`: any clip `open_source` takes (a file, `demo`), played as a live camera. Defined
    here, not in looping.py, because it opens its clip by spec (looping.py knows no kinds)."""

    @staticmethod
    def from_spec(target: str, size: tuple[int, int], fps: float) -> LoopingSource:
        reopen = partial(open_source, target, size, fps)
        return LoopingSource(reopen(), reopen, live=True)


# `open_source("KIND:TARGET")` picks a kind by name; without a known prefix the kind is guessed.
SOURCES: dict[str, _OpensFromSpec] = {
    "camera": CameraSource,
    "demo": DemoSource,
    "file": VideoFileSource,
    "image": ImageSource,
    "loop": _LoopedClip,
}


def source_kind(spec: str) -> tuple[str, str]:
    """(kind, target) of a source spec: `camera:0`, `loop:clip.mp4`, or a bare `0`, `/dev/video2`,
    `demo` (the built-in clip, unless a file of that name exists), an image or a video file."""
    text = str(spec).strip()
    kind, colon, target = text.partition(":")
    if colon and kind in SOURCES:
        return kind, target
    if text.isdigit() or re.fullmatch(r"/dev/video\d+", text):
        return "camera", text
    path = Path(text).expanduser()
    if text == "demo" and not path.exists():
        return "demo", text
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return "image", text
    return "file", text


def open_source(spec: str, size: tuple[int, int] = (1280, 720), fps: float = 30.0) -> FrameSource:
    """Opens a source by its spec (see `source_kind`); `size` and `fps` are what cameras and the
    demo are asked for (files keep their own)."""
    kind, target = source_kind(spec)
    if not target and kind != "demo":
        raise UserError(f"the source {spec!r} names no {kind}: write {kind}:WHAT, e.g. camera:0 or loop:demo")
    return SOURCES[kind].from_spec(target, size, fps)
