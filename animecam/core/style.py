"""The interface between the pipeline and whatever stylises faces (implemented in engine/)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from animecam.core.align import DEFAULT_ALIGN, AlignConfig


@runtime_checkable
class Style(Protocol):
    """Turns a batch of aligned face crops into stylised crops.

    `stylize` takes an (N, S, S, 3) uint8 BGR array, S == `input_size`, N >= 1, and returns a
    new array of the same shape and dtype. `landmarks`, when given, is (N, 5, 2) float: each crop's
    5 landmarks (YuNet order, crop pixels, smoothed by the tracker); None means the canonical
    `align.template(S, crop_framing(style))`. Styles that only look at pixels accept and ignore
    it. It must be safe to call from one worker thread while another thread calls `set_style` /
    `set_style_mix`.

    A style that takes a `memories` keyword gets one dict per crop, the same dict for the same
    tracked person on every frame (dropped when the person leaves): what it keeps there between
    drawings (a person's colours) steadies their drawing on a noisy camera. The style stays
    stateless itself, so one style object can serve several pipelines.

    A style may also have an `align` attribute (an `AlignConfig`): the framing it wants its crops
    in (see `crop_framing`); without one, crops are FFHQ-framed as the engines were trained.
    """

    name: str
    input_size: int

    def stylize(self, crops: np.ndarray, landmarks: np.ndarray | None = None) -> np.ndarray: ...


@runtime_checkable
class FigureStyle(Style, Protocol):
    """A style that knows where its drawing shows the person (the procedural looks do).

    `stylize_figure` takes what `stylize` takes and returns (N, S, S, 4) uint8 BGRA: the drawn crops
    with alpha = the drawn figure (face, hair, headwear, neck, body and their outline), 0 where the
    crop is background. The pipeline pastes only the figure, so its own scene (or the photo, faces
    only) shows around the head instead of a second, differently drawn background.
    """

    def stylize_figure(
        self, crops: np.ndarray, landmarks: np.ndarray | None = None, strength: float = 1.0
    ) -> np.ndarray: ...


def crop_framing(style: Style) -> AlignConfig:
    """How `style` wants its crops framed: its `align` attribute, else the FFHQ default."""
    framing = getattr(style, "align", DEFAULT_ALIGN)
    return framing if isinstance(framing, AlignConfig) else DEFAULT_ALIGN


@runtime_checkable
class MultiStyle(Style, Protocol):
    """A single engine holding several styles that can be switched or blended for free."""

    style_names: Sequence[str]

    def set_style(self, index: int) -> None: ...

    def set_style_mix(self, weights: Sequence[float]) -> None: ...


@dataclass(frozen=True)
class StyleInfo:
    """One row of `animecam styles`."""

    name: str
    source: str  # "built-in", or the pack folder it was installed into
    size: int  # input crop size in pixels
    backend: str  # backend that would run it here: "numpy", "onnxruntime", "tensorrt", "torch"
