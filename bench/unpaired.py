"""Does training learn an unpaired mapping? A task with a hidden true answer, on CPU, in minutes.

Domain A: 64x64 crops of real photos that dependencies ship (scikit-image's astronaut, coffee, cat,
rocket, motorcycle stereo pair and its 25x25 LFW faces, upscaled), with random scale, position and
flips. Domain B: a photo filter (bench/photo_filter.py, "cel" without its
face-position touches: no eye catch lights, no cheek skin tones, which mean nothing on non-face crops)
applied to *other* random crops, so no (photo, styled photo) pair is ever seen. After training,
G(A_test) is compared with the true transform of A_test (new random crops of the same photos),
next to the identity baseline (A_test itself). Each model gets the same CPU-minutes (torch on one
thread), and the models train side by side, one process per core.

With --paired, each generator is also trained *with* the pairs (L1 to the true transform) for the
same budget: the ceiling an unpaired run can approach, which says how hard the hidden mapping is.

    python bench/unpaired.py [--minutes 10] [--models cyclegan,twingan] [--paired] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np

SIZE = 64
N_TRAIN, N_TEST = 800, 96
HIDDEN_STYLE = "cel"


def source_photos() -> list[np.ndarray]:
    """BGR photos shipped by scikit-image (no downloads), and its LFW faces as 3-channel images."""
    from skimage import data

    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), *data.stereo_motorcycle()[:2]]
    faces = data.lfw_subset()[:100]  # the first 100 are faces
    photos = [np.ascontiguousarray(p[..., ::-1]) for p in photos]
    grey = [cv2.cvtColor((f * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR) for f in faces]
    return photos + grey


def random_crops(photos: list[np.ndarray], count: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """`count` size x size crops: random photo, side 25%..75% of its shorter side, position, flip."""
    crops = []
    for _ in range(count):
        # Half the crops come from the six large photos, half from the 100 LFW faces.
        pick = int(rng.integers(6)) if rng.random() < 0.5 else int(rng.integers(6, len(photos)))
        photo = photos[pick]
        short = min(photo.shape[:2])
        side = int(short * rng.uniform(0.25, 0.75)) if short > 100 else int(short * rng.uniform(0.8, 1.0))
        y, x = int(rng.integers(photo.shape[0] - side + 1)), int(rng.integers(photo.shape[1] - side + 1))
        crop = cv2.resize(photo[y : y + side, x : x + side], (size, size), interpolation=cv2.INTER_AREA)
        crops.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
    return np.ascontiguousarray(np.stack(crops))


def hidden_transform(style: str, size: int) -> object:
    """A procedural look without its face-position touches (eye catch lights, cheek skin tones)."""
    from photo_filter import FILTERS, ProceduralStyle

    params = dataclasses.replace(
        FILTERS[style],
        eye_contrast=0.0,
        eye_saturation=1.0,
        eye_highlight=0.0,
        skin_lift=0.0,
        skin_smooth=0.0,
        skin_shadow=0.0,
    )
    return ProceduralStyle(params, name=f"{style}-plain", input_size=size)


def task_crops(seed: int, size: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The task's photo crops: (A_train, the crops B_train is drawn from, A_test)."""
    rng = np.random.default_rng(seed)
    photos = source_photos()
    return tuple(random_crops(photos, n, size, rng) for n in (count, count, N_TEST))  # type: ignore[return-value]


def write_task(
    root: Path, seed: int, size: int = SIZE, style_name: str = HIDDEN_STYLE, count: int = N_TRAIN
) -> tuple[np.ndarray, np.ndarray]:
    """Write the unpaired dataset (trainA photos, trainB styled other crops, small test splits for
    sample grids) and return (A_test, true transform of A_test)."""
    style = hidden_transform(style_name, size)
    train_a, train_b_src, test_a = task_crops(seed, size, count)
    train_b = style.stylize(train_b_src)  # type: ignore[attr-defined]
    truth = style.stylize(test_a)  # type: ignore[attr-defined]
    for split, images in (
        ("trainA", train_a),
        ("trainB", train_b),
        ("testA", test_a[:4]),
        ("testB", train_b[:4]),
    ):
        (root / split).mkdir(parents=True)
        for i, image in enumerate(images):
            cv2.imwrite(str(root / split / f"{i:04d}.png"), image)
    source = (
        f"bench/unpaired.py seed {seed}: as photos, {count} random {size}px crops (random scale, position, "
        "flip) of scikit-image's sample photos astronaut, coffee, chelsea, rocket, stereo_motorcycle and its "
        f"100 lfw_subset faces (25px, grey, upscaled); as anime, {count} other such crops drawn by "
        f"animecam's procedural '{style_name}' look without its eye/skin touches. No real anime images."
    )
    manifest = {
        "format": "animecam-dataset",
        "version": 1,
        "size": size,
        "styles": [style_name],
        "data_source": source,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return test_a, truth


def scores(results: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    psnr = [peak_signal_noise_ratio(t, r, data_range=255) for r, t in zip(results, truth, strict=True)]
    ssim = [
        structural_similarity(t, r, data_range=255, channel_axis=2)
        for r, t in zip(results, truth, strict=True)
    ]
    return {"psnr": round(float(np.mean(psnr)), 2), "ssim": round(float(np.mean(ssim)), 4)}


def seconds_per_step(model_name: str) -> float:
    """Time a few training steps of a throwaway model on random batches (for the step budget)."""
    import torch

    from animecam.training.config import preset
    from animecam.training.models import build_model

    config = preset("unpaired-64", model=model_name)
    model = build_model(model_name, config.options_for_model())
    optimizers = model.make_optimizers()
    batch = torch.rand(config.batch_size, 3, SIZE, SIZE) * 2 - 1
    model.train_step(batch, batch, None, optimizers, None)  # warm-up
    started = time.process_time()
    for _ in range(3):
        model.train_step(batch, batch, None, optimizers, None)
    return (time.process_time() - started) / 3


def train_and_score(
    model_name: str, dataset: Path, run_dir: Path, minutes: float, test_a: np.ndarray, truth: np.ndarray
) -> dict[str, float]:
    import torch

    from animecam.training.config import preset
    from animecam.training.data import to_tensor
    from animecam.training.trainer import Trainer

    started = time.process_time()
    per_step = seconds_per_step(model_name)
    left = 60.0 * minutes - (time.process_time() - started)
    steps = max(10, int(0.9 * left / per_step))  # a little slack for samples and checkpoints
    config = preset(
        "unpaired-64",
        model=model_name,
        dataset=str(dataset),
        steps=steps,
        time_limit_minutes=left / 60.0,
        time_limit_cpu=True,
    )
    trainer = Trainer(config, run_dir)
    cpu = time.process_time()
    trainer.train()
    cpu = time.process_time() - cpu
    with torch.no_grad():
        out = trainer.ema(torch.stack([to_tensor(image) for image in test_a]))
    return _score_and_save(out, test_a, truth, run_dir) | {
        "steps": trainer.step,
        "train_seconds": round(cpu, 1),
    }


def train_paired_and_score(
    model_name: str, seed: int, run_dir: Path, minutes: float, test_a: np.ndarray, truth: np.ndarray
) -> dict[str, float]:
    """The ceiling: the same generator, widths and learning rate, fitted to the *pairs* (photo, true
    transform) with L1 for the same CPU budget."""
    import torch

    from animecam.training.config import preset
    from animecam.training.data import to_tensor
    from animecam.training.models import build_model

    train_a = task_crops(seed, SIZE, N_TRAIN)[0]
    photos = torch.stack([to_tensor(image) for image in train_a])
    styled = hidden_transform(HIDDEN_STYLE, SIZE).stylize(train_a)  # type: ignore[attr-defined]
    targets = torch.stack([to_tensor(image) for image in styled])
    config = preset("unpaired-64", model=model_name)
    model = build_model(model_name, config.options_for_model())
    generator = model.generator
    optimizer = model.adam([generator])
    generator.train()
    torch.manual_seed(seed)
    started, steps = time.process_time(), 0
    while time.process_time() - started < 60.0 * minutes:
        batch = torch.randint(0, len(photos), (config.batch_size,))
        loss = (generator(photos[batch]) - targets[batch]).abs().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    generator.eval()
    run_dir.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        out = generator(torch.stack([to_tensor(image) for image in test_a]))
    seconds = round(time.process_time() - started, 1)
    return _score_and_save(out, test_a, truth, run_dir) | {"steps": steps, "train_seconds": seconds}


def _score_and_save(out: Any, test_a: np.ndarray, truth: np.ndarray, run_dir: Path) -> dict[str, float]:
    from animecam.training.data import to_image

    results = np.stack([to_image(image) for image in out])
    cv2.imwrite(
        str(run_dir / "test.png"),
        np.concatenate([np.concatenate(list(rows[:12]), axis=1) for rows in (test_a, results, truth)]),
    )
    return scores(results, truth)


def _job(kind: str, name: str, root: Path, minutes: float, threads: int, seed: int,
         test_a: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """One training run in its own process (so runs share the cores, not a thread pool)."""
    import torch

    torch.set_num_threads(threads)
    if kind == "paired":
        return train_paired_and_score(name, seed, root / f"{name}-paired", minutes, test_a, truth)
    return train_and_score(name, root / "dataset", root / name, minutes, test_a, truth)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="CPU-minutes of training per model")
    parser.add_argument("--models", default="cyclegan,twingan", help="comma-separated registry names")
    parser.add_argument("--paired", action="store_true",
                        help="also train each generator on the pairs: the ceiling (rows 'NAME-paired')")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once (default: cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="keep runs and samples in this folder")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run (1: fair CPU-minutes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--write-dataset",
        type=Path,
        default=None,
        metavar="DIR",
        help="only write the task's dataset (with --size, --style, --count) and exit",
    )
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--style", default=HIDDEN_STYLE, help="procedural look drawing domain B")
    parser.add_argument("--count", type=int, default=N_TRAIN, help="training images per domain")
    args = parser.parse_args(argv)
    if args.write_dataset is not None:
        write_task(args.write_dataset, args.seed, args.size, args.style, args.count)
        print(args.write_dataset)
        return 0
    names = [n for n in args.models.split(",") if n]
    runs = [("unpaired", n) for n in names] + ([("paired", n) for n in names] if args.paired else [])
    with tempfile.TemporaryDirectory(prefix="animecam-unpaired-") as tmp:
        root = args.keep or Path(tmp)
        test_a, truth = write_task(root / "dataset", args.seed)
        report: dict[str, dict[str, float]] = {"identity": scores(test_a, truth)}
        spawn = multiprocessing.get_context("spawn")  # torch and fork do not mix
        with ProcessPoolExecutor(max(1, min(args.jobs, len(runs))), mp_context=spawn) as pool:
            futures = {
                (name if kind == "unpaired" else f"{name}-paired"): pool.submit(
                    _job, kind, name, root, args.minutes, args.threads, args.seed, test_a, truth
                )
                for kind, name in runs
            }
            for key, future in futures.items():
                report[key] = future.result()
    if args.json:
        print(json.dumps({k: {"psnr": v["psnr"], "ssim": v["ssim"]} for k, v in report.items()}))
        return 0
    print(f"{'model':<17}{'PSNR dB':>9}{'SSIM':>8}{'vs identity':>13}{'steps':>7}{'CPU s':>8}")
    base = report["identity"]["psnr"]
    for name, row in report.items():
        extra = f"{row.get('steps', '-'):>7}{row.get('train_seconds', '-'):>8}"
        print(f"{name:<17}{row['psnr']:>9.2f}{row['ssim']:>8.3f}{row['psnr'] - base:>+13.2f}{extra}")
    print(
        f"{SIZE}x{SIZE}, {N_TRAIN} unpaired crops per domain, {N_TEST} test crops, "
        f"{args.minutes:g} CPU-minutes per model; widths from the 'unpaired-64' preset",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
