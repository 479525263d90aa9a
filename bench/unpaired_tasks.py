"""The tasks of bench/unpaired.py: unpaired domains drawn from images that dependencies ship, with a
hidden true mapping.

`cel` (or another bench/photo_filter.py filter): 64x64 crops of real photos (scikit-image's
astronaut, coffee, cat, rocket, motorcycle stereo pair and its 25x25 LFW faces, upscaled) with random
scale, position and flips; domain B is the filter without its face-position touches (no eye catch
lights, no cheek skin tones, which mean nothing on non-face crops) applied to *other* crops.

`anime` (or another built-in look of engine/looks): aligned face crops, the look as hidden truth.
Faces: scikit-image's astronaut and its 100 25x25 grey LFW faces (upscaled 4x and edge-padded so the
live app's YuNet detector finds them; 94 of 100 are found). Each crop is aligned like the app does
(`animecam.core.align.crop_transform` from the detector's 5 landmarks) and augmented *before* the look
draws it, so the pair is exact: a horizontal flip, a random similarity (rotation +-10 degrees, scale
+-10%, shift +-5% of the crop), grey faces tinted to a random skin tone, a gain of 0.75..1.2 and a
warm/cool white balance shift of +-8%. The look draws at 128 px (it places eyes, brows, mouth and
blush from the crop's landmarks, moved with the crop); photo and drawing are then downscaled to the
bench's size.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SIZE = 64
N_TRAIN, N_TEST = 800, 96
HIDDEN_STYLE = "cel"
TASKS = ("cel", "anime")  # a photo filter on photo crops; the app's default look on face crops


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


@dataclass
class TaskData:
    """One task's images (BGR uint8, N x S x S x 3): unpaired training domains, the test photos with
    their true transform, and the true transform of the training photos (for the paired ceiling only)."""

    name: str
    train_a: np.ndarray
    train_b: np.ndarray
    test_a: np.ndarray
    truth: np.ndarray
    train_truth: np.ndarray
    source: str  # the dataset manifest's data_source


def task_crops(seed: int, size: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The photo task's crops: (A_train, the crops B_train is drawn from, A_test)."""
    rng = np.random.default_rng(seed)
    photos = source_photos()
    return tuple(random_crops(photos, n, size, rng) for n in (count, count, N_TEST))  # type: ignore[return-value]


def photo_task(seed: int, size: int, style_name: str, count: int) -> TaskData:
    style = hidden_transform(style_name, size)
    train_a, train_b_src, test_a = task_crops(seed, size, count)
    source = (
        f"bench/unpaired.py seed {seed}: as photos, {count} random {size}px crops (random scale, position, "
        "flip) of scikit-image's sample photos astronaut, coffee, chelsea, rocket, stereo_motorcycle and its "
        f"100 lfw_subset faces (25px, grey, upscaled); as anime, {count} other such crops drawn by "
        f"bench/photo_filter.py's '{style_name}' filter without its eye/skin touches. No real anime images."
    )
    stylize = style.stylize  # type: ignore[attr-defined]
    return TaskData(
        style_name, train_a, stylize(train_b_src), test_a, stylize(test_a), stylize(train_a), source
    )


def face_task(seed: int, size: int, look: str, count: int) -> TaskData:
    rng = np.random.default_rng(seed)
    sources = face_sources()
    train_a, train_truth = face_pairs(sources, count, size, rng, look)
    _, train_b = face_pairs(sources, count, size, rng, look)  # other crops: never paired with train_a
    test_a, truth = face_pairs(sources, N_TEST, size, rng, look)
    source = (
        f"bench/unpaired.py seed {seed}: as photos, {count} aligned, augmented {size}px face crops of "
        "scikit-image's astronaut and lfw_subset faces (bench/unpaired_tasks.py); as anime, "
        f"{count} other such crops drawn by animecam's built-in '{look}' look. No real anime images."
    )
    return TaskData(look, train_a, train_b, test_a, truth, train_truth, source)


def task_data(task: str, seed: int, size: int = SIZE, count: int = N_TRAIN) -> TaskData:
    """`cel` (or another bench/photo_filter.py filter) on photo crops; `anime` (or another built-in
    look) on face crops."""
    from photo_filter import FILTERS

    from animecam.engine.looks import PROCEDURAL_STYLES

    if task in FILTERS:
        return photo_task(seed, size, task, count)
    if task in PROCEDURAL_STYLES:
        return face_task(seed, size, task, count)
    known = f"a photo filter ({', '.join(FILTERS)}) or a look ({', '.join(PROCEDURAL_STYLES)})"
    raise SystemExit(f"unknown task {task!r}: {known}")


def write_task(root: Path, data: TaskData) -> None:
    """Write the unpaired dataset: trainA photos, trainB styled other crops, small test splits for
    sample grids, and the manifest."""
    for split, images in (
        ("trainA", data.train_a),
        ("trainB", data.train_b),
        ("testA", data.test_a[:4]),
        ("testB", data.train_b[:4]),
    ):
        (root / split).mkdir(parents=True)
        for i, image in enumerate(images):
            cv2.imwrite(str(root / split / f"{i:04d}.png"), image)
    manifest = {
        "format": "animecam-dataset",
        "version": 1,
        "size": int(data.train_a.shape[1]),
        "styles": [data.name],
        "data_source": data.source,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


RENDER = 128  # the look draws at this size (its features need more than 64 px), then both shrink
FLIP_ORDER = [1, 0, 2, 4, 3]  # YuNet's landmark order after a mirror: eyes and mouth corners swap
LFW_UPSCALE = 100


def face_sources() -> list[tuple[np.ndarray, np.ndarray]]:
    """(BGR image, its 5 landmarks) for every face the app's detector finds in the shipped photos."""
    from skimage import data

    from animecam.core.samples import astronaut_bgr
    from animecam.videofilter.detectors import create_detector
    from animecam.videofilter.faces import TrackerConfig

    config = TrackerConfig()
    detector = create_detector(config)
    images = [astronaut_bgr()]
    for face in data.lfw_subset()[:100]:  # the first 100 are faces
        grey = cv2.resize((face * 255).astype(np.uint8), (LFW_UPSCALE,) * 2, interpolation=cv2.INTER_CUBIC)
        pad = LFW_UPSCALE // 2
        images.append(
            cv2.copyMakeBorder(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), *(pad,) * 4, cv2.BORDER_REPLICATE)
        )
    sources = []
    for image in images:
        found = detector.detect(image)
        if len(found.scores) and found.scores.max() >= config.score_threshold:
            sources.append((image, found.landmarks[int(found.scores.argmax())].astype(np.float64)))
    return sources


def _augmented_crop(
    image: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    from animecam.core.align import apply, crop_transform, warp_to_crop

    if rng.random() < 0.5:
        image = np.ascontiguousarray(image[:, ::-1])
        landmarks = landmarks.copy()
        landmarks[:, 0] = image.shape[1] - 1 - landmarks[:, 0]
        landmarks = landmarks[FLIP_ORDER]
    jitter = cv2.getRotationMatrix2D((RENDER / 2, RENDER / 2), rng.uniform(-10, 10), rng.uniform(0.9, 1.1))
    jitter[:, 2] += rng.uniform(-0.05, 0.05, 2) * RENDER
    matrix = (np.vstack([jitter, (0, 0, 1)]) @ np.vstack([crop_transform(landmarks, RENDER), (0, 0, 1)]))[:2]
    crop = warp_to_crop(image, matrix, RENDER).astype(np.float32)
    gains = np.ones(3, np.float32)
    if np.ptp(crop.reshape(-1, 3).mean(axis=0)) < 1.0:  # a grey LFW face: tint it to a skin tone
        gains *= np.array([rng.uniform(0.6, 0.85), rng.uniform(0.75, 0.92), 1.0], np.float32)
    warm = rng.uniform(-0.08, 0.08)
    gains *= np.array([1 - warm, 1.0, 1 + warm], np.float32) * rng.uniform(0.75, 1.2)
    crop = np.clip(crop * gains, 0, 255).astype(np.uint8)
    return crop, apply(matrix, landmarks)


def face_pairs(
    sources: list[tuple[np.ndarray, np.ndarray]],
    count: int,
    size: int,
    rng: np.random.Generator,
    look_name: str = "anime",
) -> tuple[np.ndarray, np.ndarray]:
    """`count` augmented aligned crops and the look's drawing of each, both size x size."""
    from animecam.engine.looks import procedural_style

    look = procedural_style(look_name, input_size=RENDER)
    crops, points = [], []
    for _ in range(count):
        # A third from the astronaut (the one colour face), the rest from the LFW faces.
        pick = 0 if rng.random() < 1 / 3 else int(rng.integers(1, len(sources)))
        crop, landmarks = _augmented_crop(*sources[pick], rng)
        crops.append(crop)
        points.append(landmarks)
    drawn = look.stylize(np.stack(crops), np.stack(points).astype(np.float32))

    def shrink(images: np.ndarray) -> np.ndarray:
        return np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in images])

    return shrink(np.stack(crops)), shrink(drawn)
