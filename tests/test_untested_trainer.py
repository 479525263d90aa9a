"""training/trainer.py's checkpoints when a run dies mid-checkpoint: resume uses the last complete
one (and then matches a run that never stopped); a checkpoint without its sidecar is ignored; old
checkpoints are pruned."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

# _keep_thread_count: test_trainer's autouse fixture, which restores torch's process-wide thread count.
from test_trainer import _keep_thread_count, write_dataset  # noqa: E402, F401

from animecam.training.config import preset  # noqa: E402
from animecam.training.trainer import Trainer  # noqa: E402

RUN = {"steps": 6, "decay_steps": 3, "checkpoint_every": 2}  # checkpoints at steps 2, 4, 6


class Crash(BaseException):
    """The process dying (power cut, kill -9): nothing after it runs."""


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("data") / "dataset")


@pytest.fixture(scope="module")
def straight(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Trainer:
    trainer = Trainer(preset("cpu-tiny", dataset=str(dataset), **RUN), tmp_path_factory.mktemp("straight"))
    trainer.train()
    return trainer


def _cut_in_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _crash_writing_tensors(monkeypatch: pytest.MonkeyPatch) -> None:
    import safetensors.torch

    real = safetensors.torch.save_file

    def save_file(tensors: dict, filename: str, *args: object, **kwargs: object) -> None:
        real(tensors, filename, *args, **kwargs)
        if "step_0000004" in filename:
            _cut_in_half(Path(filename))
            raise Crash

    monkeypatch.setattr(safetensors.torch, "save_file", save_file)


def _crash_writing_sidecar(monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.write_text

    def write_text(self: Path, text: str, *args: object, **kwargs: object) -> int:
        if self.name.startswith("step_0000004") and ".json" in self.name:
            real(self, text[: len(text) // 2], *args, **kwargs)
            raise Crash
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)


@pytest.mark.parametrize("crash", ["writing-tensors", "writing-sidecar", "before-sidecar"])
def test_resume_after_a_crash_mid_checkpoint_uses_the_last_complete_one(
    dataset: Path, straight: Trainer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash: str
) -> None:
    config = preset("cpu-tiny", dataset=str(dataset), **RUN)
    checkpoints = tmp_path / "checkpoints"
    with monkeypatch.context() as patch:
        if crash == "writing-tensors":
            _crash_writing_tensors(patch)
        elif crash == "writing-sidecar":
            _crash_writing_sidecar(patch)
        with pytest.raises(Crash) if crash != "before-sidecar" else contextlib.nullcontext():
            Trainer(config, tmp_path).train(stop_at=4)
    if crash == "before-sidecar":  # the tensors were renamed into place, the sidecar never written
        (checkpoints / "step_0000004.json").unlink()
    loaded: list[int] = []
    resumed = Trainer(preset("cpu-tiny", dataset=str(dataset), **RUN), tmp_path)
    real_load = resumed.load_checkpoint
    monkeypatch.setattr(resumed, "load_checkpoint", lambda step: loaded.append(step) or real_load(step))
    resumed.train(resume=True)
    assert loaded == [2] and resumed.step == 6
    for name, tensor in straight.model.state_dict().items():  # and it is exactly the uninterrupted run
        assert torch.allclose(tensor.float(), resumed.model.state_dict()[name].float(), atol=1e-6, rtol=0), (
            name
        )


def test_old_checkpoints_are_pruned(dataset: Path, tmp_path: Path) -> None:
    config = preset("cpu-tiny", dataset=str(dataset), steps=8, checkpoint_every=2, keep_checkpoints=2)
    Trainer(config, tmp_path).train()
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "step_0000006.json",
        "step_0000006.safetensors",
        "step_0000008.json",
        "step_0000008.safetensors",
    ]
