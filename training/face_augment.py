"""Strong augmentation of aligned face crops for teacher pairs, so a distilled engine meets new people.

Each variant of a crop draws every augmentation below with its own probability (the ranges and
probabilities are `FaceAugmentConfig`, written into the dataset's manifest as they were used). The
augmentations happen *before* the teacher look draws the crop, so the pair stays exact: the target
is the look of the augmented photo, never an augmented drawing. Geometric ones move the landmarks
with the pixels, so the look is told where the eyes really are.

Order: pose/scale (a similarity re-crop from the source image) -> grey faces colourised -> skin tone
-> hair colour -> lighting (gain and a side-light ramp) -> colour temperature -> drawn-on glasses ->
synthetic blink -> sensor noise -> JPEG.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from animecam.core.align import apply


@dataclass(frozen=True)
class FaceAugmentConfig:
    rotate_deg: float = 12.0  # pose: +- in-plane rotation around the crop centre
    scale: float = 0.12  # +- share of size (face nearer or further)
    shift: float = 0.05  # +- share of size
    p_skin: float = 0.6  # skin tone: Lab lightness gain and chroma shift inside the skin mask
    skin_light: tuple[float, float] = (0.55, 1.3)
    p_hair: float = 0.4  # hair colour: a random Lab chroma and lightness in the hair mask
    p_light: float = 0.7  # overall gain (dim rooms) and a linear side-light ramp
    gain: tuple[float, float] = (0.45, 1.25)
    side_light: float = 0.45  # +- gain difference between the two sides of the crop
    p_temperature: float = 0.6  # warm (tungsten) to cool (daylight) white balance
    temperature: float = 0.18  # +- red/blue gain
    p_glasses: float = 0.2
    p_blink: float = 0.15  # closed (or half closed) eyes painted over with skin and a lash line
    p_noise: float = 0.5
    noise_sigma: tuple[float, float] = (2.0, 10.0)
    p_jpeg: float = 0.5
    jpeg_quality: tuple[int, int] = (25, 90)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


def pose_matrix(
    matrix: np.ndarray, size: int, cfg: FaceAugmentConfig, rng: np.random.Generator
) -> np.ndarray:
    """`matrix` (source -> crop) followed by a random similarity about the crop centre."""
    jitter = cv2.getRotationMatrix2D(
        (size / 2, size / 2),
        rng.uniform(-cfg.rotate_deg, cfg.rotate_deg),
        1 + rng.uniform(-cfg.scale, cfg.scale),
    )
    jitter[:, 2] += rng.uniform(-cfg.shift, cfg.shift, 2) * size
    return (np.vstack([jitter, (0, 0, 1)]) @ np.vstack([matrix, (0, 0, 1)]))[:2]


def _eye_gap(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[1] - landmarks[0]))


def face_mask(shape: tuple[int, int], landmarks: np.ndarray, grow: float = 1.0) -> np.ndarray:
    """A soft ellipse over the face (brows to chin) from the 5 landmarks, float32 0..1."""
    gap = _eye_gap(landmarks)
    eyes, mouth = landmarks[:2].mean(axis=0), landmarks[3:].mean(axis=0)
    centre = (eyes + mouth) / 2
    angle = np.degrees(np.arctan2(*(landmarks[1] - landmarks[0])[::-1]))
    axes = (int(grow * 0.95 * gap), int(grow * 1.35 * np.linalg.norm(mouth - eyes) + 0.2 * gap))
    mask = np.zeros(shape, np.float32)
    cv2.ellipse(mask, tuple(int(v) for v in centre), axes, angle, 0, 360, 1.0, -1)
    return cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.08 * gap))


def hair_mask(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Dark-or-saturated pixels above the brows and beside the face, outside the face ellipse: a rough
    hair region (good enough to recolour; the teacher finds hair by itself)."""
    height = image.shape[0]
    brow_y = float(landmarks[:2, 1].mean()) - 0.35 * _eye_gap(landmarks)
    rows = np.clip(
        (brow_y + 0.6 * _eye_gap(landmarks) - np.arange(height)) / (0.4 * _eye_gap(landmarks)), 0, 1
    )
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2Lab).astype(np.float32)
    darkness = np.clip((150 - lab[..., 0]) / 60, 0, 1)
    mask = rows[:, None] * darkness * (1 - face_mask(image.shape[:2], landmarks, grow=1.05))
    return cv2.GaussianBlur(mask, (0, 0), 2.0)


def _shift_lab(
    image: np.ndarray, mask: np.ndarray, light: float, a: float, b: float, keep_chroma: float
) -> np.ndarray:
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2Lab).astype(np.float32)
    new = lab.copy()
    new[..., 0] = lab[..., 0] * light
    new[..., 1] = 128 + (lab[..., 1] - 128) * keep_chroma + a
    new[..., 2] = 128 + (lab[..., 2] - 128) * keep_chroma + b
    out = lab + mask[..., None] * (new - lab)
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR)


def is_grey(image: np.ndarray) -> bool:
    return float(np.abs(image.astype(np.int16) - image.mean(axis=2, keepdims=True)).mean()) < 2.0


def colourise(image: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A grey face given skin chroma inside the face ellipse and another random tint outside it."""
    skin = face_mask(image.shape[:2], landmarks, grow=1.1)
    out = _shift_lab(image, np.ones(image.shape[:2], np.float32), 1.0, *rng.uniform(-12, 12, 2), 0.0)
    return _shift_lab(out, skin, 1.0, rng.uniform(8, 20), rng.uniform(10, 28), 0.0)


def side_light(image: np.ndarray, gain: float, ramp: float, angle: float) -> np.ndarray:
    size = image.shape[0]
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    field = gain * (1 + ramp * (xs * np.cos(angle) + ys * np.sin(angle)))
    return np.clip(image.astype(np.float32) * field[..., None], 0, 255).astype(np.uint8)


def draw_glasses(image: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dark frames around both eyes and a bridge (rounded or rectangular, 1.5-4 px lines)."""
    out = image.copy()
    gap = _eye_gap(landmarks)
    colour = tuple(int(c) for c in rng.integers(0, 90, 3))
    width = max(1, round(rng.uniform(0.02, 0.05) * gap))
    half = (int(rng.uniform(0.3, 0.42) * gap), int(rng.uniform(0.2, 0.3) * gap))
    round_frames = rng.random() < 0.5
    for eye in landmarks[:2]:
        x, y = (int(v) for v in eye)
        if round_frames:
            cv2.ellipse(out, (x, y), half, 0, 0, 360, colour, width, cv2.LINE_AA)
        else:
            cv2.rectangle(
                out, (x - half[0], y - half[1]), (x + half[0], y + half[1]), colour, width, cv2.LINE_AA
            )
    right, left = landmarks[0], landmarks[1]
    inner = (int(right[0] + half[0]), int(right[1])), (int(left[0] - half[0]), int(left[1]))
    cv2.line(out, inner[0], inner[1], colour, width, cv2.LINE_AA)
    return out


def blink(image: np.ndarray, landmarks: np.ndarray, closed: float) -> np.ndarray:
    """Eyes `closed` (0.5 half .. 1 fully) shut: skin from below each eye painted over its upper part,
    a dark lash line where the lids meet."""
    out = image.copy()
    gap = _eye_gap(landmarks)
    for eye in landmarks[:2]:
        x, y = (int(v) for v in eye)
        below = image[y + int(0.28 * gap) : y + int(0.4 * gap), x - int(0.1 * gap) : x + int(0.1 * gap)]
        if below.size == 0:
            continue
        lid = np.median(below.reshape(-1, 3), axis=0) * 0.93
        cover = np.zeros(image.shape[:2], np.float32)
        axes = (int(0.3 * gap), max(1, int(0.15 * gap)))
        centre_y = y - int((1 - closed) * 0.15 * gap)
        cv2.ellipse(cover, (x, centre_y), axes, 0, 0, 360, 1.0, -1)
        cover = cv2.GaussianBlur(cover, (0, 0), 0.04 * gap + 0.5)[..., None]
        out = (out * (1 - cover) + lid * cover).astype(np.uint8)
        lash_y = centre_y + axes[1] // 2
        cv2.ellipse(
            out,
            (x, lash_y),
            (axes[0], max(1, axes[1] // 3)),
            0,
            10,
            170,
            (30, 25, 25),
            max(1, int(0.03 * gap)),
            cv2.LINE_AA,
        )
    return out


def augment_crop(
    crop: np.ndarray, landmarks: np.ndarray, cfg: FaceAugmentConfig, rng: np.random.Generator
) -> tuple[np.ndarray, list[str]]:
    """The photometric and drawn-on augmentations of one crop (landmarks in crop pixels); returns the
    new crop and the names of what was applied (pose is applied by the caller, through the re-crop)."""
    used: list[str] = []
    out = crop
    if is_grey(out):
        out = colourise(out, landmarks, rng)
        used.append("colourised")
    if rng.random() < cfg.p_skin:
        skin = face_mask(out.shape[:2], landmarks, grow=1.05)
        out = _shift_lab(out, skin, rng.uniform(*cfg.skin_light), *rng.uniform(-6, 8, 2), 1.0)
        used.append("skin")
    if rng.random() < cfg.p_hair:
        lightness = rng.uniform(0.6, 2.2)
        out = _shift_lab(out, hair_mask(out, landmarks), lightness, *rng.uniform(-30, 30, 2), 0.5)
        used.append("hair")
    if rng.random() < cfg.p_light:
        ramp = rng.uniform(-cfg.side_light, cfg.side_light)
        out = side_light(out, rng.uniform(*cfg.gain), ramp, rng.uniform(0, 2 * np.pi))
        used.append("light")
    if rng.random() < cfg.p_temperature:
        t = rng.uniform(-cfg.temperature, cfg.temperature)
        gains = np.array([1 - t, 1.0, 1 + t], np.float32)  # BGR: warm = more red, less blue
        out = np.clip(out * gains, 0, 255).astype(np.uint8)
        used.append("temperature")
    if rng.random() < cfg.p_glasses:
        out = draw_glasses(out, landmarks, rng)
        used.append("glasses")
    if rng.random() < cfg.p_blink:
        out = blink(out, landmarks, rng.uniform(0.5, 1.0))
        used.append("blink")
    if rng.random() < cfg.p_noise:
        sigma = rng.uniform(*cfg.noise_sigma)
        out = np.clip(out + rng.normal(0, sigma, out.shape), 0, 255).astype(np.uint8)
        used.append("noise")
    if rng.random() < cfg.p_jpeg:
        quality = int(rng.integers(*cfg.jpeg_quality))
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out = cv2.imdecode(data, cv2.IMREAD_COLOR)
            used.append("jpeg")
    return np.ascontiguousarray(out), used


def crop_landmarks(matrix: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Source-image landmarks in the crop's pixels."""
    return apply(matrix, landmarks).astype(np.float32)
