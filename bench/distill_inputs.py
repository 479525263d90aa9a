"""Would the distilled engine learn its teacher's drawing faster if it were given the landmarks?

The looks place eyes, mouth and nose from the crop's five landmarks; the engine sees only pixels. On
a paired dataset (`animecam train data --teacher ...`) this fits twingan-rt-distill's generator (one
look, small size, L1 + the multi-scale gradient loss, no GAN or temporal terms: the quick part of
the objective) for a fixed CPU budget, twice: on the photo alone, and on the photo plus four
Gaussian heatmaps (each eye, the nose, the mouth's middle) as extra input channels. It prints the
face PSNR to the teacher on the held-out crops as it goes, and writes a sheet (photo-only | with
landmarks | teacher) of the first held-out crops.

    python bench/distill_inputs.py --dataset DS [--look anime] [--size 64] [--cpu-seconds 300]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distill import psnr

from animecam.engine.nets.twin import TwinGenerator
from animecam.training.distill_losses import gradient_loss
from animecam.training.face_augment import face_mask

BATCH = 8
MAPS = 4  # heatmaps: right eye, left eye, nose, mouth


def load(dataset: Path, split: str, look: str, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Photos and teacher drawings (uint8 BGR, size x size) and landmarks scaled to them."""
    marks = json.loads((dataset / "landmarks.json").read_text(encoding="utf-8"))[split]
    names = sorted(p.stem for p in (dataset / f"{split}A").glob("*.png"))

    def small(path: Path) -> np.ndarray:
        return cv2.resize(cv2.imread(str(path)), (size, size), interpolation=cv2.INTER_AREA)

    photos = np.stack([small(dataset / f"{split}A" / f"{n}.png") for n in names])
    drawn = np.stack([small(dataset / f"{split}B" / look / f"{n}.png") for n in names])
    full = cv2.imread(str(dataset / f"{split}A" / f"{names[0]}.png")).shape[0]
    points = np.stack([np.asarray(marks[n], np.float64) * size / full for n in names])
    return photos, drawn, points


def heatmaps(points: np.ndarray, size: int) -> torch.Tensor:
    """[N, MAPS, size, size] in -1..1: a Gaussian (sigma 0.12 eye distances) at each feature."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    maps = []
    for p in points:
        sigma = max(0.12 * float(np.linalg.norm(p[1] - p[0])), 1.0)
        centres = [p[0], p[1], p[2], (p[3] + p[4]) / 2]
        maps.append([np.exp(-((xs - c[0]) ** 2 + (ys - c[1]) ** 2) / (2 * sigma * sigma)) for c in centres])
    return torch.from_numpy(np.asarray(maps, np.float32)) * 2 - 1


def tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images[..., ::-1].copy()).permute(0, 3, 1, 2).float() / 127.5 - 1


def pictures(out: torch.Tensor) -> np.ndarray:
    rgb = ((out.detach().permute(0, 2, 3, 1).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
    return rgb[..., ::-1]


def face_psnr(drawn: np.ndarray, teacher: np.ndarray, points: np.ndarray) -> float:
    """bench/distill.py's face PSNR (inside the face ellipse), averaged over the crops."""
    masks = [(face_mask(a.shape[:2], p) > 0.5).astype(np.float64) for a, p in zip(drawn, points, strict=True)]
    return float(np.mean([psnr(a, b, m) for a, b, m in zip(drawn, teacher, masks, strict=True)]))


def fit(
    args: argparse.Namespace, landmarks: bool, train: tuple, test: tuple
) -> tuple[float, int, np.ndarray]:
    """(final face PSNR, steps, held-out drawings) of one arm."""
    torch.manual_seed(0)
    generator = TwinGenerator([16, 32, 48, 64], num_styles=1, convs_per_block=1)
    if landmarks:
        generator.stem.convs[0] = nn.Conv2d(3 + MAPS, 16, 3, padding=1)

    def inputs(photos: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        return torch.cat([photos, maps], 1) if landmarks else photos

    x, y, maps = tensor(train[0]), tensor(train[1]), heatmaps(train[2], args.size)
    x_test, maps_test = tensor(test[0]), heatmaps(test[2], args.size)
    optimiser = torch.optim.Adam(generator.parameters(), lr=2e-3)
    style = torch.ones(BATCH, 1)
    started, step, generator_rng = time.process_time(), 0, torch.Generator().manual_seed(0)

    def evaluate() -> tuple[float, np.ndarray]:
        generator.eval()
        with torch.no_grad():
            drawn = pictures(generator(inputs(x_test, maps_test), torch.ones(len(x_test), 1)))
        generator.train()
        return face_psnr(drawn, test[1], test[2]), drawn

    while time.process_time() - started < args.cpu_seconds:
        index = torch.randint(0, len(x), (BATCH,), generator=generator_rng)
        out = generator(inputs(x[index], maps[index]), style)
        loss = F.l1_loss(out, y[index]) + gradient_loss(out, y[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        step += 1
        if step % 1000 == 0:
            print(f"  {'with landmarks' if landmarks else 'photo only':14s} step {step:5d}: "
                  f"face PSNR {evaluate()[0]:.2f} dB", flush=True)  # fmt: skip
    score, drawn = evaluate()
    return score, step, drawn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="a paired dataset (train data --teacher)")
    parser.add_argument("--look", default="anime")
    parser.add_argument("--size", type=int, default=64, help="crop side the fit runs at (a multiple of 8)")
    parser.add_argument("--cpu-seconds", type=float, default=300.0, help="CPU budget of each arm")
    parser.add_argument("--sheet", type=Path, default=Path("distill-inputs.png"))
    args = parser.parse_args(argv)
    if not (args.dataset / "trainB" / args.look).is_dir():
        parser.error(f"{args.dataset} has no teacher drawings of {args.look!r}: see train data --teacher")
    torch.set_num_threads(1)
    train = load(args.dataset, "train", args.look, args.size)
    test = load(args.dataset, "test", args.look, args.size)
    rows = []
    for landmarks in (False, True):
        score, steps, drawn = fit(args, landmarks, train, test)
        label = "photo + landmark heatmaps" if landmarks else "photo only"
        print(f"{label}: face PSNR {score:.2f} dB after {steps} steps in {args.cpu_seconds:.0f} CPU-s")
        rows.append(np.vstack(list(drawn[:6])))
    rows.append(np.vstack(list(test[1][:6])))
    cv2.imwrite(str(args.sheet), np.hstack(rows))
    print(f"sheet: {args.sheet} (photo only | with landmarks | teacher)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
