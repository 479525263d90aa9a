"""Unpaired datasets: their layout, the framing both domains share, and loading them for training.

A dataset folder has the selfie2anime layout, `trainA`, `trainB`, `testA`, `testB` (A = photos,
B = anime; several anime styles are subfolders of trainB/testB), plus `manifest.json` when animecam
prepared it (training/prepare.py). Photos are aligned with the live app's face detector and
canonical crop (videofilter/faces.py, core/align.py), so training sees the framing inference sees;
anime images are taken whole, centre-cropped to a square (a photo detector finds no anime faces).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from animecam.core.errors import UserError
from animecam.training.config import AugmentConfig

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})
MANIFEST_FILE = "manifest.json"
SPLITS = ("trainA", "trainB", "testA", "testB")
DEFAULT_STYLE_NAME = "anime"


def image_files(folder: Path) -> list[Path]:
    """Image files directly inside `folder`, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def decode(data: bytes) -> np.ndarray | None:
    """A BGR uint8 image from file bytes, or None when they are not a readable image."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return image if image is not None and image.size > 0 else None


def centre_square(image: np.ndarray, size: int) -> np.ndarray:
    """The largest centred square of `image`, resized to size x size."""
    height, width = image.shape[:2]
    side = min(height, width)
    y0, x0 = (height - side) // 2, (width - side) // 2
    square = image[y0 : y0 + side, x0 : x0 + side]
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return cv2.resize(square, (size, size), interpolation=interpolation)


class FaceFinder:
    """The live app's YuNet detector on a still image: each face's 5 landmarks in image pixels."""

    def __init__(self) -> None:
        from animecam.videofilter.detectors import create_detector
        from animecam.videofilter.faces import TrackerConfig

        self.config = TrackerConfig()
        self.detector = create_detector(self.config)

    def faces(self, image: np.ndarray) -> list[np.ndarray]:
        scale = min(1.0, self.config.detect_size / max(image.shape[:2]))
        small = (
            image
            if scale == 1.0
            else cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        found = self.detector.detect(small)
        keep = found.scores >= self.config.score_threshold
        return [points / scale for points in found.landmarks[keep][: self.config.max_faces]]


class FaceAligner:
    """Every face in a still photo as an aligned crop, with the live app's detector and crop."""

    def __init__(self, size: int) -> None:
        self.finder = FaceFinder()
        self.size = size

    def crops(self, image: np.ndarray) -> list[np.ndarray]:
        from animecam.core.align import crop_transform, warp_to_crop

        size = self.size
        return [warp_to_crop(image, crop_transform(p, size), size) for p in self.finder.faces(image)]


def style_folders(anime: Path) -> list[tuple[str, Path]]:
    """(style name, folder): subfolders with images are styles, else the folder is one style."""
    subdirs = sorted(p for p in anime.iterdir() if p.is_dir() and image_files(p))
    return [(p.name, p) for p in subdirs] if subdirs else [(DEFAULT_STYLE_NAME, anime)]


# -- loading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetFiles:
    photos: list[Path]
    anime: list[Path]
    anime_styles: list[int]  # style index of each anime file
    styles: list[str]
    manifest: dict[str, Any]


def dataset_files(root: Path, split: str = "train") -> DatasetFiles:
    """The photo and anime files of `split` ("train" or "test") of a prepared or selfie2anime folder."""
    folder_a, folder_b = root / f"{split}A", root / f"{split}B"
    if not folder_a.is_dir() or not folder_b.is_dir():
        raise UserError(f"{root} has no {split}A/{split}B folders; prepare it with 'animecam train data'")
    manifest: dict[str, Any] = {}
    if (root / MANIFEST_FILE).is_file():
        manifest = json.loads((root / MANIFEST_FILE).read_text(encoding="utf-8"))
    style_dirs = style_folders(folder_b)
    styles = [name for name, _ in style_dirs]
    if styles == [DEFAULT_STYLE_NAME] and manifest.get("styles"):
        styles = list(manifest["styles"][:1])
    anime, labels = [], []
    for index, (_, folder) in enumerate(style_dirs):
        files = image_files(folder)
        anime += files
        labels += [index] * len(files)
    photos = image_files(folder_a)
    if not photos or not anime:
        raise UserError(
            f"{root}: {split}A has {len(photos)} and {split}B {len(anime)} images; both need some"
        )
    return DatasetFiles(photos, anime, labels, styles, manifest)


def read_image(path: Path, size: int) -> np.ndarray:
    image = decode(path.read_bytes())
    if image is None:
        raise UserError(f"{path} is not a readable image; remove it or prepare the dataset again")
    return centre_square(image, size) if image.shape[:2] != (size, size) else image


def augment(image: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Flip, small affine jitter (reflected borders) and brightness/contrast/saturation jitter."""
    if cfg.flip and rng.random() < 0.5:
        image = image[:, ::-1]
    size = image.shape[0]
    angle = rng.uniform(-cfg.max_rotate, cfg.max_rotate)
    scale = 1.0 + rng.uniform(-cfg.max_scale, cfg.max_scale)
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    matrix[:, 2] += rng.uniform(-cfg.max_shift, cfg.max_shift, 2) * size
    out = cv2.warpAffine(
        np.ascontiguousarray(image),
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT_101,
    ).astype(np.float32)
    grey = out.mean(axis=2, keepdims=True)
    out = grey + (out - grey) * (1.0 + rng.uniform(-cfg.saturation, cfg.saturation))
    out = out.mean() + (out - out.mean()) * (1.0 + rng.uniform(-cfg.contrast, cfg.contrast))
    out = out * (1.0 + rng.uniform(-cfg.brightness, cfg.brightness))
    return np.clip(out, 0, 255)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """BGR HxWx3 (0..255) -> RGB 3xHxW float32 in [-1, 1] (the packs' default normalisation)."""
    rgb = np.ascontiguousarray(np.asarray(image, np.float32)[..., ::-1].transpose(2, 0, 1))
    return torch.from_numpy(rgb) / 127.5 - 1.0


def to_image(tensor: torch.Tensor) -> np.ndarray:
    """RGB 3xHxW in [-1, 1] -> BGR HxWx3 uint8."""
    rgb = ((tensor.detach().float().cpu().clamp(-1, 1) + 1.0) * 127.5 + 0.5).to(torch.uint8).numpy()
    return np.ascontiguousarray(rgb.transpose(1, 2, 0)[..., ::-1])


class UnpairedDataset(Dataset):
    """Item i: photo i (mod the photo count) and an anime image drawn by a generator seeded with
    (seed, epoch, i), both augmented likewise. Every random choice depends only on (seed, epoch, i),
    so results do not depend on worker processes and a resumed run sees the same batches."""

    def __init__(
        self, files: DatasetFiles, size: int, augment_config: AugmentConfig | None, seed: int
    ) -> None:
        self.files, self.size, self.augment_config, self.seed = files, size, augment_config, seed
        self.epoch = 0

    def __len__(self) -> int:
        return max(len(self.files.photos), len(self.files.anime))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, Any]:
        rng = np.random.default_rng((self.seed, self.epoch, index))
        b = int(rng.integers(len(self.files.anime)))
        images = [
            read_image(self.files.photos[index % len(self.files.photos)], self.size),
            read_image(self.files.anime[b], self.size),
        ]
        if self.augment_config is not None:
            images = [augment(image, self.augment_config, rng) for image in images]
        return {"a": to_tensor(images[0]), "b": to_tensor(images[1]), "style": self.files.anime_styles[b]}


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the OS tells it, as torch checks)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class EpochBatches:
    """Batches of one epoch from a DistributedSampler (rank's shard, seeded shuffle), optionally
    skipping the first `skip` batches: how a resumed run picks up mid-epoch."""

    def __init__(
        self, dataset: UnpairedDataset, batch_size: int, workers: int, rank: int, world: int, seed: int
    ) -> None:
        # Never more loader processes than usable cores: torch warns, and they only compete.
        self.workers = min(workers, usable_cores())
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.sampler = DistributedSampler(
            dataset, num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=True
        )
        self.batches_per_epoch = len(self.sampler) // batch_size
        if self.batches_per_epoch == 0:
            raise UserError(
                f"the dataset has {len(dataset)} items, fewer than one batch per process; "
                "lower batch_size or add images"
            )

    def epoch(self, epoch: int, skip: int = 0) -> DataLoader:
        self.sampler.set_epoch(epoch)
        self.dataset.set_epoch(epoch)
        indices = list(self.sampler)[skip * self.batch_size : self.batches_per_epoch * self.batch_size]
        return DataLoader(
            self.dataset,
            batch_size=self.batch_size,
            sampler=indices,
            num_workers=self.workers,
            drop_last=True,
            persistent_workers=False,
            # Its own generator: a loader drawing worker seeds from the global RNG would shift the
            # model's random stream by where an epoch starts, and break exact resume mid-epoch.
            generator=torch.Generator().manual_seed(self.seed + epoch),
        )
