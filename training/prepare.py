"""`animecam train data --photos DIR --anime DIR | --selfie2anime DIR`: writing a dataset folder.

The layout and the loading side are in training/data.py. Photos are aligned with the live app's face
detector and canonical crop; anime images are centre-cropped to a square. Duplicates (same bytes) and
unreadable files are dropped and counted; the split is seeded per source file.
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
from tqdm import tqdm

from animecam.core.errors import UserError
from animecam.training.data import (
    MANIFEST_FILE,
    SPLITS,
    FaceAligner,
    centre_square,
    decode,
    image_files,
    style_folders,
)


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
    styles = style_folders(sources["trainB"])
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
            groups = [("", sources[split])] if is_photo else style_folders(sources[split])
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
