"""Every backend that runs here against the torch reference: fresh random inputs, rel. error <= 1e-4 in
fp32 (1e-2 fp16), a NaN-poisoned output buffer fully overwritten, batch 1 and 4, style mixing equal to
the model with interpolated normalisation parameters. TensorRT: tests/test_tensorrt.py."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_packs import SIZE, make_pack, tiny_model_files

from animecam.core.errors import UserError
from animecam.engine.backends import BACKENDS, create_backend, pick_backend
from animecam.engine.packs import StylePack, write_pack

torch = pytest.importorskip("torch")
RUNNABLE = ["onnxruntime", "torch"]


def rel_error(actual: np.ndarray, expected: np.ndarray) -> float:
    return float(np.linalg.norm(actual - expected) / np.linalg.norm(expected))


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> StylePack:
    return StylePack.load(make_pack(tmp_path_factory.mktemp("pack") / "tiny"))


@pytest.fixture(scope="module")
def reference(pack: StylePack) -> torch.nn.Module:
    """The generator rebuilt independently of the backends, straight from the pack's files."""
    from safetensors.torch import load_file

    from animecam.training.models import build_generator

    generator = build_generator(pack.model_family, **pack.model_config).eval()
    generator.load_state_dict(load_file(str(pack.weights_path)))
    return generator


def torch_run(generator: torch.nn.Module, images: np.ndarray, style: np.ndarray | None) -> np.ndarray:
    with torch.no_grad():
        return generator(torch.from_numpy(images), None if style is None else torch.from_numpy(style)).numpy()


def random_inputs(rng: np.random.Generator, batch: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    images = rng.uniform(-1, 1, (batch, 3, SIZE, SIZE)).astype(np.float32)
    style = rng.dirichlet(np.ones(k), batch).astype(np.float32)
    return images, style


@pytest.mark.parametrize("backend", RUNNABLE)
@pytest.mark.parametrize("batch", [1, 4])
def test_matches_torch_reference(
    pack: StylePack, reference: torch.nn.Module, backend: str, batch: int
) -> None:
    engine = create_backend(backend, pack, precision="fp32")
    assert engine.num_styles == 2 and engine.device == "cpu"
    rng = np.random.default_rng(1000 + batch)
    for _ in range(2):  # fresh inputs each time: nothing may be cached between calls
        images, style = random_inputs(rng, batch, 2)
        expected = torch_run(reference, images, style)
        poisoned = np.full(images.shape, np.nan, np.float32)
        result = engine.run(images, style, out=poisoned)
        assert result is poisoned and np.isfinite(poisoned).all()
        assert rel_error(poisoned, expected) <= 1e-4
        assert rel_error(engine.run(images, style), expected) <= 1e-4
        assert np.abs(expected).mean() > 0.05  # the tiny model is not near-constant


def test_onnxruntime_fp16_within_1e2(pack: StylePack, reference: torch.nn.Module) -> None:
    pytest.importorskip("onnx")
    try:
        engine = create_backend("onnxruntime", pack, precision="fp16")
    except UserError as err:  # any other refusal is a failure, not a skip
        if "NOT_IMPLEMENTED" not in str(err):
            raise
        pytest.skip(f"this onnxruntime build has no CPU kernel for an fp16 op: {err}")
    images, style = random_inputs(np.random.default_rng(7), 4, 2)
    assert rel_error(engine.run(images, style), torch_run(reference, images, style)) <= 1e-2


@pytest.mark.parametrize("backend", RUNNABLE)
def test_style_mix_equals_interpolated_normalisation(
    pack: StylePack, reference: torch.nn.Module, backend: str
) -> None:
    from animecam.engine.nets.layers import ConditionalInstanceNorm

    weights = np.array([[0.3, 0.7]], np.float32)
    blended = copy.deepcopy(reference)
    with torch.no_grad():  # domain rows 1..K are the styles: put their weighted mean into style 1's row
        for norm in (m for m in blended.modules() if isinstance(m, ConditionalInstanceNorm)):
            norm.gamma[1] = torch.from_numpy(weights[0]) @ norm.gamma[1:]
            norm.beta[1] = torch.from_numpy(weights[0]) @ norm.beta[1:]
    images = np.random.default_rng(3).uniform(-1, 1, (2, 3, SIZE, SIZE)).astype(np.float32)
    engine = create_backend(backend, pack)
    mixed = engine.run(images, np.repeat(weights, 2, axis=0))
    expected = torch_run(blended, images, np.array([[1.0, 0.0]] * 2, np.float32))
    assert rel_error(mixed, expected) <= 1e-4
    pure = [engine.run(images, np.array([[1.0 - i, float(i)]] * 2, np.float32)) for i in (0, 1)]
    assert rel_error(pure[0], pure[1]) > 0.05 and rel_error(mixed, pure[0]) > 0.01


@pytest.mark.parametrize("backend", RUNNABLE)
def test_single_style_cyclegan_pack(tmp_path: Path, backend: str) -> None:
    pack = StylePack.load(make_pack(tmp_path / "cg", family="cyclegan", num_styles=1, name="cg"))
    from safetensors.torch import load_file

    from animecam.training.models import build_generator

    generator = build_generator("cyclegan", **pack.model_config).eval()
    generator.load_state_dict(load_file(str(pack.weights_path)))
    engine = create_backend(backend, pack)
    assert engine.num_styles == 0
    images = np.random.default_rng(5).uniform(-1, 1, (3, 3, SIZE, SIZE)).astype(np.float32)
    assert rel_error(engine.run(images), torch_run(generator, images, None)) <= 1e-4


def test_registry_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    assert list(BACKENDS) == ["onnxruntime", "tensorrt", "torch"]
    tensorrt = BACKENDS["tensorrt"]  # its availability faked both ways: the same answer on any machine
    monkeypatch.setattr(tensorrt, "available", classmethod(lambda cls: False))
    assert pick_backend("auto") == "onnxruntime"
    monkeypatch.setattr(tensorrt, "available", classmethod(lambda cls: True))
    assert pick_backend("auto") == "tensorrt"
    with pytest.raises(UserError, match="unknown backend 'bogus'"):
        pick_backend("bogus")


def test_auto_and_missing_backends(pack: StylePack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BACKENDS["tensorrt"], "available", classmethod(lambda cls: False))
    assert create_backend("auto", pack).name == "onnxruntime"
    with pytest.raises(UserError, match=r"tensorrt.*not available"):
        create_backend("tensorrt", pack)


def test_torch_backend_needs_weights(tmp_path: Path) -> None:
    pack = StylePack.load(make_pack(tmp_path / "p", weights=False))
    with pytest.raises(UserError, match=r"weights\.safetensors"):
        create_backend("torch", pack)


def test_refuses_models_breaking_the_contract(tmp_path: Path) -> None:
    onnx_path, _, _ = tiny_model_files()
    wrong_size = write_pack(
        tmp_path / "size",
        name="size",
        version="1",
        model_family="twingan",
        input_size=SIZE * 2,
        styles=["a", "b"],
        onnx_path=onnx_path,
    )
    with pytest.raises(UserError, match="has shape"):
        create_backend("onnxruntime", StylePack.load(wrong_size))
    wrong_k = write_pack(
        tmp_path / "k",
        name="k",
        version="1",
        model_family="twingan",
        input_size=SIZE,
        styles=["a", "b", "c"],
        onnx_path=onnx_path,
    )
    with pytest.raises(UserError, match="takes 2 style weights"):
        create_backend("onnxruntime", StylePack.load(wrong_k))
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07" + b"\xff" * 100)
    junk = write_pack(
        tmp_path / "junk",
        name="junk",
        version="1",
        model_family="twingan",
        input_size=SIZE,
        styles=["a"],
        onnx_path=garbage,
    )
    with pytest.raises(UserError, match="cannot load this model"):
        create_backend("onnxruntime", StylePack.load(junk))


def test_engine_imports_no_torch() -> None:
    code = (
        "import sys, animecam.engine.styles, animecam.engine.cli, animecam.engine.builder, "
        "animecam.engine.backends.onnxruntime, animecam.engine.backends.tensorrt; "
        "animecam.engine.styles.list_styles(); assert 'torch' not in sys.modules, 'torch'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_refuses_unsupported_opset(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, SIZE, SIZE])
    output = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["n", 3, SIZE, SIZE])
    graph = helper.make_graph([helper.make_node("Identity", ["image"], ["output"])], "g", [image], [output])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 99)])
    onnx.save(model, tmp_path / "future.onnx")
    folder = write_pack(
        tmp_path / "future",
        name="future",
        version="1",
        model_family="cyclegan",
        input_size=SIZE,
        styles=["a"],
        onnx_path=tmp_path / "future.onnx",
    )
    with pytest.raises(UserError, match="onnxruntime cannot load this model") as info:
        create_backend("onnxruntime", StylePack.load(folder))
    assert "\n" not in str(info.value)
