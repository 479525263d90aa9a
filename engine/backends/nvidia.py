"""The optional NVIDIA stack in one place, for engine/builder.py and the TensorRT backend.

Holds the `tensorrt` and cuda-python modules (None when not installed), the process's one TensorRT
logger, the pack contract's per-item tensor shapes, and the few CUDA runtime calls both make. The
builder and the backend each import this module and never each other (no import loop); tests replace
`trt`, `cudart` and `LOGGER` here with fakes.
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from animecam.core.errors import UserError

try:
    import tensorrt as trt
except ImportError:
    trt = None
try:
    from cuda.bindings import runtime as cudart  # cuda-python >= 12.6
except ImportError:
    try:
        from cuda import cudart  # older cuda-python layout
    except ImportError:
        cudart = None
try:  # cuda-bindings >= 12.9.1 / 13.0, where int(stream) is deprecated
    from cuda.bindings.utils import get_cuda_native_handle
except ImportError:
    get_cuda_native_handle = None

# TensorRT keeps the logger of the first Builder or Runtime for the whole process, so all share this one.
LOGGER = trt.Logger(trt.Logger.WARNING) if trt is not None else None

TENSORRT_MISSING = (
    "TensorRT is not available here: it needs an NVIDIA GPU, its driver and "
    "pip install 'animecam[tensorrt]' (TensorRT 10.12+ and cuda-python)"
)


def require_tensorrt() -> None:
    """UserError unless both TensorRT and cuda-python import (a GPU is checked by the backend)."""
    if trt is None or cudart is None:
        raise UserError(TENSORRT_MISSING)


def cuda_call(result: tuple[Any, ...]) -> Any:
    """Unwrap a cuda-python `(error, *values)` tuple, raising on any error."""
    err, *values = result
    if err != cudart.cudaError_t.cudaSuccess:
        name = cudart.cudaGetErrorName(err)[1]
        raise RuntimeError(f"CUDA call failed: {name.decode() if isinstance(name, bytes) else name}")
    return values[0] if len(values) == 1 else None


@functools.cache
def gpu_name() -> str:
    props = cuda_call(cudart.cudaGetDeviceProperties(0))
    name = props.name
    return (name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)).rstrip("\x00").strip()


def stream_handle(stream: Any) -> int:
    """The raw cudaStream_t that TensorRT's execute_async_v3 takes."""
    if get_cuda_native_handle is not None:
        return int(get_cuda_native_handle(stream))
    return int(stream)


def pinned_array(shape: tuple[int, ...], dtype: np.dtype) -> tuple[int, np.ndarray]:
    """(pointer, array) over page-locked host memory from cudaMallocHost: copies from pageable numpy
    memory are staged synchronously by the driver, copies from pinned memory are real async DMA.
    The array must be dropped before `cudart.cudaFreeHost(pointer)`."""
    nbytes = math.prod(shape) * dtype.itemsize
    pointer = cuda_call(cudart.cudaMallocHost(nbytes))
    memory = (ctypes.c_byte * nbytes).from_address(pointer)
    return pointer, np.frombuffer(memory, dtype).reshape(shape)


def numpy_dtype(trt_dtype: Any, tensor: str) -> np.dtype:
    """The numpy dtype of a TensorRT tensor; the pack contract allows float32 (and float16 edges)."""
    known = {trt.DataType.FLOAT: np.dtype(np.float32), trt.DataType.HALF: np.dtype(np.float16)}
    if trt_dtype not in known:
        raise UserError(f"the plan's tensor {tensor!r} is {trt_dtype}; a style pack's are float32")
    return known[trt_dtype]


def contract_item_shapes(
    names: Iterable[str], input_size: int, num_styles: int
) -> dict[str, tuple[int, ...]]:
    """Per-item shape (batch axis dropped) of each of a pack model's tensors, from style.json: the
    model's own sizes may be symbolic (-1), which onnxruntime accepts and a TensorRT profile cannot."""
    shapes = {"image": (3, input_size, input_size), "output": (3, input_size, input_size)}
    if "style" in names:
        shapes["style"] = (num_styles,)
    return shapes


def fits(declared: tuple[int, ...], wanted: tuple[int, ...]) -> bool:
    """Whether a tensor's declared per-item shape (-1 for a symbolic size) admits `wanted`."""
    return len(declared) == len(wanted) and all(d in (-1, w) for d, w in zip(declared, wanted, strict=True))
