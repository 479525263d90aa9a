"""TensorRT: API names checked against the real 11.4 bindings (always runs), the plan cache policy
(always runs, with TensorRT faked), and the real backend on a GPU (skipped where there is none)."""

from __future__ import annotations

import ast
import ctypes
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from test_packs import SIZE, make_pack

import animecam.engine.backends.tensorrt as trt_backend
import animecam.engine.builder as builder
from animecam.core.errors import UserError
from animecam.engine.packs import StylePack, sha256_of

ROOT = Path(__file__).parents[1]
NAMES_FILE = ROOT / "tests" / "data" / "tensorrt_api_names.txt"
TRT_SOURCES = [ROOT / "engine" / "backends" / "tensorrt.py", ROOT / "engine" / "builder.py"]
# Variables holding TensorRT objects in those files: attributes read on them are TensorRT API.
TRT_OBJECTS = {
    "trt",
    "builder",
    "network",
    "parser",
    "config",
    "profile",
    "tensor",
    "_engine",
    "_context",
    "_runtime",
    "_logger",
}
REQUIRED = {
    "build_serialized_network",
    "set_tensor_address",
    "execute_async_v3",
    "set_input_shape",
    "set_memory_pool_limit",
    "add_optimization_profile",
    "create_optimization_profile",
    "OnnxParser",
    "STRONGLY_TYPED",
    "progress_monitor",
    "deserialize_cuda_engine",
}
DEPRECATED_OR_REMOVED = {
    "execute_async_v2",
    "build_engine",
    "build_cuda_engine",
    "set_binding_shape",
    "max_workspace_size",
    "get_binding_index",
    "EXPLICIT_BATCH",
    "FP16",
    "num_bindings",
}


def _root_and_chain(node: ast.Attribute) -> tuple[str | None, list[str]]:
    chain = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        chain.append(current.attr)
        current = current.value
    chain.reverse()
    return (current.id if isinstance(current, ast.Name) else None), chain


def used_tensorrt_names() -> set[str]:
    names: set[str] = set()
    for source in TRT_SOURCES:
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                root, chain = _root_and_chain(node)
                if root in TRT_OBJECTS:
                    names.update(chain)
                elif root == "self" and chain[0] in TRT_OBJECTS:
                    names.update(chain[1:])
            elif isinstance(node, ast.ClassDef) and any("trt" in ast.unparse(base) for base in node.bases):
                names.update(
                    item.name
                    for item in node.body  # overridden callbacks (IProgressMonitor)
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_")
                )
    return names


def bound_names() -> list[str]:
    return [line for line in NAMES_FILE.read_text().splitlines() if line and not line.startswith("#")]


def test_every_tensorrt_name_used_exists_in_11_4() -> None:
    """pybind11 keeps each bound name as a string; the linker may store a name as the tail of a longer
    one ("num_errors" inside "get_num_errors"), so a line ending in the name counts."""
    names, used = bound_names(), used_tensorrt_names()
    assert len(used) >= 25 and used >= REQUIRED, sorted(REQUIRED - used)
    missing = sorted(n for n in used if not any(line.endswith(n) for line in names))
    assert not missing, f"not in TensorRT 11.4's bindings: {missing}"
    assert not used & DEPRECATED_OR_REMOVED


def test_names_file_can_tell_present_from_absent() -> None:
    names = set(bound_names())
    assert {"execute_async_v3", "build_serialized_network", "STRONGLY_TYPED"} <= names
    removed = {"FP16", "execute_async_v2", "build_engine", "set_binding_shape", "max_workspace_size"}
    assert not removed & names  # gone by TensorRT 11: the check has teeth


# -- plan cache policy (TensorRT faked: these run everywhere) ------------------------------------
@pytest.fixture
def fake_tensorrt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(trt_backend, "trt", SimpleNamespace(__version__="11.4.0.106"))
    monkeypatch.setattr(trt_backend, "gpu_name", lambda: "NVIDIA GeForce RTX 4090")
    built: list[Path] = []

    def fake_build(onnx_path: Path, plan_file: Path, *, precision: str, progress: bool) -> Path:
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        plan_file.write_bytes(b"plan")
        built.append(plan_file)
        return plan_file

    monkeypatch.setattr(builder, "build_plan", fake_build)
    return built


def _pack_with_plan(tmp_path: Path) -> StylePack:
    folder = make_pack(tmp_path / "p")
    (folder / "plans").mkdir()
    (folder / "plans" / "4090.plan").write_bytes(b"shipped plan")
    manifest = json.loads((folder / "style.json").read_text())
    manifest["files"]["plans/4090.plan"] = {"sha256": sha256_of(folder / "plans" / "4090.plan"), "size": 12}
    manifest["trt_plans"] = {
        "rtx4090-11.4-fp16": {
            "file": "plans/4090.plan",
            "gpu": "NVIDIA GeForce RTX 4090",
            "tensorrt": "11.4.0.106",
            "precision": "fp16",
        }
    }
    (folder / "style.json").write_text(json.dumps(manifest))
    return StylePack.load(folder)


def test_plans_are_built_locally_cached_and_keyed(tmp_path: Path, fake_tensorrt: list[Path]) -> None:
    pack = _pack_with_plan(tmp_path)
    plan = builder.ensure_plan(pack, precision="fp16")  # the shipped plan is ignored without opt-in
    assert plan.name == "nvidia-geforce-rtx-4090-trt11.4.0.106-fp16.plan"
    assert plan.parent.parent == tmp_path / "data" / "plans" and pack.model_id in str(plan)
    assert builder.ensure_plan(pack, precision="fp16") == plan and len(fake_tensorrt) == 1  # cached
    assert builder.ensure_plan(pack, precision="fp32") != plan and len(fake_tensorrt) == 2
    builder.ensure_plan(pack, precision="fp16", rebuild=True)
    assert len(fake_tensorrt) == 3


def test_pack_plans_only_with_explicit_trust(tmp_path: Path, fake_tensorrt: list[Path]) -> None:
    pack = _pack_with_plan(tmp_path)
    assert builder.ensure_plan(pack, precision="fp16", trust_pack_plans=True) == pack.root / "plans/4090.plan"
    assert fake_tensorrt == []
    builder.ensure_plan(pack, precision="fp32", trust_pack_plans=True)  # no shipped fp32 plan: build
    assert len(fake_tensorrt) == 1


def test_clear_error_without_tensorrt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trt_backend, "trt", None)
    pack = StylePack.load(make_pack(tmp_path / "p"))
    with pytest.raises(UserError, match="TensorRT is not available here"):
        builder.ensure_plan(pack)
    with pytest.raises(UserError, match="TensorRT is not available here"):
        builder.build_plan(pack.onnx_path, tmp_path / "x.plan")


# -- the runtime's data plumbing, with TensorRT and CUDA faked ------------------------------------
class _FakeCudart:
    """cuda-python's runtime API over host memory: "device" buffers are numpy arrays."""

    class cudaError_t:
        cudaSuccess = 0

    class cudaMemcpyKind:
        cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost = 1, 2

    def __init__(self) -> None:
        self.buffers: dict[int, np.ndarray] = {}
        self.copies: list[int] = []

    def cudaMalloc(self, nbytes: int) -> tuple[int, int]:
        buffer = np.zeros(nbytes, np.uint8)
        self.buffers[buffer.ctypes.data] = buffer
        return 0, buffer.ctypes.data

    def cudaMemcpyAsync(self, dst: int, src: int, nbytes: int, kind: int, stream: object) -> tuple[int]:
        ctypes.memmove(dst, src, nbytes)
        self.copies.append(kind)
        return (0,)

    def cudaStreamCreate(self) -> tuple[int, int]:
        return 0, 7

    def cudaStreamSynchronize(self, stream: int) -> tuple[int]:
        return (0,)

    def cudaFree(self, pointer: int) -> tuple[int]:
        del self.buffers[pointer]
        return (0,)

    def cudaStreamDestroy(self, stream: int) -> tuple[int]:
        return (0,)


class _FakeContext:
    """Runs the ONNX model (the fake "plan") with ORT on the tensors at the bound addresses."""

    def __init__(self, engine: _FakeEngine) -> None:
        self.engine, self.addresses, self.shapes = engine, {}, {}
        self.calls: list[tuple[int, ...]] = []

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

    def execute_async_v3(self, stream: int) -> bool:
        feeds = {name: self._view(name, shape).copy() for name, shape in self.shapes.items()}
        result = self.engine.session.run(["output"], feeds)[0]
        self._view("output", result.shape)[...] = result
        return True


class _FakeEngine:
    def __init__(self, model_bytes: bytes) -> None:
        import onnxruntime as ort

        self.session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        self.tensors = {t.name: t.shape for t in [*self.session.get_inputs(), *self.session.get_outputs()]}
        self.num_io_tensors = len(self.tensors)

    def get_tensor_name(self, index: int) -> str:
        return list(self.tensors)[index]

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else -1 for d in self.tensors[name])

    def create_execution_context(self) -> _FakeContext:
        self.context = _FakeContext(self)
        return self.context


def test_runtime_plumbing_with_faked_tensorrt(tmp_path: Path, fake_tensorrt: list[Path],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Buffers, addresses, shapes, copies and batch chunking of TensorRTBackend, checked against ORT
    with TensorRT and CUDA replaced by host-memory fakes (the fake "plan" is the ONNX model)."""
    from animecam.engine.backends import create_backend

    cuda = _FakeCudart()
    fake_trt = SimpleNamespace(
        __version__="11.4.0.106",
        Logger=type("Logger", (), {"WARNING": 2, "__init__": lambda self, level: None}),
        Runtime=lambda logger: SimpleNamespace(deserialize_cuda_engine=_FakeEngine),
    )
    monkeypatch.setattr(trt_backend, "trt", fake_trt)
    monkeypatch.setattr(trt_backend, "cudart", cuda)
    monkeypatch.setattr(trt_backend.TensorRTBackend, "available", classmethod(lambda cls: True))

    def plan_is_the_model(onnx_path: Path, plan_file: Path, *, precision: str, progress: bool) -> Path:
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        plan_file.write_bytes(onnx_path.read_bytes())
        return plan_file

    monkeypatch.setattr(builder, "build_plan", plan_is_the_model)
    pack = StylePack.load(make_pack(tmp_path / "p"))
    reference = create_backend("onnxruntime", pack)
    engine = create_backend("tensorrt", pack, precision="fp32")
    assert engine.num_styles == 2 and len(cuda.buffers) == 3
    rng = np.random.default_rng(0)
    for batch in (1, 4, 6):
        images = rng.uniform(-1, 1, (batch, 3, SIZE, SIZE)).astype(np.float32)
        style = rng.dirichlet([1, 1], batch).astype(np.float32)
        out = np.full(images.shape, np.nan, np.float32)
        assert engine.run(images, style, out=out) is out
        np.testing.assert_allclose(out, reference.run(images, style), rtol=1e-5, atol=1e-6)
    shapes = [shape[0] for shape in engine._context.calls if len(shape) == 4]
    assert shapes == [1, 4, 4, 2]  # batch 6 ran as 4 + 2 through the same buffers
    assert cuda.copies == [1, 1, 2] * 4  # per run: image and style to the device, output back
    engine.close()
    assert cuda.buffers == {}


# -- the real thing ------------------------------------------------------------------------------
gpu = pytest.mark.skipif(
    not trt_backend.TensorRTBackend.available(),
    reason="needs an NVIDIA GPU with TensorRT 10+ and cuda-python (not installable on the build machines)",
)


@gpu
@pytest.mark.gpu
@pytest.mark.parametrize(("precision", "tolerance"), [("fp32", 1e-4), ("fp16", 1e-2)])
def test_tensorrt_matches_onnxruntime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, precision: str, tolerance: float
) -> None:
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
    from animecam.engine.backends import create_backend

    pack = StylePack.load(make_pack(tmp_path / "p"))
    reference = create_backend("onnxruntime", pack, precision="fp32")
    engine = create_backend("tensorrt", pack, precision=precision)
    rng = np.random.default_rng(0)
    for batch in (1, 4, 6):  # 6 runs as 4 + 2 through the same buffers
        images = rng.uniform(-1, 1, (batch, 3, SIZE, SIZE)).astype(np.float32)
        style = rng.dirichlet([1, 1], batch).astype(np.float32)
        expected = reference.run(images, style)
        out = np.full(images.shape, np.nan, np.float32)
        engine.run(images, style, out=out)
        assert np.isfinite(out).all()
        assert np.linalg.norm(out - expected) / np.linalg.norm(expected) <= tolerance
    engine.close()
