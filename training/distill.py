"""Teacher pairs: `animecam train data --teacher anime,shoujo,manga --out DS [--video me.mp4]`.

Each aligned photo crop is drawn by each teacher look (`load_style(name).stylize(crops, landmarks=)`)
and written as a pair in the selfie2anime layout the trainer reads, one subfolder per look:

    DS/trainA/NAME.png               the (augmented) photo crop
    DS/trainB/LOOK/NAME.png          that crop drawn by LOOK (same NAME in every look)
    DS/testA, DS/testB/LOOK          the same for held-out people
    DS/landmarks.json                split -> NAME -> the crop's 5 landmarks (crop pixels)
    DS/manifest.json                 "pairs": true, the looks, the sources, every augmentation used

Photos (unless --photos DIR or --no-library): the faces that the dependencies ship, scikit-image's
astronaut (colour) and `lfw_subset()`'s 100 faces (25x25 grey, enlarged with bicubic
interpolation; each index is taken as one person); the last `--holdout` LFW faces are never
trained on. Each face becomes `--variants` crops: the plain aligned crop plus augmented ones
(training/face_augment.py). `--video FILE` adds the tracked, aligned faces of a clip (the live
app's FaceTracker and crop, one every `--video-every` frames): this is how a person tunes an
engine to their own face. The clip's last `--test-fraction` of faces (by time) is held out.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from animecam.core.align import crop_transform, warp_to_crop
from animecam.core.errors import UserError
from animecam.core.samples import astronaut_bgr
from animecam.training.data import MANIFEST_FILE, FaceFinder, decode, image_files
from animecam.training.face_augment import FaceAugmentConfig, augment_crop, crop_landmarks, pose_matrix

LANDMARKS_FILE = "landmarks.json"
LFW_SIDE = 150  # LFW's 25 px faces are enlarged to this before detection (as bench/look.py does)
# The astronaut is the only colour portrait with hair and background the dependencies ship: it gets
# this many times the variants of an LFW face, so colour faces are not 1% of the pairs.
COLOUR_WEIGHT = 10


@dataclass
class SourceFace:
    person: str  # one identity; all its crops land in the same split
    image: np.ndarray  # BGR source image
    landmarks: np.ndarray  # (5, 2) in the source image
    split: str  # "train" or "test"
    origin: str  # where it came from, for the manifest


@dataclass
class Crop:
    split: str
    name: str
    image: np.ndarray  # BGR crop
    landmarks: np.ndarray  # (5, 2) crop pixels


def parse_teachers(text: str) -> list[str]:
    """The comma-separated looks, checked against the catalogue (a typo is a one-line error)."""
    from animecam.engine.styles import list_styles

    names = [n.strip() for n in text.split(",") if n.strip()]
    known = {info.name for info in list_styles("onnxruntime")}
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        raise UserError(
            f"unknown teacher look(s) {', '.join(unknown) or '(none given)'}; "
            "run 'animecam styles' to list them"
        )
    if len(set(names)) != len(names):
        raise UserError(f"--teacher names a look twice: {text}")
    return names


def library_faces(detector: FaceFinder, holdout: int) -> list[SourceFace]:
    """The astronaut (train) and LFW's faces (the last `holdout` held out), with their landmarks."""
    from skimage.data import lfw_subset

    faces = []
    photo = astronaut_bgr()
    for k, points in enumerate(detector.faces(photo)[:1]):
        faces.append(SourceFace(f"astronaut{k}", photo, points, "train", "skimage.data.astronaut"))
    lfw = lfw_subset()[:100]  # the first 100 are faces, the rest non-faces
    for index, face in enumerate(lfw):
        grey = cv2.resize((face * 255).astype(np.uint8), (LFW_SIDE, LFW_SIDE), interpolation=cv2.INTER_CUBIC)
        # Padded with a plain wall of the border's tone (as bench/look.py does): the crop reaches past
        # LFW's tight frame, and repeated border pixels drew streaks the looks took for hair.
        wall = int(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
        pad = LFW_SIDE // 2
        grey = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=wall)
        image = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
        found = detector.faces(image)
        if found:
            split = "test" if index >= len(lfw) - holdout else "train"
            faces.append(SourceFace(f"lfw{index:03d}", image, found[0], split, "skimage.data.lfw_subset"))
    return faces


def folder_faces(detector: FaceFinder, folder: Path, test_fraction: float, seed: int) -> list[SourceFace]:
    """Every face of every photo in `folder`; whole photos held out by a seeded share of their hashes."""
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder of photos")
    items = []
    for path in image_files(folder):
        data = path.read_bytes()
        image = decode(data)
        if image is not None:
            items.append((hashlib.sha256(data).hexdigest()[:12], image))
    items.sort(key=lambda item: item[0])
    order = np.random.default_rng(seed).permutation(len(items))
    n_test = round(test_fraction * len(items))
    faces = []
    for rank, index in enumerate(order):
        digest, image = items[index]
        split = "test" if rank < n_test else "train"
        for k, points in enumerate(detector.faces(image)):
            faces.append(SourceFace(f"photo{digest}_{k}", image, points, split, str(folder)))
    return faces


def video_crops(path: Path, size: int, every: int, test_fraction: float) -> list[Crop]:
    """Tracked, aligned faces of a clip: every `every`-th frame's faces; the last share held out."""
    from animecam.videofilter.faces import FaceTracker

    capture = cv2.VideoCapture(str(path))
    if not path.is_file() or not capture.isOpened():
        raise UserError(f"cannot read the video {path}; pass a clip OpenCV can open (mp4, mkv, avi)")
    tracker, found, index = FaceTracker(), [], 0
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    with tqdm(desc=f"tracking {path.name}", unit="frame", disable=None) as bar:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            faces = tracker.update(frame, index / fps)  # every frame: the tracker needs the motion
            if index % every == 0:
                for face in faces:
                    matrix = crop_transform(face.landmarks, size)
                    found.append(
                        (
                            index,
                            face.id,
                            warp_to_crop(frame, matrix, size),
                            crop_landmarks(matrix, face.landmarks),
                        )
                    )
            index += 1
            bar.update(1)
    capture.release()
    if not found:
        raise UserError(f"no face was found in {path}; film your face from the front, well lit")
    n_test = round(test_fraction * len(found))
    stem = path.stem.replace(" ", "_")[:24]
    return [
        Crop("test" if k >= len(found) - n_test else "train", f"video_{stem}_{i:06d}_{fid}", crop, points)
        for k, (i, fid, crop, points) in enumerate(found)
    ]


def augmented_crops(
    faces: list[SourceFace], size: int, variants: int, test_variants: int, cfg: FaceAugmentConfig, seed: int
) -> tuple[list[Crop], Counter[str]]:
    """Per face: its plain aligned crop, then `variants - 1` (test: `test_variants - 1`) augmented ones."""
    crops, used = [], Counter[str]()
    for face in tqdm(faces, desc="augmenting", unit="face", disable=None):
        digest = int(hashlib.sha256(face.person.encode()).hexdigest()[:8], 16)
        rng = np.random.default_rng((seed, digest))
        base = crop_transform(face.landmarks, size)
        count = variants if face.split == "train" else test_variants
        if face.origin == "skimage.data.astronaut":
            count *= COLOUR_WEIGHT
        for k in range(count):
            matrix = base if k == 0 else pose_matrix(base, size, cfg, rng)
            crop = warp_to_crop(face.image, matrix, size)
            points = crop_landmarks(matrix, face.landmarks)
            if k > 0:
                crop, applied = augment_crop(crop, points, cfg, rng)
                used.update(["pose", *applied])
            crops.append(Crop(face.split, f"{face.person}_{k:03d}", crop, points))
    return crops, used


def _teacher_call(style: Any, crops: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """style.stylize, with the crops' landmarks when the look's signature takes them."""
    if "landmarks" in inspect.signature(style.stylize).parameters:
        return style.stylize(crops, landmarks=landmarks)
    return style.stylize(crops)


def load_teachers(teachers: list[str]) -> tuple[dict[str, Any], int]:
    """The teacher styles and the crop side they draw at (all must agree)."""
    from animecam.engine.styles import load_style

    styles = {name: load_style(name, "onnxruntime") for name in teachers}
    sides = {int(style.input_size) for style in styles.values()}
    if len(sides) != 1:
        raise UserError(
            f"the teacher looks draw at different crop sizes {sorted(sides)}; pick looks of one size"
        )
    return styles, sides.pop()


def _resized(image: np.ndarray, size: int) -> np.ndarray:
    if image.shape[0] == size:
        return image
    return cv2.resize(
        image, (size, size), interpolation=cv2.INTER_AREA if image.shape[0] > size else cv2.INTER_CUBIC
    )


def write_pairs(out: Path, crops: list[Crop], styles: dict[str, Any], size: int) -> dict[str, int]:
    """Photo crops to {split}A, each teacher's drawing to {split}B/LOOK, both at `size` (the looks draw
    at their own crop size, the pair is resized after); returns the files per split."""
    landmarks: dict[str, dict[str, list[list[float]]]] = {"train": {}, "test": {}}
    for crop in tqdm(crops, desc=f"teachers {','.join(styles)}", unit="crop", disable=None):
        folder = out / f"{crop.split}A"
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{crop.name}.png"), _resized(crop.image, size))
        for name, style in styles.items():
            target = out / f"{crop.split}B" / name.replace("/", "_")
            target.mkdir(parents=True, exist_ok=True)
            drawn = _teacher_call(style, crop.image[None], crop.landmarks[None].astype(np.float64))[0]
            cv2.imwrite(str(target / f"{crop.name}.png"), _resized(drawn, size))
        scale = size / crop.image.shape[0]
        # Full precision: the landmarks the teacher drew with, exactly (at size 256).
        landmarks[crop.split][crop.name] = (crop.landmarks.astype(np.float64) * scale).tolist()
    (out / LANDMARKS_FILE).write_text(json.dumps(landmarks) + "\n", encoding="utf-8")
    return {split: len(items) for split, items in landmarks.items()}


def prepare_distill_dataset(
    out: Path,
    teachers: list[str],
    *,
    size: int = 256,
    variants: int = 12,
    test_variants: int = 3,
    holdout: int = 20,
    library: bool = True,
    photos: Path | None = None,
    videos: tuple[Path, ...] = (),
    video_every: int = 5,
    test_fraction: float = 0.1,
    seed: int = 0,
    augment: FaceAugmentConfig | None = None,
) -> dict[str, Any]:
    """Write the paired dataset and its manifest; returns the manifest."""
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} is not empty; choose a new folder for the dataset")
    if variants < 1 or test_variants < 1 or not 0 <= holdout < 100:
        raise UserError("--variants must be >= 1 and --holdout in 0..99")
    cfg = augment or FaceAugmentConfig()
    styles, draw_size = load_teachers(teachers)
    detector = FaceFinder()
    faces = library_faces(detector, holdout) if library and photos is None else []
    if photos is not None:
        faces += folder_faces(detector, photos, test_fraction, seed)
    crops, used = augmented_crops(faces, draw_size, variants, test_variants, cfg, seed)
    for video in videos:
        crops += video_crops(video, draw_size, video_every, test_fraction)
    if not any(c.split == "train" for c in crops):
        raise UserError("no training faces: give --photos with faces, a --video, or keep the library faces")
    splits = write_pairs(out, crops, styles, size)
    origins = Counter(f.origin for f in faces)
    manifest = {
        "format": "animecam-dataset",
        "version": 1,
        "pairs": True,
        "size": size,
        "styles": sorted(t.replace("/", "_") for t in teachers),  # the trainer reads subfolders sorted
        "teachers": teachers,
        "photos": {
            "source": ", ".join(f"{o} ({n} faces)" for o, n in origins.items())
            + "".join(f", video {v}" for v in videos),
            "framing": "aligned face crops (animecam canonical crop)",
            "people": {
                "train": sorted({f.person for f in faces if f.split == "train"}),
                "test": sorted({f.person for f in faces if f.split == "test"}),
            },
            "variants_per_face": {"train": variants, "test": test_variants, "first_is_plain": True},
            "video_every": video_every if videos else None,
        },
        "augmentation": {"config": cfg.to_dict(), "applied_counts": dict(sorted(used.items()))},
        "anime": {
            "source": f"teacher looks {', '.join(teachers)} drawn on each photo crop",
            "framing": "paired",
        },
        "splits": {"trainA": splits["train"], "testA": splits["test"]},
        "seed": seed,
    }
    manifest["data_source"] = (
        f"pairs: {manifest['photos']['source']} x {variants} augmented variants, drawn by the "
        f"teacher looks {', '.join(teachers)}"
    )
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def run_distill_data(args: argparse.Namespace) -> int:
    if args.anime is not None or args.selfie2anime is not None:
        raise UserError("--teacher draws the targets itself; drop --anime/--selfie2anime")
    manifest = prepare_distill_dataset(
        args.out,
        parse_teachers(args.teacher),
        size=args.size,
        variants=args.variants,
        holdout=args.holdout,
        library=not args.no_library,
        photos=args.photos,
        videos=tuple(args.video or ()),
        video_every=args.video_every,
        test_fraction=args.test_fraction,
        seed=args.seed,
    )
    print(f"photos: {manifest['photos']['source']}")
    print(f"augmentations applied: {manifest['augmentation']['applied_counts']}")
    print(
        "pairs: "
        + ", ".join(f"{k} {v}" for k, v in manifest["splits"].items())
        + f" x looks {manifest['styles']}"
    )
    print(args.out / MANIFEST_FILE)
    return 0
