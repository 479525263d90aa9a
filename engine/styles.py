"""The style catalogue the pipeline, CLI and GUI use: built-in procedural looks plus every style of
every bundled (engine/packs_builtin/) and installed pack.

A pack-backed style is a `PackStyle`. All styles of one pack share one loaded engine per backend
(cached), so `load_style("a")` then `load_style("b")` for two styles of one pack loads the model
once, and `set_style` / `set_style_mix` only swap the weight vector fed to the model's `style` input.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from animecam.core.errors import UserError
from animecam.core.style import Style, StyleInfo
from animecam.engine.backends import InferenceBackend, check_backend_name, create_backend, pick_backend
from animecam.engine.looks import PROCEDURAL_STYLES, procedural_style
from animecam.engine.packs import StylePack, bundled_packs, installed_packs

DEFAULT_STYLE = "anime"


@dataclass(frozen=True)
class _Entry:
    name: str  # catalogue name ("<pack>/<style>" when the plain style name is already taken)
    pack: StylePack
    index: int


class _SharedEngine:
    """One loaded backend shared by every style of a pack; `lock` serialises runs from several users."""

    def __init__(self, backend: InferenceBackend) -> None:
        self.backend = backend
        self.lock = threading.Lock()


_ENGINES: dict[tuple[str, str, str], _SharedEngine] = {}
_ENGINES_LOCK = threading.Lock()


def _engine(pack: StylePack, backend: str) -> _SharedEngine:
    key = (str(pack.root), pack.model_id, backend)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            verified = StylePack.load(pack.root)  # full hash check before a runtime sees the files
            _ENGINES[key] = _SharedEngine(create_backend(backend, verified))
        return _ENGINES[key]


class PackStyle:
    """A `MultiStyle` over a pack's model: BGR uint8 crops in and out, one engine for all its styles."""

    def __init__(
        self, pack: StylePack, engine: _SharedEngine, style_names: Sequence[str], index: int = 0
    ) -> None:
        self.pack = pack
        self.input_size = pack.input_size
        self.style_names = tuple(style_names)
        self.backend = engine.backend.name
        self._engine = engine
        std = np.asarray(pack.std, np.float32)
        mean = np.asarray(pack.mean, np.float32)
        # x_model = (pixel / 255 - mean) / std, folded into one multiply-add per pixel and its inverse.
        self._scale, self._bias = (1.0 / (255.0 * std)).reshape(1, 3, 1, 1), (-mean / std).reshape(1, 3, 1, 1)
        self._out_scale, self._out_bias = (
            (255.0 * std).reshape(1, 3, 1, 1),
            (255.0 * mean).reshape(1, 3, 1, 1),
        )
        self._swap = pack.channel_order == "RGB"  # crops are BGR
        self.name = self.style_names[index]
        self._weights = np.zeros((1, len(self.style_names)), np.float32)
        self.set_style(index)

    def set_style(self, index: int) -> None:
        if not 0 <= index < len(self.style_names):
            raise UserError(
                f"style index {index} is out of range: this pack has {len(self.style_names)} styles"
            )
        weights = np.zeros((1, len(self.style_names)), np.float32)
        weights[0, index] = 1.0
        self.name = self.style_names[index]
        self._weights = weights  # one reference swap: a concurrent stylize sees the old or the new vector

    def set_style_mix(self, weights: Sequence[float]) -> None:
        mix = np.asarray(weights, np.float64).reshape(-1)
        if (
            mix.shape != (len(self.style_names),)
            or not np.all(np.isfinite(mix))
            or mix.min() < 0
            or mix.sum() <= 0
        ):
            raise UserError(
                f"a style mix needs {len(self.style_names)} non-negative weights with a positive sum"
            )
        mix = mix / mix.sum()
        self.name = " + ".join(f"{n} {w:.0%}" for n, w in zip(self.style_names, mix, strict=True) if w > 0)
        self._weights = mix.astype(np.float32).reshape(1, -1)

    @property
    def style_weights(self) -> np.ndarray:
        return self._weights.reshape(-1).copy()

    def stylize(self, crops: np.ndarray, landmarks: np.ndarray | None = None) -> np.ndarray:
        """`landmarks` is accepted for the Style protocol and unused: the model sees only pixels."""
        size = self.input_size
        if crops.ndim != 4 or crops.shape[1:] != (size, size, 3) or crops.dtype != np.uint8:
            raise ValueError(f"expected (N, {size}, {size}, 3) uint8 crops, got {crops.shape} {crops.dtype}")
        pixels = crops[..., ::-1] if self._swap else crops
        images = pixels.transpose(0, 3, 1, 2).astype(np.float32) * self._scale + self._bias
        weights = self._weights
        with self._engine.lock:
            result = self._engine.backend.run(images, weights)
        pixels_out = np.clip(result * self._out_scale + self._out_bias + 0.5, 0, 255).astype(np.uint8)
        pixels_out = pixels_out.transpose(0, 2, 3, 1)
        return np.ascontiguousarray(pixels_out[..., ::-1] if self._swap else pixels_out)


def _catalogue() -> list[_Entry]:
    taken = set(PROCEDURAL_STYLES)
    entries = []
    for pack in [*bundled_packs(), *installed_packs()]:
        for style in pack.styles:
            name = style.name if style.name not in taken else f"{pack.name}/{style.name}"
            if name in taken:
                continue  # the same pack twice (bundled and installed): the first one wins
            taken.add(name)
            entries.append(_Entry(name, pack, style.index))
    return entries


def list_styles(backend: str = "auto") -> list[StyleInfo]:
    """Every style name with where it comes from, its crop size and the backend that would run it."""
    concrete = pick_backend(backend)
    infos = [StyleInfo(name, "built-in", 256, "numpy") for name in PROCEDURAL_STYLES]
    for entry in _catalogue():
        infos.append(StyleInfo(entry.name, str(entry.pack.root), entry.pack.input_size, concrete))
    return infos


def load_style(name: str, backend: str = "auto") -> Style:
    """The style called `name` (see `list_styles`), ready to run on `backend`."""
    check_backend_name(backend)
    if name in PROCEDURAL_STYLES:
        return procedural_style(name)
    entries = _catalogue()
    match = next((e for e in entries if e.name == name), None)
    if match is None:  # a pack's name (what 'styles install' printed) means its first style
        match = next((e for e in entries if e.pack.name == name and e.index == 0), None)
    if match is None:
        raise UserError(f"unknown style {name!r}: run 'animecam styles' to list them")
    listed = {e.index: e.name for e in entries if e.pack is match.pack}
    names = [listed.get(s.index, f"{match.pack.name}/{s.name}") for s in match.pack.styles]
    return PackStyle(match.pack, _engine(match.pack, backend), names, match.index)
