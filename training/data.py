"""Unpaired datasets: preparing one from two folders, and loading it for training.

A dataset folder has the selfie2anime layout, `trainA`, `trainB`, `testA`, `testB` (A = photos,
B = anime; several anime styles are subfolders of trainB/testB), plus `manifest.json` when animecam
prepared it. Photos are aligned with the live app's face detector and canonical crop
(videofilter/faces.py, videofilter/align.py), so training sees the framing inference sees; anime
images are taken whole, centre-cropped to a square (anime faces are not found by a photo detector).
Duplicates (same bytes) and unreadable files are dropped and counted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm import tqdm

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


class FaceAligner:
    """Every face in a still photo as an aligned crop, with the live app's detector and crop."""

    def __init__(self, size: int) -> None:
        from animecam.videofilter.faces import TrackerConfig, create_detector

        self.config = TrackerConfig()
        self.detector = create_detector(self.config)
        self.size = size

    def crops(self, image: np.ndarray) -> list[np.ndarray]:
        from animecam.core.align import crop_transform, warp_to_crop

        longest = self.config.detect_size
        scale = min(1.0, longest / max(image.shape[:2]))
        small = (
            image
            if scale == 1.0
            else cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        found = self.detector.detect(small)
        keep = found.scores >= self.config.score_threshold
        return [
            warp_to_crop(image, crop_transform(landmarks / scale, self.size), self.size)
            for landmarks in found.landmarks[keep][: self.config.max_faces]
        ]


@dataclass
class _Counts:
    read: int = 0
    duplicate: int = 0
    unreadable: int = 0
    no_face: int = 0
    written: int = 0


def _collect(
    files: list[Path],
    out_dirs: tuple[Path, Path | None],
    counts: _Counts,
    seen: set[str],
    convert: Any,
    test_fraction: float,
    seed: int,
    desc: str,
) -> None:
    """Convert each new readable file to crops and write them to the train (or test) folder.

    The split is decided per source file (all faces of one photo land on the same side), from a
    seeded shuffle of the files' hashes, so it does not depend on file names or order."""
    items = []
    for path in tqdm(files, desc=f"{desc}: reading", unit="file", disable=None):
        counts.read += 1
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            counts.duplicate += 1
            continue
        image = decode(data)
        if image is None:
            counts.unreadable += 1
            continue
        seen.add(digest)
        items.append((digest, image))
    items.sort(key=lambda item: item[0])
    order = np.random.default_rng(seed).permutation(len(items))
    n_test = 0 if out_dirs[1] is None else min(len(items) - 1, math.ceil(test_fraction * len(items)))
    for rank, index in enumerate(tqdm(order, desc=f"{desc}: cropping", unit="image", disable=None)):
        digest, image = items[index]
        crops = convert(image)
        if not crops:
            counts.no_face += 1
            continue
        folder = out_dirs[1] if rank < n_test and out_dirs[1] is not None else out_dirs[0]
        folder.mkdir(parents=True, exist_ok=True)
        for k, crop in enumerate(crops):
            cv2.imwrite(str(folder / f"{digest[:16]}_{k}.png"), crop)
            counts.written += 1


def _style_folders(anime: Path) -> list[tuple[str, Path]]:
    """(style name, folder): subfolders with images are styles, else the folder is one style."""
    subdirs = sorted(p for p in anime.iterdir() if p.is_dir() and image_files(p))
    return [(p.name, p) for p in subdirs] if subdirs else [(DEFAULT_STYLE_NAME, anime)]


def prepare_dataset(
    out: Path,
    *,
    photos: Path | None = None,
    anime: Path | None = None,
    selfie2anime: Path | None = None,
    size: int = 256,
    test_fraction: float = 0.1,
    align_photos: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """Write a dataset folder and its manifest; returns the manifest."""
    if selfie2anime is not None:
        missing = [s for s in SPLITS if not (selfie2anime / s).is_dir()]
        if missing:
            raise UserError(f"{selfie2anime} lacks {', '.join(missing)}; expected the selfie2anime layout")
        sources = {split: selfie2anime / split for split in SPLITS}
    elif photos is not None and anime is not None:
        for folder in (photos, anime):
            if not folder.is_dir():
                raise UserError(f"{folder} is not a folder of images")
        sources = {"trainA": photos, "trainB": anime}
    else:
        raise UserError("pass --photos DIR and --anime DIR, or --selfie2anime DIR")
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} is not empty; choose a new folder for the dataset")
    if not 0.0 <= test_fraction < 1.0:
        raise UserError(f"--test-fraction must be in [0, 1), got {test_fraction}")

    aligner = FaceAligner(size) if align_photos else None

    def photo_crops(image: np.ndarray) -> list[np.ndarray]:
        return aligner.crops(image) if aligner is not None else [centre_square(image, size)]

    def anime_crop(image: np.ndarray) -> list[np.ndarray]:
        return [centre_square(image, size)]

    counts = {"photos": _Counts(), "anime": _Counts()}
    seen: dict[str, set[str]] = {"photos": set(), "anime": set()}
    styles = _style_folders(sources["trainB"])
    for train_split, test_split in (("trainA", "testA"), ("trainB", "testB")):
        is_photo = train_split == "trainA"
        domain = "photos" if is_photo else "anime"
        convert = photo_crops if is_photo else anime_crop
        # A given test split is kept; otherwise a seeded share of the files is held out.
        splits = (
            [(train_split, None), (test_split, None)]
            if test_split in sources
            else [(train_split, test_split)]
        )
        for split, held_out in splits:
            groups = [("", sources[split])] if is_photo else _style_folders(sources[split])
            for style, folder in groups:
                sub = Path(style) if len(styles) > 1 and style else Path()
                dirs = (out / split / sub, None if held_out is None else out / held_out / sub)
                _collect(
                    image_files(folder),
                    dirs,
                    counts[domain],
                    seen[domain],
                    convert,
                    test_fraction,
                    seed,
                    f"{split} {style}".strip(),
                )
    manifest = {
        "format": "animecam-dataset",
        "version": 1,
        "size": size,
        "styles": [name for name, _ in styles],
        "photos": {
            "source": str(sources["trainA"].parent if selfie2anime else photos),
            "framing": "aligned face crops (animecam canonical crop)"
            if align_photos
            else "whole images, centre-cropped to a square",
        },
        "anime": {
            "source": str(sources["trainB"].parent if selfie2anime else anime),
            "framing": "whole images, centre-cropped to a square",
        },
        "counts": {domain: vars(c) for domain, c in counts.items()},
        "splits": {split: len(list((out / split).rglob("*.png"))) for split in SPLITS},
    }
    manifest["data_source"] = (
        f"photos: {manifest['photos']['source']} ({manifest['photos']['framing']}); "
        f"anime: {manifest['anime']['source']} ({manifest['anime']['framing']})"
    )
    for domain in ("photos", "anime"):
        if counts[domain].written == 0:
            raise UserError(f"no usable {domain} were found (counts: {vars(counts[domain])})")
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def run_data(args: argparse.Namespace) -> int:
    manifest = prepare_dataset(
        args.out,
        photos=args.photos,
        anime=args.anime,
        selfie2anime=args.selfie2anime,
        size=args.size,
        test_fraction=args.test_fraction,
        align_photos=not args.whole_photos,
        seed=args.seed,
    )
    for domain in ("photos", "anime"):
        c = manifest["counts"][domain]
        print(
            f"{domain}: {c['read']} files, dropped {c['duplicate']} duplicates, {c['unreadable']} unreadable"
            + (f", {c['no_face']} without a face" if domain == "photos" else "")
            + f"; {c['written']} images ({manifest[domain]['framing']})"
        )
    print("splits: " + ", ".join(f"{k} {v}" for k, v in manifest["splits"].items()))
    print(args.out / MANIFEST_FILE)
    return 0


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
    style_dirs = _style_folders(folder_b)
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


class EpochBatches:
    """Batches of one epoch from a DistributedSampler (rank's shard, seeded shuffle), optionally
    skipping the first `skip` batches: how a resumed run picks up mid-epoch."""

    def __init__(
        self, dataset: UnpairedDataset, batch_size: int, workers: int, rank: int, world: int, seed: int
    ) -> None:
        self.dataset, self.batch_size, self.workers, self.seed = dataset, batch_size, workers, seed
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
