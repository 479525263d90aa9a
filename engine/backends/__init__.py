"""Inference backends behind one small interface and a lazy name -> class registry.

A backend runs a pack's generator on normalised NCHW float32 batches; `animecam.engine.styles.PackStyle`
does the pixel conversions around it. Modules are imported only when a backend is asked for, so
listing names never imports torch or TensorRT.

    backend = create_backend("auto", pack)          # tensorrt > onnxruntime (GPU) > onnxruntime (CPU)
    out = backend.run(images, style_weights)        # [N,3,S,S], [N,K] -> [N,3,S,S]
"""

from __future__ import annotations

import importlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import numpy as np

from animecam.core.errors import UserError
from animecam.engine.packs import StylePack

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "fp16")
MAX_BATCH = 4  # the exported models' dynamic batch range is 1..4


class InferenceBackend(ABC):
    """One loaded generator. `run` may be called from one thread at a time (callers serialise)."""

    name: ClassVar[str]
    device: str = "cpu"

    def __init__(
        self, model: StylePack | str | Path, *, input_size: int | None = None, precision: str = "fp32"
    ) -> None:
        if precision not in PRECISIONS:
            raise UserError(f"unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)}")
        self.pack = model if isinstance(model, StylePack) else None
        self.onnx_path = model.onnx_path if isinstance(model, StylePack) else Path(model)
        size = model.input_size if isinstance(model, StylePack) else input_size
        if size is None:
            raise ValueError("input_size is required when the model is a bare ONNX file")
        self.input_size = int(size)
        self.precision = precision
        self.num_styles = 0  # K of the model's `style` input; 0 when it has none (set by subclasses)

    @classmethod
    @abstractmethod
    def available(cls) -> bool:
        """True when this backend's runtime is installed and has a device to run on."""

    @abstractmethod
    def run(
        self, images: np.ndarray, style: np.ndarray | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """images float32 [N,3,S,S] -> float32 [N,3,S,S] (written into `out` when given).
        `style` float32 [N,K] mix weights; None means style 0. Ignored by models without a style input."""

    def close(self) -> None:  # noqa: B027 - a no-op unless the backend holds device memory
        """Release device memory early (also released when the backend is garbage collected)."""

    def _inputs(self, images: np.ndarray, style: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Checked, contiguous float32 inputs; the default one-hot style when `style` is None."""
        size = self.input_size
        if images.ndim != 4 or images.shape[1:] != (3, size, size):
            raise ValueError(f"expected images [N,3,{size},{size}], got {images.shape}")
        images = np.ascontiguousarray(images, dtype=np.float32)
        if not self.num_styles:
            return images, None
        if style is None:
            style = np.zeros((1, self.num_styles), np.float32)
            style[0, 0] = 1.0
        style = np.ascontiguousarray(style, dtype=np.float32)
        if style.ndim != 2 or style.shape[1] != self.num_styles or style.shape[0] not in (1, len(images)):
            raise ValueError(f"expected style weights [1 or N, {self.num_styles}], got {style.shape}")
        if style.shape[0] != len(images):  # one mix for the whole batch
            style = np.repeat(style, len(images), axis=0)
        return images, style

    def _output(self, images: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        if out is None:
            return np.empty(images.shape, np.float32)
        if out.shape != images.shape or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous float32 array of shape {images.shape}")
        return out


class _LazyRegistry(Mapping[str, type[InferenceBackend]]):
    """name -> backend class, importing a backend's module on first lookup."""

    def __init__(self, targets: dict[str, str]) -> None:
        self._targets = targets

    def __getitem__(self, name: str) -> type[InferenceBackend]:
        try:
            module, cls = self._targets[name].split(":")
        except KeyError:
            raise UserError(
                f"unknown backend {name!r}; choose one of: auto, {', '.join(self._targets)}"
            ) from None
        return getattr(importlib.import_module(module), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)


BACKENDS: Mapping[str, type[InferenceBackend]] = _LazyRegistry(
    {
        "onnxruntime": "animecam.engine.backends.onnxruntime:OnnxRuntimeBackend",
        "tensorrt": "animecam.engine.backends.tensorrt:TensorRTBackend",
        "torch": "animecam.engine.backends.torch:TorchBackend",
    }
)
BACKEND_CHOICES = ("auto", *BACKENDS)
AUTO_ORDER = ("tensorrt", "onnxruntime")  # onnxruntime itself prefers its GPU providers when present


def check_backend_name(name: str) -> str:
    if name != "auto" and name not in BACKENDS:
        raise UserError(f"unknown backend {name!r}; choose one of: {', '.join(BACKEND_CHOICES)}")
    return name


def pick_backend(name: str = "auto") -> str:
    """The backend `create_backend(name, ...)` would try first here (without loading any model)."""
    if check_backend_name(name) != "auto":
        return name
    return next((n for n in AUTO_ORDER if BACKENDS[n].available()), "onnxruntime")


def default_precision(backend: str) -> str:
    return "fp16" if backend == "tensorrt" else "fp32"


def create_backend(
    name: str, model: StylePack | str | Path, *, precision: str | None = None, input_size: int | None = None
) -> InferenceBackend:
    """Load `model` on backend `name`; "auto" falls through tensorrt -> onnxruntime on any failure."""
    if check_backend_name(name) != "auto":
        cls = BACKENDS[name]
        if not cls.available():
            raise UserError(
                f"backend {name!r} is not available here ({_missing_hint(name)}); use --backend auto"
            )
        return cls(model, input_size=input_size, precision=precision or default_precision(name))
    for candidate in AUTO_ORDER:
        cls = BACKENDS[candidate]
        if not cls.available():
            continue
        try:
            return cls(model, input_size=input_size, precision=precision or default_precision(candidate))
        except (UserError, RuntimeError, OSError) as err:
            if candidate == AUTO_ORDER[-1]:
                raise
            log.warning("backend %s failed (%s); trying the next one", candidate, err)
    raise UserError("no inference backend is available; install onnxruntime (pip install onnxruntime)")


def _missing_hint(name: str) -> str:
    return {
        "tensorrt": "needs an NVIDIA GPU, TensorRT 10+ and cuda-python: pip install 'animecam[tensorrt]'",
        "torch": "needs torch: pip install 'animecam[train]'",
        "onnxruntime": "pip install onnxruntime",
    }[name]


__all__ = [
    "BACKENDS",
    "BACKEND_CHOICES",
    "MAX_BATCH",
    "PRECISIONS",
    "InferenceBackend",
    "create_backend",
    "default_precision",
    "pick_backend",
]
