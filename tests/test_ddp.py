"""DistributedDataParallel with the gloo backend in two CPU processes: both ranks end with the same
weights (gradients are averaged), the weights moved, and only rank 0 wrote the run's files."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from test_trainer import write_dataset  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ddp_worker(rank: int, world: int, port: int, dataset: str, run_dir: str, out_dir: str) -> None:
    from safetensors.torch import save_file

    from animecam.training.config import preset
    from animecam.training.trainer import Trainer, shutdown_distributed

    os.environ.update(
        {
            "RANK": str(rank),
            "WORLD_SIZE": str(world),
            "LOCAL_RANK": str(rank),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
        }
    )
    config = preset("cpu-tiny", dataset=dataset, steps=3, checkpoint_every=100, sample_every=100)
    trainer = Trainer(config, Path(run_dir))
    initial = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.train()
    state = trainer.model.state_dict()
    save_file({k: v.contiguous() for k, v in state.items()}, f"{out_dir}/rank{rank}.safetensors")
    save_file({k: v.contiguous() for k, v in initial.items()}, f"{out_dir}/initial{rank}.safetensors")
    del trainer, state
    shutdown_distributed()


@pytest.mark.slow
def test_two_gloo_ranks_keep_identical_weights(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    dataset = write_dataset(tmp_path / "dataset", photos=8, anime=8)
    run_dir = tmp_path / "run"
    torch.multiprocessing.spawn(
        ddp_worker, args=(2, free_port(), str(dataset), str(run_dir), str(tmp_path)), nprocs=2, join=True
    )
    rank0, rank1 = (load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1))
    initial = load_file(str(tmp_path / "initial0.safetensors"))
    assert rank0.keys() == rank1.keys()
    for name in rank0:
        assert torch.allclose(rank0[name], rank1[name], atol=1e-6, rtol=0), name
    assert any(not torch.equal(rank0[k], initial[k]) for k in rank0 if k.endswith("weight"))
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "step_0000003.json",
        "step_0000003.safetensors",
    ]
