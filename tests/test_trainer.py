"""training/trainer.py: run outputs, exact resume, learning, and the `train` CLI."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from animecam.cli import main  # noqa: E402
from animecam.core.errors import UserError  # noqa: E402
from animecam.training.config import preset  # noqa: E402
from animecam.training.data import dataset_files, read_image, to_tensor  # noqa: E402
from animecam.training.models import build_model  # noqa: E402
from animecam.training.trainer import Trainer  # noqa: E402


def smooth(seed: int, size: int = 32) -> np.ndarray:
    small = np.random.default_rng(seed).integers(0, 255, (3, 3, 3), dtype=np.uint8)
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)


def write_dataset(root: Path, photos: int = 6, anime: int = 6, styles: tuple[str, ...] = ()) -> Path:
    """A tiny unpaired dataset: smooth colour photos; 'anime' = the same kind of images, posterised."""
    for split, n in (("trainA", photos), ("testA", 2)):
        (root / split).mkdir(parents=True)
        for i in range(n):
            cv2.imwrite(str(root / split / f"{i}.png"), smooth(i + (100 if split == "testA" else 0)))
    for split, n in (("trainB", anime), ("testB", 2)):
        for k, style in enumerate(styles or ("",)):
            folder = root / split / style
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                cv2.imwrite(str(folder / f"{i}.png"), (smooth(50 + i + 10 * k) // 64) * 64 + 32)
    return root


@pytest.fixture(autouse=True)
def _keep_thread_count():
    """The trainer sets torch's (process-wide) thread count from its config; restore it for others."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "dataset")


def test_run_writes_checkpoint_samples_events_and_config(dataset: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    losses = Trainer(preset("cpu-tiny", dataset=str(dataset)), run).train()
    assert {"rec_a", "rec_b", "cycle", "G_adv", "D"} <= set(losses)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "step_0000002.json",
        "step_0000002.safetensors",
        "step_0000004.json",
        "step_0000004.safetensors",
    ]
    grid = cv2.imread(str(run / "samples" / "step_0000004.png"))
    assert grid.shape[0] == 6 * 32  # photo, anime result, EMA result, reconstruction, cycle, anime
    assert list((run / "tb").glob("events.out.tfevents.*"))
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == "twingan" and config["model_options"]["twingan"]["num_styles"] == 1
    summary = json.loads((run / "run.json").read_text())
    assert summary["steps"] == 4 and summary["losses"].keys() == losses.keys()
    # Checkpoints are safetensors + JSON only: nothing a pickle loader could read. A safetensors file is
    # an 8-byte header length, a JSON header, then exactly the raw tensor bytes it lists: nothing else.
    data = (run / "checkpoints" / "step_0000004.safetensors").read_bytes()
    header_length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_length])
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    assert {k.split("/")[0] for k in tensors} >= {"model", "ema", "optim"}
    assert 8 + header_length + max(t["data_offsets"][1] for t in tensors.values()) == len(data)
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(data)


@pytest.mark.parametrize("model", ["twingan", "cyclegan"])
def test_resume_is_exact(model: str, dataset: Path, tmp_path: Path) -> None:
    config = dict(model=model, dataset=str(dataset), steps=6, decay_steps=3, checkpoint_every=100)
    straight = Trainer(preset("cpu-tiny", **config), tmp_path / "a")
    straight.train()
    Trainer(preset("cpu-tiny", **config), tmp_path / "b").train(stop_at=2)  # mid-epoch (3 per epoch)
    resumed = Trainer(preset("cpu-tiny", **config), tmp_path / "b")
    resumed.train(resume=True)
    assert resumed.step == 6
    for name, tensor in straight.model.state_dict().items():
        other = resumed.model.state_dict()[name]
        assert torch.allclose(tensor.float(), other.float(), atol=1e-6, rtol=0), name
    for ema, other in zip(straight.ema.parameters(), resumed.ema.parameters(), strict=True):
        assert torch.allclose(ema, other, atol=1e-6, rtol=0)
    assert straight.optimizers["G"].param_groups[0]["lr"] == resumed.optimizers["G"].param_groups[0]["lr"]


def test_learning_rate_is_constant_then_decays_linearly() -> None:
    config = preset("cpu-tiny", steps=10, decay_steps=4)
    assert [config.lr_factor(s) for s in (0, 5, 6, 7, 8, 10)] == [1.0, 1.0, 1.0, 0.75, 0.5, 0.0]


@pytest.mark.slow
def test_trained_toy_model_reconstructs_better_than_untrained(dataset: Path, tmp_path: Path) -> None:
    """Photo reconstruction and photo->anime->photo cycle L1 on held-out photos fall with training."""
    toy = {"channels": [8, 16], "ndf": 8, "n_layers_d": 1, "lr": 2e-3, "lr_d": 2e-3}
    config = preset(
        "cpu-tiny",
        dataset=str(dataset),
        steps=60,
        decay_steps=10,
        ema_decay=0.9,
        model_options={"twingan": toy},
        sample_every=1000,
        checkpoint_every=1000,
    )
    trainer = Trainer(config, tmp_path / "run")
    photos = torch.stack([to_tensor(read_image(p, 32)) for p in dataset_files(dataset, "test").photos])
    anime = photos.flip(0)

    def errors() -> tuple[float, float]:
        samples = trainer.model.samples(photos, anime)
        rec = (samples["reconstruction"] - photos).abs().mean().item()
        return rec, (samples["cycle"] - photos).abs().mean().item()

    before = errors()
    trainer.train()
    after = errors()
    assert after[0] < 0.7 * before[0] and after[1] < 0.7 * before[1], (before, after)


def test_multi_style_dataset_sets_num_styles(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "d", styles=("one", "two"))
    trainer = Trainer(preset("cpu-tiny", dataset=str(data), steps=1), tmp_path / "run")
    assert trainer.files.styles == ["one", "two"]
    assert trainer.model.generator.num_styles == 2
    trainer.train()
    with pytest.raises(UserError, match="one anime style"):
        Trainer(preset("cpu-tiny", model="cyclegan", dataset=str(data)), tmp_path / "run2")


def test_train_cli(dataset: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    args = ["train", "run", "--dataset", str(dataset), "--preset", "cpu-tiny", "--out", str(run)]
    assert main([*args, "--steps", "2"]) == 0
    assert main(args) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*args, "--resume", "--steps", "3"]) == 0
    assert json.loads((run / "run.json").read_text())["steps"] == 3
    assert main(["train", "run", "--out", str(tmp_path / "x"), "--help-presets"]) == 0
    assert "selfie2anime-256" in capsys.readouterr().out
    assert main(["train", "run", "--dataset", str(tmp_path), "--out", str(tmp_path / "y")]) == 2
    assert "trainA" in capsys.readouterr().err
    assert (
        main(["train", "run", "--dataset", str(dataset), "--preset", "nope", "--out", str(tmp_path / "z")])
        == 2
    )


@pytest.mark.slow
def test_train_models_json_lists_registry(capsys) -> None:
    assert main(["train", "models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["cyclegan", "twingan", "twingan-rt", "twingan-rt-distill"]
    assert all(set(r) == {"name", "params", "gmacs_256"} for r in rows)


def test_without_torch_commands_say_how_to_install(monkeypatch, capsys) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    assert main(["train", "models"]) == 2
    # animecam is on no package index: the hint installs the extra from the checkout.
    err = capsys.readouterr().err
    assert 'pip install -e ".[train]"' in err and 'pip install torch==2.13.0 -e ".[train]"' in err
    assert "animecam[train]" not in err


def test_untrained_models_differ_from_trained_weights(dataset: Path, tmp_path: Path) -> None:
    """The EMA generator moves with training (a trainer that saved untouched weights would fail)."""
    trainer = Trainer(preset("cpu-tiny", dataset=str(dataset), steps=2), tmp_path / "run")
    torch.manual_seed(0)
    fresh = build_model("twingan", trainer.config.options_for_model())
    trainer.train()
    moved = [
        not torch.equal(a, b)
        for a, b in zip(fresh.generator.parameters(), trainer.ema.parameters(), strict=True)
    ]
    assert any(moved)
