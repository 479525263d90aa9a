"""The training models under DistributedDataParallel: two gloo ranks stay identical."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from test_models import TINY

from animecam.training.models import MODELS

DDP_SCRIPT = """
import os, sys, torch, torch.distributed as dist, torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel
from animecam.training.models import build_model
from animecam.training.trainer import shutdown_distributed

CONFIGS = {configs!r}

def worker(rank, port, out):
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    torch.set_num_threads(1)
    spread = {{}}
    for name, cfg in CONFIGS.items():
        torch.manual_seed(0)
        model = build_model(name, cfg)
        model.distribute(DistributedDataParallel)
        optimizers = model.make_optimizers()
        torch.manual_seed(100 + rank)  # each rank sees different data
        for _ in range(2):
            model.train_step(torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1, None,
                             optimizers, None)
        flat = torch.cat([p.detach().flatten() for p in model.parameters()])
        both = [torch.zeros_like(flat) for _ in range(2)]
        dist.all_gather(both, flat)
        spread[name] = float((both[0] - both[1]).abs().max())
        del model, optimizers
    if rank == 0:
        with open(out, "w") as f:
            f.write(repr(spread))
    shutdown_distributed()

if __name__ == "__main__":
    mp.spawn(worker, args=(int(sys.argv[1]), sys.argv[2]), nprocs=2)
"""


def ddp_spread(tmp_path: Path, configs: dict, timeout: float) -> dict[str, float]:
    """Runs DDP_SCRIPT on two gloo ranks: model name -> largest parameter difference between them."""
    import ast
    import socket
    import subprocess
    import sys

    script = tmp_path / "ddp_check.py"
    script.write_text(DDP_SCRIPT.format(configs=configs))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "spread.txt"
    subprocess.run(
        [sys.executable, str(script), str(port), str(out)],
        check=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[1],
    )
    return ast.literal_eval(out.read_text())


@pytest.mark.slow
def test_train_step_under_ddp_keeps_ranks_identical(tmp_path: Path) -> None:
    """Two gloo processes with different data: DDP must average every net's gradients (several
    forwards per step through one wrapper included), so the ranks' parameters stay identical."""
    configs = {
        **TINY,
        "cyclegan": {**TINY["cyclegan"], "pool_size": 0},
        "twingan": {**TINY["twingan"], "style_dim": 4},
    }
    spread = ddp_spread(tmp_path, configs, timeout=120)
    assert set(spread) == set(MODELS)
    assert all(value == 0.0 for value in spread.values()), spread
