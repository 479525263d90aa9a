"""`animecam train run`: start or resume a run folder from a dataset (or two folders) and a preset."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from animecam.core.errors import UserError
from animecam.training.config import TrainConfig, preset
from animecam.training.trainer import Trainer, shutdown_distributed


def size_warning(made_at: object, trains_at: int, dataset: str | None) -> str | None:
    """Why a run will be blurry when its dataset was made smaller than it trains (images enlarged)."""
    if not isinstance(made_at, int) or made_at >= trains_at:
        return None
    return (
        f"the dataset {dataset} was made at {made_at} px but this run trains at {trains_at} px, so every "
        f"image is enlarged and blurry: remake it with 'animecam train data --size {trains_at}' or "
        f"train at {made_at} px (a preset of that size)"
    )


def run_train(args: argparse.Namespace) -> int:
    run_dir: Path = args.out
    if args.resume:
        config = TrainConfig.load(run_dir)
        if args.steps is not None:
            config.steps = args.steps
    else:
        if (run_dir / "config.json").exists():
            raise UserError(
                f"{run_dir} already holds a run; pass --resume to continue it or choose a new --out"
            )
        dataset = args.dataset
        if args.photos is not None:
            dataset = _prepare_for_run(args, run_dir)
        if dataset is None:
            raise UserError("pass --dataset DIR, or --photos DIR --anime DIR")
        init = str(args.init.resolve()) if args.init is not None else None
        config = preset(
            args.preset, model=args.model, steps=args.steps, dataset=str(Path(dataset).resolve()), init=init
        )
    trainer = Trainer(config, run_dir)
    if trainer.is_main:
        files = trainer.files
        warning = size_warning(files.manifest.get("size"), config.image_size, config.dataset)
        if warning is not None:
            print(f"warning: {warning}", file=sys.stderr)
        print(
            f"{config.model}: {len(files.photos)} photos, {len(files.anime)} anime images "
            f"({', '.join(files.styles)}), {config.image_size}px, batch {config.batch_size} x "
            f"{trainer.world} process(es) on {trainer.device}, {config.steps} steps -> {run_dir}"
        )
    losses = trainer.train(resume=args.resume)
    if trainer.is_main:
        print(", ".join(f"{k} {v:.4f}" for k, v in losses.items()))
        print(run_dir)
    del trainer
    shutdown_distributed()
    return 0


def _prepare_for_run(args: argparse.Namespace, run_dir: Path) -> Path:
    from animecam.training.prepare import prepare_dataset

    if args.anime is None:
        raise UserError("--photos needs --anime DIR as well")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise UserError("under torchrun, prepare the data first ('animecam train data') and pass --dataset")
    dataset = run_dir / "dataset"
    size = preset(args.preset).image_size
    prepare_dataset(dataset, photos=args.photos, anime=args.anime, size=max(size, 256))
    return dataset
