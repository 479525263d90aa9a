"""The training loop: schedules, EMA, checkpoints with exact resume, TensorBoard, samples and DDP.

A run folder holds `config.json`, `checkpoints/step_NNNNNNN.safetensors` (+ a `.json` sidecar),
`samples/step_NNNNNNN.png`, `tb/` (TensorBoard) and `run.json` (steps, losses, data source; what
export writes into the pack). Checkpoints are safetensors (tensors) plus JSON (optimiser groups,
schedulers, scaler): nothing is pickled or unpickled. Launched by `torchrun`, the loop runs
DistributedDataParallel (nccl on GPUs, gloo on CPU); only rank 0 logs and writes.
"""

from __future__ import annotations

import copy
import gc
import json
import os
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from animecam.core.errors import UserError
from animecam.training.config import TrainConfig
from animecam.training.data import (
    EpochBatches,
    dataset_files,
    read_image,
    to_image,
    to_tensor,
)
from animecam.training.models import GanModel, build_model
from animecam.training.models.generator_file import start_from
from animecam.training.paired import training_dataset

CHECKPOINTS = "checkpoints"
RUN_FILE = "run.json"
GRID_KINDS = ("photo", "anime_result", "anime_result_ema", "reconstruction", "cycle", "anime")


def setup_distributed() -> tuple[int, int, torch.device]:
    """(rank, world size, device) from torchrun's environment; joins the process group if world > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if world > 1 and not torch.distributed.is_initialized():
        if cuda:
            torch.cuda.set_device(device)
        torch.distributed.init_process_group("nccl" if cuda else "gloo")
    return rank, world, device


def shutdown_distributed() -> None:
    """Leave the process group once every rank is done with it. The caller drops its DDP-wrapped
    models first: Gloo's threads can still hold the reducer's last async work, and if that dies
    during interpreter shutdown, or after a faster peer has already closed its sockets, the
    process aborts with SIGABRT after a run that otherwise succeeded."""
    if not torch.distributed.is_initialized():
        return
    torch.distributed.barrier()
    gc.collect()
    torch.distributed.destroy_process_group()


class Checkpoints:
    """step_NNNNNNN.safetensors (model, EMA, optimiser tensors, RNG) + step_NNNNNNN.json (the rest).
    The sidecar is written last, so a checkpoint without one (a crash mid-write) is ignored."""

    def __init__(self, folder: Path, keep: int) -> None:
        self.folder, self.keep = folder, keep

    def steps(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        return sorted(
            int(p.stem.split("_")[1])
            for p in self.folder.glob("step_*.json")
            if p.with_suffix(".safetensors").is_file()
        )

    def path(self, step: int) -> Path:
        return self.folder / f"step_{step:07d}.safetensors"

    def save(self, step: int, tensors: dict[str, torch.Tensor], sidecar: dict[str, Any]) -> Path:
        from safetensors.torch import save_file

        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(step)
        partial = target.with_suffix(".partial")
        save_file({k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}, str(partial))
        os.replace(partial, target)
        # The sidecar marks the checkpoint complete, so it appears whole or not at all (a crash while
        # writing it in place left half a JSON file that resume then failed to read).
        sidecar_partial = target.with_suffix(".json.partial")
        sidecar_partial.write_text(json.dumps(sidecar, indent=1) + "\n", encoding="utf-8")
        os.replace(sidecar_partial, target.with_suffix(".json"))
        for old in self.steps()[: -self.keep]:
            self.path(old).unlink(missing_ok=True)
            self.path(old).with_suffix(".json").unlink(missing_ok=True)
        return target

    def load(self, step: int) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        from safetensors.torch import load_file

        sidecar = json.loads(self.path(step).with_suffix(".json").read_text(encoding="utf-8"))
        return load_file(str(self.path(step))), sidecar


def prefixed(prefix: str, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}/{k}": v for k, v in state.items()}


def unprefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    start = len(prefix) + 1
    return {k[start:]: v for k, v in tensors.items() if k.startswith(f"{prefix}/")}


def optimizer_tensors(name: str, optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    return {
        f"optim/{name}/{index}/{key}": value
        for index, state in optimizer.state_dict()["state"].items()
        for key, value in state.items()
    }


def restore_optimizer(
    name: str,
    optimizer: torch.optim.Optimizer,
    tensors: dict[str, torch.Tensor],
    groups: list[dict[str, Any]],
) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in unprefixed(f"optim/{name}", tensors).items():
        index, field = key.split("/", 1)
        state.setdefault(int(index), {})[field] = value
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def sample_grid(rows: dict[str, torch.Tensor]) -> np.ndarray:
    """One labelled row per kind of picture (photo, anime result, reconstruction, ...), BGR uint8."""
    tiles = []
    for kind, images in rows.items():
        row = np.concatenate([to_image(image) for image in images], axis=1)
        height = row.shape[0]
        label = np.full((height, 150, 3), 255, np.uint8)
        scale = max(0.35, min(0.5, height / 80))
        cv2.putText(
            label, kind, (4, height // 2 + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA
        )
        tiles.append(np.concatenate([label, row], axis=1))
    return np.concatenate(tiles, axis=0)


class Trainer:
    """`Trainer(config, run_dir).train()`; `resume=True` continues from the latest checkpoint."""

    def __init__(self, config: TrainConfig, run_dir: Path) -> None:
        if config.dataset is None:
            raise UserError("no dataset: pass --dataset DIR (or --photos DIR --anime DIR)")
        self.config, self.run_dir = config, run_dir
        self.rank, self.world, self.device = setup_distributed()
        if config.threads > 0 and self.device.type == "cpu":
            torch.set_num_threads(config.threads)
        self.files = dataset_files(Path(config.dataset), "train")
        options = {"num_styles": len(self.files.styles), **config.options_for_model()}
        config.model_options = {**config.model_options, config.model: options}
        torch.manual_seed(config.seed)  # identical initial weights on every rank
        self.model: GanModel = build_model(config.model, options)
        if config.init is not None:
            start_from(self.model, config.init)
        self.model.to(self.device)
        multiple = getattr(self.model.generator, "size_multiple", 1)
        if config.image_size % multiple:
            raise UserError(f"image_size {config.image_size} must be a multiple of {multiple} for this model")
        self.ema: nn.Module = copy.deepcopy(self.model.generator).eval().requires_grad_(False)
        self.optimizers = self.model.make_optimizers()
        self.schedulers = {
            name: torch.optim.lr_scheduler.LambdaLR(opt, config.lr_factor)
            for name, opt in self.optimizers.items()
        }
        use_amp = config.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if use_amp else None
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.model.distribute(lambda net: DistributedDataParallel(net, device_ids=ids))
        dataset = training_dataset(self.files, config.image_size, config.augment, config.seed)
        self.batches = EpochBatches(
            dataset, config.batch_size, config.workers, self.rank, self.world, config.seed
        )
        self.step = 0
        self.losses: dict[str, float] = {}  # running means reported in logs and run.json
        self.seconds = 0.0
        self._cpu_start = time.process_time()
        self.checkpoints = Checkpoints(run_dir / CHECKPOINTS, config.keep_checkpoints)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    # -- state ---------------------------------------------------------------------------------
    def state_tensors(self) -> dict[str, torch.Tensor]:
        tensors = {**prefixed("model", self.model.state_dict()), **prefixed("ema", self.ema.state_dict())}
        for name, optimizer in self.optimizers.items():
            tensors.update(optimizer_tensors(name, optimizer))
        tensors["rng/torch"] = torch.get_rng_state()
        if torch.cuda.is_available():
            tensors["rng/cuda"] = torch.cuda.get_rng_state(self.device)
        return tensors

    def save_checkpoint(self) -> Path:
        sidecar = {
            "step": self.step,
            "model": self.config.model,
            "param_groups": {n: o.state_dict()["param_groups"] for n, o in self.optimizers.items()},
            "schedulers": {n: s.state_dict() for n, s in self.schedulers.items()},
            "scaler": None if self.scaler is None else self.scaler.state_dict(),
            "losses": self.losses,
            "seconds": self.seconds,
        }
        path = self.checkpoints.save(self.step, self.state_tensors(), sidecar)
        self.write_summary()
        return path

    def load_checkpoint(self, step: int) -> None:
        tensors, sidecar = self.checkpoints.load(step)
        self.model.load_state_dict(unprefixed("model", tensors))
        self.ema.load_state_dict(unprefixed("ema", tensors))
        for name, optimizer in self.optimizers.items():
            restore_optimizer(name, optimizer, tensors, sidecar["param_groups"][name])
            self.schedulers[name].load_state_dict(sidecar["schedulers"][name])
        if self.scaler is not None and sidecar["scaler"]:
            self.scaler.load_state_dict(sidecar["scaler"])
        if self.world == 1:
            torch.set_rng_state(tensors["rng/torch"])
            if "rng/cuda" in tensors and torch.cuda.is_available():
                torch.cuda.set_rng_state(tensors["rng/cuda"], self.device)
        else:  # one saved RNG state cannot serve every rank: each reseeds from (seed, rank, step)
            torch.manual_seed(self.config.seed + 7919 * self.rank + step)
        self.step, self.losses, self.seconds = step, sidecar["losses"], sidecar["seconds"]

    def write_summary(self) -> None:
        manifest = self.files.manifest
        summary = {
            "model": self.config.model,
            "steps": self.step,
            "image_size": self.config.image_size,
            "styles": self.files.styles,
            "losses": {k: round(v, 5) for k, v in self.losses.items()},
            "train_seconds": round(self.seconds, 1),
            "world_size": self.world,
            "data_source": manifest.get("data_source", f"dataset folder {self.config.dataset}"),
        }
        (self.run_dir / RUN_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    # -- loop ----------------------------------------------------------------------------------
    @torch.no_grad()
    def update_ema(self) -> None:
        decay = self.config.ema_decay
        for ema_p, p in zip(self.ema.parameters(), self.model.generator.parameters(), strict=True):
            ema_p.lerp_(p.detach(), 1.0 - decay)
        for ema_b, b in zip(self.ema.buffers(), self.model.generator.buffers(), strict=True):
            ema_b.copy_(b)

    def sample_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Up to 4 fixed, unaugmented photo/anime pairs (test split when there is one)."""
        try:
            files = dataset_files(Path(str(self.config.dataset)), "test")
        except UserError:
            files = self.files
        size = self.config.image_size
        photos = torch.stack([to_tensor(read_image(p, size)) for p in files.photos[:4]])
        anime = torch.stack([to_tensor(read_image(p, size)) for p in files.anime[: len(photos)]])
        return photos.to(self.device), anime.to(self.device)

    @torch.no_grad()
    def write_samples(self, photos: torch.Tensor, anime: torch.Tensor, writer: Any) -> Path:
        self.model.eval()
        samples = self.model.samples(photos, anime)
        self.model.train()
        samples["anime_result_ema"] = self.ema(photos)
        n = min(len(photos), len(anime))
        grid = sample_grid({kind: samples[kind][:n] for kind in GRID_KINDS if kind in samples})
        path = self.run_dir / "samples" / f"step_{self.step:07d}.png"
        path.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(path), grid)
        writer.add_image("samples", np.ascontiguousarray(grid[..., ::-1]), self.step, dataformats="HWC")
        return path

    def style_weights(self, labels: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(labels, len(self.files.styles)).float().to(self.device)

    def train(self, resume: bool = False, stop_at: int | None = None) -> dict[str, float]:
        """Train to `config.steps` (or only to `stop_at`, a checkpoint then resumes exactly)."""
        config = self.config
        last = config.steps if stop_at is None else min(stop_at, config.steps)
        if resume and self.checkpoints.steps():
            self.load_checkpoint(self.checkpoints.steps()[-1])
        writer = bar = None
        if self.is_main:
            from torch.utils.tensorboard import SummaryWriter
            from tqdm import tqdm

            self.run_dir.mkdir(parents=True, exist_ok=True)
            config.save(self.run_dir)
            writer = SummaryWriter(str(self.run_dir / "tb"), purge_step=self.step or None)
            bar = tqdm(
                total=config.steps,
                initial=self.step,
                unit="step",
                desc=config.model,
                disable=None,
                dynamic_ncols=True,
            )
            fixed = self.sample_batch()
        self.model.train()
        per_epoch = self.batches.batches_per_epoch
        started = time.perf_counter() - self.seconds
        self._cpu_start = time.process_time()
        done = self.step >= last
        while not done:
            epoch, skip = divmod(self.step, per_epoch)
            for batch in self.batches.epoch(epoch, skip):
                losses = self.model.train_step(
                    batch["a"].to(self.device),
                    batch["b"].to(self.device),
                    self.style_weights(batch["style"]),
                    self.optimizers,
                    self.scaler,
                )
                for scheduler in self.schedulers.values():
                    scheduler.step()
                self.update_ema()
                self.step += 1
                self.seconds = time.perf_counter() - started
                self.losses = {
                    k: v if k not in self.losses else 0.9 * self.losses[k] + 0.1 * v
                    for k, v in losses.items()
                }
                if writer is not None and bar is not None:
                    self.log(writer, bar, losses, fixed)
                done = self.step >= last or self.out_of_time()
                if done:
                    break
        if self.is_main:
            if self.step % config.checkpoint_every:
                self.save_checkpoint()
            if writer is not None and bar is not None:
                writer.close()
                bar.close()
        if self.world > 1:
            torch.distributed.barrier()
        return self.losses

    def out_of_time(self) -> bool:
        """Past the time limit; under DDP the ranks agree (any rank out of time stops them all)."""
        limit = self.config.time_limit_minutes
        if limit <= 0:
            return False
        used = time.process_time() - self._cpu_start if self.config.time_limit_cpu else self.seconds
        flag = torch.tensor([float(used >= 60.0 * limit)], device=self.device)
        if self.world > 1:
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
        return bool(flag.item())

    def log(
        self, writer: Any, bar: Any, losses: dict[str, float], fixed: tuple[torch.Tensor, torch.Tensor]
    ) -> None:
        config, step = self.config, self.step
        bar.update(1)
        if step % config.log_every == 0 or step == config.steps:
            for name, value in losses.items():
                writer.add_scalar(f"loss/{name}", value, step)
            for name, optimizer in self.optimizers.items():
                writer.add_scalar(f"lr/{name}", optimizer.param_groups[0]["lr"], step)
            bar.set_postfix({k: f"{v:.3f}" for k, v in self.losses.items()}, refresh=False)
        if step % config.sample_every == 0 or step == config.steps:
            self.write_samples(*fixed, writer)
        if step % config.checkpoint_every == 0:
            self.save_checkpoint()
