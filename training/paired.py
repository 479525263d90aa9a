"""Paired datasets (teacher pairs written by training/distill.py), loaded for the trainer.

A paired dataset's manifest says `"pairs": true`; its `trainB/LOOK/NAME.png` is `trainA/NAME.png`
drawn by LOOK. Item i is photo i mod P with its drawing in look (i div P) mod K, so an epoch visits
every (photo, look) pair once. Augmentation here is only what keeps a pair exact: the same
horizontal flip of both images (the photometric and pose augmentation happened before the teacher
drew them). The item depends only on (seed, epoch, i): exact resume, any number of workers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from animecam.core.errors import UserError
from animecam.training.config import AugmentConfig
from animecam.training.data import DatasetFiles, UnpairedDataset, read_image, to_tensor


def is_paired(files: DatasetFiles) -> bool:
    return bool(files.manifest.get("pairs"))


def pair_index(files: DatasetFiles) -> list[list[Path]]:
    """[look][photo] -> the drawing of that photo in that look; a missing drawing is a user error."""
    by_style: list[dict[str, Path]] = [{} for _ in files.styles]
    for path, style in zip(files.anime, files.anime_styles, strict=True):
        by_style[style][path.name] = path
    table = []
    for style, drawings in zip(files.styles, by_style, strict=True):
        missing = [p.name for p in files.photos if p.name not in drawings]
        if missing:
            raise UserError(
                f"paired dataset: look {style} has no drawing of {missing[0]} (and {len(missing) - 1} more); "
                "build it again with 'animecam train data --teacher ...'"
            )
        table.append([drawings[p.name] for p in files.photos])
    return table


class PairedDataset(Dataset):
    """{"a": photo, "b": its drawing in look "style", "style": the look's index}, tensors in [-1, 1]."""

    def __init__(
        self, files: DatasetFiles, size: int, augment_config: AugmentConfig | None, seed: int
    ) -> None:
        self.files, self.size, self.seed = files, size, seed
        self.flip = augment_config is not None and augment_config.flip
        self.drawings = pair_index(files)
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.files.photos) * len(self.files.styles)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, Any]:
        photo, style = index % len(self.files.photos), index // len(self.files.photos)
        images = [
            read_image(self.files.photos[photo], self.size),
            read_image(self.drawings[style][photo], self.size),
        ]
        if self.flip and np.random.default_rng((self.seed, self.epoch, index)).random() < 0.5:
            images = [image[:, ::-1] for image in images]
        return {"a": to_tensor(images[0]), "b": to_tensor(images[1]), "style": style}


def training_dataset(
    files: DatasetFiles, size: int, augment_config: AugmentConfig | None, seed: int
) -> Dataset:
    """The trainer's dataset: pairs for a paired (teacher) dataset, else unpaired photos and anime."""
    if is_paired(files):
        return PairedDataset(files, size, augment_config, seed)
    return UnpairedDataset(files, size, augment_config, seed)
