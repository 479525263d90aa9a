"""TensorRT and cuda-python faked over host memory, for tests of engine/builder.py and the TensorRT
backend on machines without a GPU. The fake "plan" is the ONNX model itself: the fake engine runs it
with onnxruntime on the tensors at the addresses the backend bound, so results can be checked against
the onnxruntime backend."""

from __future__ import annotations

import ctypes
import weakref
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

TRT_VERSION = "11.4.0.106"
GPU = "NVIDIA GeForce RTX 4090"
ERROR_NAMES = {2: b"cudaErrorMemoryAllocation", 700: b"cudaErrorIllegalAddress"}
DATA_TYPES = SimpleNamespace(FLOAT="DataType.FLOAT", HALF="DataType.HALF", INT8="DataType.INT8")


class FakeStream:
    """A cudaStream_t object like cuda-bindings 13's: int() of it is deprecated, so it refuses."""

    handle = 7

    def __int__(self) -> int:
        raise AssertionError("int(stream) is deprecated: use cuda.bindings.utils.get_cuda_native_handle")


def native_handle(stream: FakeStream) -> int:
    return stream.handle


class FakeCudart:
    """cuda-python's runtime API over host memory: "device" buffers are numpy arrays. `fail` maps a
    call's name to (n, error code): its n-th call returns that error."""

    class cudaError_t:
        cudaSuccess = 0

    class cudaMemcpyKind:
        cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost = 1, 2

    def __init__(self, fail: dict[str, tuple[int, int]] | None = None) -> None:
        self.device: dict[int, np.ndarray] = {}
        self.pinned: dict[int, np.ndarray] = {}
        self.copies: list[tuple[int, int]] = []  # (kind, host address)
        self.streams = 0
        self.fail = fail or {}
        self.counts: dict[str, int] = {}

    def _error(self, call: str) -> int:
        self.counts[call] = self.counts.get(call, 0) + 1
        nth, code = self.fail.get(call, (0, 0))
        return code if self.counts[call] == nth else 0

    def cudaGetErrorName(self, err: int) -> tuple[int, bytes]:
        return 0, ERROR_NAMES[err]

    def _alloc(self, call: str, pool: dict[int, np.ndarray], nbytes: int) -> tuple[int, int]:
        if err := self._error(call):
            return err, 0
        buffer = np.zeros(nbytes, np.uint8)
        pool[buffer.ctypes.data] = buffer
        return 0, buffer.ctypes.data

    def cudaMalloc(self, nbytes: int) -> tuple[int, int]:
        return self._alloc("cudaMalloc", self.device, nbytes)

    def cudaMallocHost(self, nbytes: int) -> tuple[int, int]:
        return self._alloc("cudaMallocHost", self.pinned, nbytes)

    def _is_pinned(self, address: int) -> bool:
        return any(start <= address < start + len(b) for start, b in self.pinned.items())

    def cudaMemcpyAsync(self, dst: int, src: int, nbytes: int, kind: int, stream: object) -> tuple[int]:
        host = src if kind == self.cudaMemcpyKind.cudaMemcpyHostToDevice else dst
        self.copies.append((kind, host))
        if err := self._error("cudaMemcpyAsync"):
            return (err,)
        ctypes.memmove(dst, src, nbytes)
        return (0,)

    def copies_from_pinned_memory(self) -> bool:
        return bool(self.copies) and all(self._is_pinned(host) for _, host in self.copies)

    def cudaStreamCreate(self) -> tuple[int, FakeStream]:
        self.streams += 1
        return 0, FakeStream()

    def cudaStreamSynchronize(self, stream: FakeStream) -> tuple[int]:
        return (self._error("cudaStreamSynchronize"),)

    def cudaFree(self, pointer: int) -> tuple[int]:
        del self.device[pointer]
        return (0,)

    def cudaFreeHost(self, pointer: int) -> tuple[int]:
        del self.pinned[pointer]
        return (0,)

    def cudaStreamDestroy(self, stream: FakeStream) -> tuple[int]:
        self.streams -= 1
        return (0,)

    def leaks(self) -> dict[str, int]:
        return {"device": len(self.device), "pinned": len(self.pinned), "streams": self.streams}


class FakeContext:
    """Runs the ONNX model with ORT on the tensors at the bound addresses."""

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.addresses: dict[str, int] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.calls: list[tuple[int, ...]] = []
        self.streams: list[object] = []

    def set_tensor_address(self, name: str, pointer: int) -> None:
        self.addresses[name] = pointer

    def set_input_shape(self, name: str, shape: tuple[int, ...]) -> bool:
        self.shapes[name] = tuple(shape)
        self.calls.append(tuple(shape))
        return True

    def _view(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        count = int(np.prod(shape))
        memory = (ctypes.c_float * count).from_address(self.addresses[name])
        return np.ctypeslib.as_array(memory).reshape(shape)

    def execute_async_v3(self, stream: object) -> bool:
        self.streams.append(stream)
        feeds = {name: self._view(name, shape).copy() for name, shape in self.shapes.items()}
        result = self.engine.session.run(["output"], feeds)[0]
        self._view("output", result.shape)[...] = result
        return True


class FakeEngine:
    """A deserialised "plan": `rename` and `shapes` let a test make it break the pack contract."""

    def __init__(
        self,
        model_bytes: bytes,
        rename: dict[str, str] | None = None,
        shapes: dict[str, tuple[int, ...]] | None = None,
    ) -> None:
        import onnxruntime as ort

        self.session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        tensors = [*self.session.get_inputs(), *self.session.get_outputs()]
        rename, shapes = rename or {}, shapes or {}
        self.tensors = {
            rename.get(t.name, t.name): shapes.get(
                t.name, tuple(d if isinstance(d, int) else -1 for d in t.shape)
            )
            for t in tensors
        }
        self.num_io_tensors = len(self.tensors)
        self.contexts: list[weakref.ref[FakeContext]] = []

    def get_tensor_name(self, index: int) -> str:
        return list(self.tensors)[index]

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        return self.tensors[name]

    def get_tensor_dtype(self, name: str) -> str:
        return DATA_TYPES.FLOAT

    def create_execution_context(self) -> FakeContext:
        context = FakeContext(self)
        self.contexts.append(weakref.ref(context))
        return context


def runtime_module(load: Callable[[bytes], Any] = FakeEngine) -> SimpleNamespace:
    """The `tensorrt` module as the backend uses it; `load` turns plan bytes into an engine (or None)."""
    loaded: list[Any] = []

    def deserialize(data: bytes) -> Any:
        loaded.append(load(data))
        return loaded[-1]

    return SimpleNamespace(
        __version__=TRT_VERSION,
        DataType=DATA_TYPES,
        Runtime=lambda logger: SimpleNamespace(deserialize_cuda_engine=deserialize, logger=logger),
        loaded=loaded,
    )


class FakeBuilder:
    """TensorRT's builder API recording what build_plan asks of it. The parsed network's inputs are
    the ONNX model's (symbolic sizes as -1, as TensorRT reports them)."""

    def __init__(self, serialized: bytes | None = b"serialized plan") -> None:
        self.serialized = serialized
        self.cleared: list[str] = []
        self.pool: dict[str, int] = {}
        self.profile: dict[str, tuple[tuple[int, ...], ...]] = {}
        self.loggers: list[object] = []

    def module(self) -> SimpleNamespace:
        return SimpleNamespace(
            __version__=TRT_VERSION,
            Builder=self._builder,
            OnnxParser=self._parser,
            NetworkDefinitionCreationFlag=SimpleNamespace(STRONGLY_TYPED=1),
            MemoryPoolType=SimpleNamespace(WORKSPACE="WORKSPACE"),
            BuilderFlag=SimpleNamespace(TF32="TF32"),
        )

    def _builder(self, logger: object) -> SimpleNamespace:
        self.loggers.append(logger)
        config = SimpleNamespace(
            set_memory_pool_limit=self.pool.__setitem__,
            clear_flag=self.cleared.append,
            add_optimization_profile=lambda profile: None,
        )
        return SimpleNamespace(
            create_network=lambda flags: SimpleNamespace(inputs=[]),
            create_builder_config=lambda: config,
            create_optimization_profile=lambda: SimpleNamespace(set_shape=self._set_shape),
            build_serialized_network=lambda network, config: self.serialized,
        )

    def _set_shape(
        self, name: str, low: tuple[int, ...], opt: tuple[int, ...], high: tuple[int, ...]
    ) -> None:
        self.profile[name] = (low, opt, high)

    def _parser(self, network: SimpleNamespace, logger: object) -> SimpleNamespace:
        self.loggers.append(logger)

        def parse(model_bytes: bytes) -> bool:
            import onnx

            graph = onnx.load_model_from_string(model_bytes).graph
            network.inputs = [
                SimpleNamespace(
                    name=value.name,
                    shape=tuple(
                        d.dim_value if d.HasField("dim_value") else -1
                        for d in value.type.tensor_type.shape.dim
                    ),
                )
                for value in graph.input
            ]
            network.num_inputs = len(network.inputs)
            network.get_input = network.inputs.__getitem__
            return True

        return SimpleNamespace(parse=parse, num_errors=0)


def plan_is_the_model(onnx_path: Path, plan_file: Path, settings: object, *, progress: bool) -> Path:
    """build_plan's stand-in for the runtime fakes: the "plan" is the ONNX model's bytes."""
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    plan_file.write_bytes(onnx_path.read_bytes())
    return plan_file
