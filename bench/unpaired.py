"""Does training learn an unpaired mapping? A task with a hidden true answer, on CPU, in minutes.

Domain A: 64x64 crops of real photos that dependencies ship (scikit-image's astronaut, coffee, cat,
rocket, motorcycle stereo pair and its 25x25 LFW faces, upscaled), with random scale, position and
flips. Domain B: the project's procedural cel look (engine/procedural.py, "cel" without its
face-position touches: no eye catch lights, no cheek skin tones, which mean nothing on non-face crops)
applied to *other* random crops, so no (photo, styled photo) pair is ever seen. After training,
G(A_test) is compared with the true transform of A_test (new random crops of the same photos),
next to the identity baseline (A_test itself). The budget is split evenly between the models.

    python bench/unpaired.py [--minutes 10] [--models cyclegan,twingan] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

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
    from engine.procedural import PROCEDURAL_STYLES, ProceduralStyle

    params = dataclasses.replace(
        PROCEDURAL_STYLES[style],
        eye_contrast=0.0,
        eye_saturation=1.0,
        eye_highlight=0.0,
        skin_lift=0.0,
        skin_smooth=0.0,
        skin_shadow=0.0,
    )
    return ProceduralStyle(params, name=f"{style}-plain", input_size=size)


def write_task(
    root: Path, seed: int, size: int = SIZE, style_name: str = HIDDEN_STYLE, count: int = N_TRAIN
) -> tuple[np.ndarray, np.ndarray]:
    """Write the unpaired dataset (trainA photos, trainB styled other crops, small test splits for
    sample grids) and return (A_test, true transform of A_test)."""
    rng = np.random.default_rng(seed)
    photos, style = source_photos(), hidden_transform(style_name, size)
    train_a, train_b_src = random_crops(photos, count, size, rng), random_crops(photos, count, size, rng)
    test_a = random_crops(photos, N_TEST, size, rng)
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

    from training.config import preset
    from training.models import build_model

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

    from training.config import preset
    from training.data import to_image, to_tensor
    from training.trainer import Trainer

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
    trainer.train()
    with torch.no_grad():
        out = trainer.ema(torch.stack([to_tensor(image) for image in test_a]))
    results = np.stack([to_image(image) for image in out])
    cv2.imwrite(
        str(run_dir / "test.png"),
        np.concatenate([np.concatenate(list(rows[:12]), axis=1) for rows in (test_a, results, truth)]),
    )
    return {**scores(results, truth), "steps": trainer.step, "train_seconds": round(trainer.seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="total training budget (all models)")
    parser.add_argument("--models", default="cyclegan,twingan", help="comma-separated registry names")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="keep runs and samples in this folder")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: minutes = CPU-minutes)")
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
    import torch

    torch.set_num_threads(args.threads)
    names = [n for n in args.models.split(",") if n]
    with tempfile.TemporaryDirectory(prefix="animecam-unpaired-") as tmp:
        root = args.keep or Path(tmp)
        test_a, truth = write_task(root / "dataset", args.seed)
        report: dict[str, dict[str, float]] = {"identity": scores(test_a, truth)}
        for name in names:
            report[name] = train_and_score(
                name, root / "dataset", root / name, args.minutes / len(names), test_a, truth
            )
    if args.json:
        print(json.dumps({k: {"psnr": v["psnr"], "ssim": v["ssim"]} for k, v in report.items()}))
        return 0
    print(f"{'model':<12}{'PSNR dB':>9}{'SSIM':>8}{'vs identity':>13}{'steps':>7}{'seconds':>9}")
    base = report["identity"]["psnr"]
    for name, row in report.items():
        extra = f"{row.get('steps', '-'):>7}{row.get('train_seconds', '-'):>9}"
        print(f"{name:<12}{row['psnr']:>9.2f}{row['ssim']:>8.3f}{row['psnr'] - base:>+13.2f}{extra}")
    print(
        f"{SIZE}x{SIZE}, {N_TRAIN} unpaired crops per domain, {N_TEST} test crops, "
        f"{args.minutes:g} CPU-minutes in total; widths from the 'unpaired-64' preset",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
