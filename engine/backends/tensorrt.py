"""Native TensorRT backend (TensorRT 10+ Python API, cuda-python for memory and streams).

The plan comes from engine/builder.py (built on first use, cached per GPU + TensorRT version +
precision). Device buffers for the largest batch (4) and one CUDA stream are allocated once and
reused for every frame; tensor addresses are bound once. Written against the documented API and
checked name by name against the TensorRT 11.4 bindings; its buffer, copy and batching logic is
tested with TensorRT and CUDA faked over host memory (tests/test_tensorrt.py). It has not run on a
real GPU: the machines this project is built on have none.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import numpy as np

from animecam.core.errors import UserError
from animecam.engine.backends import MAX_BATCH, InferenceBackend
from animecam.engine.packs import StylePack

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


def cuda_call(result: tuple[Any, ...]) -> Any:
    """Unwrap a cuda-python `(error, *values)` tuple, raising on any error."""
    err, *values = result
    if err != cudart.cudaError_t.cudaSuccess:
        raise RuntimeError(f"CUDA call failed: {cudart.cudaGetErrorName(err)[1]!r}")
    return values[0] if len(values) == 1 else None


@functools.cache
def gpu_name() -> str:
    props = cuda_call(cudart.cudaGetDeviceProperties(0))
    name = props.name
    return (name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)).rstrip("\x00").strip()


class TensorRTBackend(InferenceBackend):
    name = "tensorrt"
    device = "cuda"

    def __init__(
        self,
        model: StylePack | str | Path,
        *,
        input_size: int | None = None,
        precision: str = "fp16",
        trust_pack_plans: bool = False,
    ) -> None:
        super().__init__(model, input_size=input_size, precision=precision)
        if not self.available():
            from animecam.engine.builder import TENSORRT_MISSING

            raise UserError(TENSORRT_MISSING)
        if self.pack is None:
            raise UserError(
                "the tensorrt backend runs installed style packs; pass a pack, not a bare ONNX file"
            )
        from animecam.engine.builder import ensure_plan

        plan = ensure_plan(self.pack, precision=precision, trust_pack_plans=trust_pack_plans)
        self._buffers: dict[str, int] = {}
        self._stream = None
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self._engine = self._runtime.deserialize_cuda_engine(plan.read_bytes())
        if self._engine is None:
            raise UserError(
                f"{plan}: TensorRT cannot load this plan; rebuild it: animecam engines build --force"
            )
        self._context = self._engine.create_execution_context()
        self._stream = cuda_call(cudart.cudaStreamCreate())
        for i in range(self._engine.num_io_tensors):
            name = self._engine.get_tensor_name(i)
            item_shape = tuple(self._engine.get_tensor_shape(name))[1:]
            if name == "style":
                self.num_styles = int(item_shape[0])
            self._buffers[name] = cuda_call(cudart.cudaMalloc(MAX_BATCH * math.prod(item_shape) * 4))
            self._context.set_tensor_address(name, self._buffers[name])
        if set(self._buffers) - {"image", "style", "output"} or "output" not in self._buffers:
            raise UserError(
                f"{plan}: the plan's tensors {sorted(self._buffers)} do not match the pack contract"
            )

    @classmethod
    @functools.cache
    def available(cls) -> bool:
        if trt is None or cudart is None:
            return False
        try:
            return cuda_call(cudart.cudaGetDeviceCount()) > 0
        except RuntimeError:
            return False

    def run(
        self, images: np.ndarray, style: np.ndarray | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        images, style = self._inputs(images, style)
        out = self._output(images, out)
        for start in range(0, len(images), MAX_BATCH):
            chunk = slice(start, start + MAX_BATCH)
            self._run_batch(images[chunk], None if style is None else style[chunk], out[chunk])
        return out

    def _run_batch(self, images: np.ndarray, style: np.ndarray | None, out: np.ndarray) -> None:
        to_device = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
        feeds = {"image": images} if style is None else {"image": images, "style": style}
        for name, array in feeds.items():
            self._context.set_input_shape(name, array.shape)
            cuda_call(
                cudart.cudaMemcpyAsync(
                    self._buffers[name], array.ctypes.data, array.nbytes, to_device, self._stream
                )
            )
        if not self._context.execute_async_v3(int(self._stream)):
            raise RuntimeError("TensorRT execution failed (see its log above)")
        cuda_call(
            cudart.cudaMemcpyAsync(
                out.ctypes.data,
                self._buffers["output"],
                out.nbytes,
                cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost,
                self._stream,
            )
        )
        cuda_call(cudart.cudaStreamSynchronize(self._stream))

    def close(self) -> None:
        for pointer in self._buffers.values():
            cudart.cudaFree(pointer)
        self._buffers.clear()
        if self._stream is not None:
            cudart.cudaStreamDestroy(self._stream)
            self._stream = None

    def __del__(self) -> None:
        if cudart is not None and getattr(self, "_buffers", None):
            self.close()
