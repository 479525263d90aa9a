"""training/export.py: a run becomes a verified style pack whose ONNX model matches the torch generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

from test_trainer import write_dataset  # noqa: E402

import animecam.engine.builder as builder  # noqa: E402
from animecam.cli import main  # noqa: E402
from animecam.engine.backends.tensorrt import TensorRTBackend  # noqa: E402
from animecam.engine.packs import StylePack  # noqa: E402
from animecam.training.config import preset  # noqa: E402
from animecam.training.models import load_generator  # noqa: E402
from animecam.training.trainer import Trainer  # noqa: E402


@pytest.fixture(scope="module")
def two_style_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    dataset = write_dataset(root / "dataset", styles=("ghibli", "moe"))
    threads = torch.get_num_threads()
    Trainer(preset("cpu-tiny", dataset=str(dataset), steps=2), root / "run").train()
    torch.set_num_threads(threads)
    return root / "run"


@pytest.mark.slow
def test_export_writes_a_pack_matching_torch(
    two_style_run: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The "not built" line is the answer wherever TensorRT is missing; on a GPU machine it is faked so.
    monkeypatch.setattr(TensorRTBackend, "available", classmethod(lambda cls: False))
    out = tmp_path / "pack"
    assert (
        main(["train", "export", str(two_style_run), "--out", str(out), "--name", "Toy Pack", "--tensorrt"])
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("TensorRT plan not built: TensorRT is not available here")
    pack = StylePack.load(out)  # schema, hashes and file types verified
    assert (pack.name, pack.model_family, pack.input_size) == ("toy-pack", "twingan", 32)
    assert [s.name for s in pack.styles] == ["ghibli", "moe"]
    assert all((out / s.preview).is_file() for s in pack.styles if s.preview)
    training = json.loads((out / "style.json").read_text())["training"]
    assert training["steps"] == 2 and "rec_a" in training["losses"] and training["data_source"]

    session = ort.InferenceSession(str(pack.onnx_path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image", "style"]
    name, generator = load_generator(pack.weights_path)
    assert name == "twingan"
    generator.eval()
    images = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    styles = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.2, 0.8]])
    got = session.run(["output"], {"image": images.numpy(), "style": styles.numpy()})[0]
    with torch.no_grad():
        want = generator(images, styles).numpy()
    assert np.abs(got - want).max() / np.abs(want).max() <= 1e-4


def test_export_refuses_an_onnx_model_that_differs_from_torch(
    two_style_run: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parity check guards the pack: an ONNX model computing something else writes no pack."""
    import copy

    import animecam.training.export as export

    real_export = export.export_onnx

    def export_a_perturbed_copy(generator: torch.nn.Module, styles: int, size: int, path: Path) -> list[str]:
        other = copy.deepcopy(generator)
        with torch.no_grad():
            weight = next(other.parameters())  # noise, not a scale (a norm after it would undo that)
            weight.add_(torch.randn(weight.shape, generator=torch.Generator().manual_seed(0)) * 0.01)
        return real_export(other, styles, size, path)

    monkeypatch.setattr(export, "export_onnx", export_a_perturbed_copy)
    out = tmp_path / "pack"
    assert main(["train", "export", str(two_style_run), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "differs from the torch generator (relative error" in err[0]
    assert not out.exists()


def test_export_builds_a_plan_where_the_tensorrt_backend_is_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether to build is the backend's question (TensorRT + cuda-python + a GPU), not torch's: with
    the CPU torch this project recommends, torch.cuda.is_available() is False even where plans build."""
    from test_packs import make_pack

    from animecam.training.export import build_tensorrt

    pack_dir = make_pack(tmp_path / "p")
    built: list[Path] = []
    monkeypatch.setattr(TensorRTBackend, "available", classmethod(lambda cls: True))
    monkeypatch.setattr(builder, "ensure_plan", lambda pack: built.append(pack.root) or tmp_path / "x.plan")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the CPU torch build
    assert build_tensorrt(pack_dir) == f"TensorRT plan: {tmp_path / 'x.plan'}"
    assert built == [pack_dir]
    monkeypatch.setattr(TensorRTBackend, "available", classmethod(lambda cls: False))
    assert build_tensorrt(pack_dir).startswith("TensorRT plan not built: TensorRT is not available here")


def test_export_refuses_a_run_without_checkpoint(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    preset("cpu-tiny", dataset=str(tmp_path)).save(run)
    assert main(["train", "export", str(run), "--out", str(tmp_path / "pack")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert main(["train", "export", str(tmp_path / "missing"), "--out", str(tmp_path / "p2")]) == 2


def test_a_pack_is_named_after_the_folder_it_is_exported_to(two_style_run: Path, tmp_path: Path) -> None:
    # Not after the run folder: several exports of one run ("run") would all be called "run".
    assert main(["train", "export", str(two_style_run), "--out", str(tmp_path / "My Look")]) == 0
    assert StylePack.load(tmp_path / "My Look").name == "my-look"
