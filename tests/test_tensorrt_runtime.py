"""The TensorRT backend's data plumbing with TensorRT and CUDA faked over host memory (always runs),
and the real backend on a GPU (skipped where there is none)."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest
import tensorrt_fakes as fakes
from test_packs import SIZE, make_pack
from test_tensorrt import symbolic_size_pack

import animecam.engine.backends.tensorrt as trt_backend
import animecam.engine.builder as builder
from animecam.core.errors import UserError
from animecam.engine.backends import create_backend, nvidia
from animecam.engine.packs import StylePack


@pytest.fixture
def cuda(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> fakes.FakeCudart:
    """TensorRT and CUDA faked; the plan build writes the ONNX model as the "plan"."""
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
    fake = fakes.FakeCudart()
    monkeypatch.setattr(nvidia, "trt", fakes.runtime_module())
    monkeypatch.setattr(nvidia, "cudart", fake)
    monkeypatch.setattr(nvidia, "LOGGER", object())
    monkeypatch.setattr(nvidia, "gpu_name", lambda: fakes.GPU)
    monkeypatch.setattr(nvidia, "get_cuda_native_handle", fakes.native_handle)
    monkeypatch.setattr(trt_backend.TensorRTBackend, "available", classmethod(lambda cls: True))
    monkeypatch.setattr(builder, "build_plan", fakes.plan_is_the_model)
    return fake


@pytest.fixture
def pack(tmp_path: Path) -> StylePack:
    return StylePack.load(make_pack(tmp_path / "p"))


def _check_against_onnxruntime(engine: trt_backend.TensorRTBackend, pack: StylePack) -> None:
    reference = create_backend("onnxruntime", pack)
    rng = np.random.default_rng(0)
    for batch in (1, 4, 6):
        images = rng.uniform(-1, 1, (batch, 3, SIZE, SIZE)).astype(np.float32)
        style = rng.dirichlet([1, 1], batch).astype(np.float32)
        out = np.full(images.shape, np.nan, np.float32)
        assert engine.run(images, style, out=out) is out
        np.testing.assert_allclose(out, reference.run(images, style), rtol=1e-5, atol=1e-6)


def test_runtime_plumbing_with_faked_tensorrt(cuda: fakes.FakeCudart, pack: StylePack) -> None:
    """Buffers, addresses, shapes, copies and batch chunking, checked against ORT."""
    engine = create_backend("tensorrt", pack, precision="fp32")
    assert engine.num_styles == 2 and cuda.leaks() == {"device": 3, "pinned": 3, "streams": 1}
    _check_against_onnxruntime(engine, pack)
    shapes = [shape[0] for shape in engine._context.calls if len(shape) == 4]
    assert shapes == [1, 4, 4, 2]  # batch 6 ran as 4 + 2 through the same buffers
    assert [kind for kind, _ in cuda.copies] == [1, 1, 2] * 4  # image and style to the device, output back
    assert cuda.copies_from_pinned_memory()  # pageable numpy memory would make every copy synchronous
    # cuda-bindings 13 deprecates int(stream): the fake stream refuses it, the native handle is passed.
    assert engine._context.streams == [fakes.FakeStream.handle] * 4


def test_close_frees_the_context_and_every_buffer(cuda: fakes.FakeCudart, pack: StylePack) -> None:
    engine = create_backend("tensorrt", pack, precision="fp32")
    loaded = nvidia.trt.loaded[-1]
    engine.close()
    gc.collect()
    assert cuda.leaks() == {"device": 0, "pinned": 0, "streams": 0}
    assert [ref() for ref in loaded.contexts] == [None]  # its activation memory goes with it
    engine.close()  # twice is harmless


def test_symbolic_size_pack_runs_at_the_packs_size(cuda: fakes.FakeCudart, tmp_path: Path) -> None:
    pack = symbolic_size_pack(tmp_path)
    engine = create_backend("tensorrt", pack, precision="fp32")
    assert nvidia.trt.loaded[-1].get_tensor_shape("image") == (-1, 3, -1, -1)
    _check_against_onnxruntime(engine, pack)


def test_a_plan_that_fails_to_load_says_rebuild(
    cuda: fakes.FakeCudart, pack: StylePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nvidia, "trt", fakes.runtime_module(load=lambda data: None))
    with pytest.raises(UserError, match=r"cannot load this plan; rebuild it: animecam engines build --force"):
        create_backend("tensorrt", pack)
    assert cuda.leaks() == {"device": 0, "pinned": 0, "streams": 0}


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (
            {"rename": {"image": "input"}},
            r"tensors \['input', 'output', 'style'\] do not match the pack contract",
        ),
        ({"shapes": {"style": (-1, 3)}}, r"'style' is \(3,\) per item but .*style.json needs \(2,\)"),
        ({"shapes": {"image": (-1, 3, 64, 64)}}, r"'image' is \(3, 64, 64\) per item .* needs \(3, 32, 32\)"),
    ],
    ids=["tensor-names", "style-count", "input-size"],
)
def test_a_plan_that_breaks_the_pack_contract_is_refused(
    cuda: fakes.FakeCudart, pack: StylePack, monkeypatch: pytest.MonkeyPatch, plan: dict, message: str
) -> None:
    monkeypatch.setattr(nvidia, "trt", fakes.runtime_module(load=lambda data: fakes.FakeEngine(data, **plan)))
    with pytest.raises(UserError, match=message):
        create_backend("tensorrt", pack, precision="fp32")
    assert cuda.leaks() == {"device": 0, "pinned": 0, "streams": 0}


@pytest.mark.parametrize("call", ["cudaMalloc", "cudaMallocHost"])
def test_a_cuda_error_while_allocating_frees_what_was_allocated(
    cuda: fakes.FakeCudart, pack: StylePack, call: str
) -> None:
    cuda.fail = {call: (2, 2)}  # the second allocation runs out of memory
    with pytest.raises(RuntimeError, match=r"^CUDA call failed: cudaErrorMemoryAllocation$"):
        trt_backend.TensorRTBackend(pack, precision="fp32")
    assert cuda.leaks() == {"device": 0, "pinned": 0, "streams": 0}


def test_a_cuda_error_while_running_is_raised(cuda: fakes.FakeCudart, pack: StylePack) -> None:
    engine = create_backend("tensorrt", pack, precision="fp32")
    cuda.fail = {"cudaStreamSynchronize": (1, 700)}
    images = np.zeros((1, 3, SIZE, SIZE), np.float32)
    with pytest.raises(RuntimeError, match="cudaErrorIllegalAddress"):
        engine.run(images)
    engine.close()


def test_an_unsupported_tensor_dtype_is_refused(
    cuda: fakes.FakeCudart, pack: StylePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fakes.FakeEngine, "get_tensor_dtype", lambda self, name: fakes.DATA_TYPES.INT8)
    with pytest.raises(UserError, match=r"tensor 'image' is DataType.INT8; a style pack's are float32"):
        create_backend("tensorrt", pack, precision="fp32")
    assert cuda.leaks() == {"device": 0, "pinned": 0, "streams": 0}


def test_half_precision_tensors_get_half_sized_buffers(
    cuda: fakes.FakeCudart, pack: StylePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buffers follow each tensor's dtype (a plan with fp16 edges), not an assumed 4 bytes."""
    monkeypatch.setattr(fakes.FakeEngine, "get_tensor_dtype", lambda self, name: fakes.DATA_TYPES.HALF)
    engine = create_backend("tensorrt", pack, precision="fp32")
    sizes = sorted(len(buffer) for buffer in cuda.device.values())
    assert sizes == sorted([4 * 2 * 2, 4 * 3 * SIZE * SIZE * 2, 4 * 3 * SIZE * SIZE * 2])
    assert {name: host.dtype for name, host in engine._host.items()} == dict.fromkeys(
        ["image", "style", "output"], np.dtype(np.float16)
    )
    engine.close()


# -- the real thing ------------------------------------------------------------------------------
gpu = pytest.mark.skipif(
    not trt_backend.TensorRTBackend.available(),
    reason="needs an NVIDIA GPU with TensorRT 10.12+ and cuda-python (not installable on the build machines)",
)


@gpu
@pytest.mark.gpu
@pytest.mark.parametrize(("precision", "tolerance"), [("fp32", 1e-4), ("fp16", 1e-2)])
def test_tensorrt_matches_onnxruntime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, precision: str, tolerance: float
) -> None:
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
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
