"""Native TensorRT backend (TensorRT 10.12+ Python API, cuda-python for memory and streams).

The plan comes from engine/builder.py (built on first use, cached per GPU + TensorRT version + build
settings). Device buffers and page-locked (pinned) host buffers for the largest batch, each sized by
its tensor's own dtype, and one CUDA stream are allocated once and reused for every frame; tensor
addresses are bound once. Written against the documented API and checked name by name against the
TensorRT 10.12 and 11.4 bindings; its buffer, copy and batching logic is tested with TensorRT and
CUDA faked over host memory (tests/test_tensorrt.py). It has not run on a real GPU: the machines this
project is built on have none.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from animecam.core.errors import UserError
from animecam.engine.backends import MAX_BATCH, InferenceBackend, nvidia
from animecam.engine.builder import ensure_plan
from animecam.engine.packs import StylePack

PACK_TENSORS = {"image", "style", "output"}


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
        # Everything close() releases exists before anything can fail, so a failed start frees it all.
        self._device: dict[str, int] = {}
        self._host: dict[str, np.ndarray] = {}
        self._host_pointers: list[int] = []
        self._stream: Any = None
        self._context: Any = None
        self._engine: Any = None
        if not self.available():
            raise UserError(nvidia.TENSORRT_MISSING)
        if self.pack is None:
            raise UserError(
                "the tensorrt backend runs installed style packs; pass a pack, not a bare ONNX file"
            )
        plan = ensure_plan(self.pack, precision=precision, trust_pack_plans=trust_pack_plans)
        self._runtime = nvidia.trt.Runtime(nvidia.LOGGER)
        self._engine = self._runtime.deserialize_cuda_engine(plan.read_bytes())
        if self._engine is None:
            raise UserError(
                f"{plan}: TensorRT cannot load this plan; rebuild it: animecam engines build --force"
            )
        shapes = self._item_shapes(plan)
        try:
            self._allocate(shapes)
        except BaseException:
            self.close()
            raise

    def _item_shapes(self, plan: Path) -> dict[str, tuple[int, ...]]:
        """Per-item shape of each of the plan's tensors, checked against the pack contract and style.json
        (the plan's own sizes are -1 where the ONNX model's were symbolic)."""
        engine, pack = self._engine, self.pack
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        if set(names) - PACK_TENSORS or not {"image", "output"} <= set(names):
            raise UserError(
                f"{plan}: the plan's tensors {sorted(names)} do not match the pack contract"
                " ('image', optionally 'style', and 'output'); rebuild it: animecam engines build --force"
            )
        shapes = nvidia.contract_item_shapes(names, self.input_size, pack.num_styles)
        for name, wanted in shapes.items():
            declared = tuple(engine.get_tensor_shape(name))[1:]
            if not nvidia.fits(declared, wanted):
                raise UserError(
                    f"{plan}: the plan's {name!r} is {declared} per item but {pack.root / 'style.json'}"
                    f" needs {wanted} (input size {self.input_size}, {pack.num_styles} styles);"
                    " rebuild it: animecam engines build --force"
                )
        if "style" in shapes:
            self.num_styles = pack.num_styles
        return shapes

    def _allocate(self, shapes: dict[str, tuple[int, ...]]) -> None:
        cudart = nvidia.cudart
        self._context = self._engine.create_execution_context()
        self._stream = nvidia.cuda_call(cudart.cudaStreamCreate())
        for name, item in shapes.items():
            dtype = nvidia.numpy_dtype(self._engine.get_tensor_dtype(name), name)
            pointer, host = nvidia.pinned_array((MAX_BATCH, *item), dtype)
            self._host_pointers.append(pointer)
            self._host[name] = host
            self._device[name] = nvidia.cuda_call(cudart.cudaMalloc(host.nbytes))
            self._context.set_tensor_address(name, self._device[name])

    @classmethod
    @functools.cache
    def available(cls) -> bool:
        if nvidia.trt is None or nvidia.cudart is None:
            return False
        try:
            return nvidia.cuda_call(nvidia.cudart.cudaGetDeviceCount()) > 0
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
        cudart = nvidia.cudart
        count = len(images)
        feeds = {"image": images} if style is None else {"image": images, "style": style}
        for name, array in feeds.items():
            host = self._host[name][:count]
            host[...] = array  # into pinned memory, cast to the tensor's dtype (float16 plan inputs)
            if not self._context.set_input_shape(name, array.shape):
                raise RuntimeError(f"TensorRT refused input {name!r} of shape {array.shape}")
            nvidia.cuda_call(
                cudart.cudaMemcpyAsync(
                    self._device[name],
                    host.ctypes.data,
                    host.nbytes,
                    cudart.cudaMemcpyKind.cudaMemcpyHostToDevice,
                    self._stream,
                )
            )
        if not self._context.execute_async_v3(nvidia.stream_handle(self._stream)):
            raise RuntimeError("TensorRT execution failed (see its log above)")
        result = self._host["output"][:count]
        nvidia.cuda_call(
            cudart.cudaMemcpyAsync(
                result.ctypes.data,
                self._device["output"],
                result.nbytes,
                cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost,
                self._stream,
            )
        )
        nvidia.cuda_call(cudart.cudaStreamSynchronize(self._stream))
        out[...] = result

    def close(self) -> None:
        """Free the execution context (its activation memory) and the engine before the buffers they
        point into; safe to call twice."""
        self._context = None
        self._engine = None
        self._host.clear()  # views into the pinned memory freed below
        cudart = nvidia.cudart
        for pointer in self._device.values():
            cudart.cudaFree(pointer)
        self._device.clear()
        for pointer in self._host_pointers:
            cudart.cudaFreeHost(pointer)
        self._host_pointers.clear()
        if self._stream is not None:
            cudart.cudaStreamDestroy(self._stream)
            self._stream = None

    def __del__(self) -> None:
        if nvidia.cudart is not None and (getattr(self, "_device", None) or getattr(self, "_stream", None)):
            self.close()
