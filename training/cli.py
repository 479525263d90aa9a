"""`animecam train data|run|models|export` and `animecam twin` (entry point "animecam.commands").

Handlers import torch (and everything that needs it) lazily, so `animecam --help` and the rest of the
CLI work without the 'train' extra; without torch they say how to install it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
from pathlib import Path
from typing import Any

from animecam.core.args import positive_int
from animecam.core.errors import UserError

# animecam is installed from a checkout (it is on no package index); torch==2.13.0 is pinned because
# a bare torch can pull a multi-GB CUDA build onto a CPU-only machine.
TORCH_MISSING = (
    "training needs the 'train' extra: in the animecam checkout run "
    "pip install -e \".[train]\" (on a CPU-only machine: pip install torch==2.13.0 -e \".[train]\")"
)


def _needs_torch() -> None:
    if importlib.util.find_spec("torch") is None:
        raise UserError(TORCH_MISSING)


def _call(module: str, function: str, args: argparse.Namespace) -> int:
    _needs_torch()
    handler: Any = getattr(importlib.import_module(module), function)
    return int(handler(args))


def run_train_data(args: argparse.Namespace) -> int:
    if args.teacher is not None:  # teacher pairs for paired distillation (training/distill.py)
        return _call("animecam.training.distill", "run_distill_data", args)
    return _call("animecam.training.prepare", "run_data", args)


def run_train_run(args: argparse.Namespace) -> int:
    if args.help_presets:  # listing presets needs no run folder and no torch
        from animecam.training.config import describe_presets

        print(describe_presets())
        return 0
    if args.out is None:
        raise UserError("train run needs --out RUN: the folder the run is written to")
    return _call("animecam.training.run", "run_train", args)


def run_train_models(args: argparse.Namespace) -> int:
    return _call("animecam.training.models.listing", "run_models", args)


def run_train_export(args: argparse.Namespace) -> int:
    return _call("animecam.training.export", "run_export", args)


def run_twin(args: argparse.Namespace) -> int:
    return _call("animecam.training.twin", "run_twin", args)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="prepare data, train GANs and export style packs (torch)")
    actions = train.add_subparsers(dest="train_action", metavar="ACTION", required=True)

    data = actions.add_parser("data", help="build an unpaired dataset: aligned photo faces + anime images")
    data.add_argument("--photos", type=Path, default=None, help="folder of photos (faces are found)")
    data.add_argument("--anime", type=Path, default=None, help="folder of anime images (subfolders = styles)")
    data.add_argument(
        "--selfie2anime",
        type=Path,
        default=None,
        metavar="DIR",
        help="a folder in the selfie2anime layout (trainA, trainB, testA, testB) instead of the two above",
    )
    data.add_argument("--out", type=Path, required=True, metavar="DATASET", help="new dataset folder")
    data.add_argument("--size", type=positive_int, default=256, help="side of the square training images")
    data.add_argument("--test-fraction", type=float, default=0.1, help="share of images held out")
    data.add_argument("--whole-photos", action="store_true", help="centre-crop photos instead of aligning")
    data.add_argument("--seed", type=int, default=0)
    distill = data.add_argument_group("teacher pairs (paired distillation, see training/distill.py)")
    distill.add_argument(
        "--teacher", default=None, metavar="LOOK[,LOOK...]",
        help="draw each photo crop with these looks and write the pairs (no --anime needed)",
    )
    distill.add_argument("--video", type=Path, action="append", metavar="FILE",
                         help="add the tracked, aligned faces of a clip (your own face; repeatable)")
    distill.add_argument("--video-every", type=positive_int, default=5, help="keep every Nth frame's faces")
    distill.add_argument(
        "--variants", type=positive_int, default=12, help="crops per training face (1 plain)"
    )
    distill.add_argument("--holdout", type=int, default=20, help="LFW people never trained on (test split)")
    distill.add_argument("--no-library", action="store_true", help="skip the astronaut and LFW faces")
    data.set_defaults(handler=run_train_data)

    run = actions.add_parser("run", help="train a model (torchrun for several GPUs or nodes)")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--dataset", type=Path, default=None, help="a prepared or selfie2anime-layout folder")
    source.add_argument("--photos", type=Path, default=None, help="photo folder (needs --anime; prepared)")
    run.add_argument("--anime", type=Path, default=None, help="anime folder, with --photos")
    run.add_argument("--model", default=None, help="cyclegan | twingan | twingan-rt (default: the preset's)")
    run.add_argument("--preset", default="selfie2anime-256", help="named configuration (see --help-presets)")
    run.add_argument("--out", type=Path, default=None, metavar="RUN", help="run folder (required)")
    run.add_argument("--steps", type=positive_int, default=None, help="total steps (overrides the preset)")
    run.add_argument("--resume", action="store_true", help="continue from the run's latest checkpoint")
    run.add_argument("--init", type=Path, default=None, metavar="PACK",
                     help="start from this style pack's (or generator file's) weights: fine-tune it")
    run.add_argument("--help-presets", action="store_true", help="list the presets and exit")
    run.set_defaults(handler=run_train_run)

    models = actions.add_parser("models", help="list the model registry with sizes and GMACs at 256x256")
    models.add_argument("--json", action="store_true", help="print a JSON list of {name, params, gmacs_256}")
    models.set_defaults(handler=run_train_models)

    export = actions.add_parser("export", help="write a style pack from a run's EMA generator")
    export.add_argument("run", type=Path, metavar="RUN", help="run folder written by 'train run'")
    export.add_argument("--out", type=Path, required=True, metavar="PACK", help="new pack folder")
    export.add_argument("--name", default=None, help="pack name (default: the --out folder's name)")
    export.add_argument(
        "--style-names", default=None, help="comma-separated style names (default: dataset's)"
    )
    export.add_argument("--license", default="unspecified", help="licence of the weights (style.json)")
    export.add_argument("--tensorrt", action="store_true", help="also build a TensorRT plan (NVIDIA GPU)")
    export.set_defaults(handler=run_train_export)

    twin = subparsers.add_parser("twin", help="find the anime faces nearest to a photo in TwinGAN's latent")
    twin.add_argument("photo", type=Path, metavar="PHOTO")
    twin.add_argument("--gallery", type=Path, required=True, metavar="DIR", help="folder of anime faces")
    twin.add_argument("--run", type=Path, default=None, help="run folder or style pack (default: bundled)")
    twin.add_argument("--out", type=Path, required=True, metavar="PNG", help="picture to write")
    twin.add_argument("--top", type=positive_int, default=5, help="how many neighbours to show")
    twin.set_defaults(handler=run_twin)
