"""Aligned face crops: the similarity transform from 5 landmarks to a canonical square, and warps.

The canonical layout follows FFHQ's alignment (eyes a quarter of the crop apart, the eye line a
little above the centre), which leaves room for hair and chin: the face fills about 55% of the
crop. Landmarks are in YuNet order: right eye, left eye, nose tip, right mouth corner, left mouth
corner ("right" = the subject's right = image left).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# The widely used ArcFace 112x112 five-point layout; only its shape matters here (it is
# re-centred and re-scaled by AlignConfig), so faces keep their usual proportions.
_ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


@dataclass(frozen=True)
class AlignConfig:
    eye_distance: float = 0.25  # distance between the eyes as a fraction of the crop side (FFHQ: 0.25)
    eye_line_y: float = 0.47  # height of the eyes' midpoint as a fraction of the crop side (FFHQ: ~0.47)


DEFAULT_ALIGN = AlignConfig()


def template(size: int, config: AlignConfig = DEFAULT_ALIGN) -> np.ndarray:
    """The (5, 2) canonical landmark positions inside a size x size crop."""
    eyes_mid = _ARCFACE_112[:2].mean(axis=0)
    eye_gap = float(np.linalg.norm(_ARCFACE_112[1] - _ARCFACE_112[0]))
    unit = (_ARCFACE_112 - eyes_mid) / eye_gap
    return (unit * config.eye_distance + (0.5, config.eye_line_y)) * size


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping src -> dst; 2x3 float64.

    Closed form (Umeyama 1991) instead of cv2.estimateAffinePartial2D, whose RANSAC is random:
    the same landmarks must always give the same crop.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - src_mean, dst - dst_mean
    var = float((s**2).sum())
    if var < 1e-12:
        raise ValueError("landmarks collapse to a point; no similarity transform exists")
    # With complex numbers z = x + iy a similarity is z -> a z + b; least squares gives a in one line.
    zs, zd = s[:, 0] + 1j * s[:, 1], d[:, 0] + 1j * d[:, 1]
    a = (np.conj(zs) @ zd) / var
    rot = np.array([[a.real, -a.imag], [a.imag, a.real]])
    return np.hstack([rot, (dst_mean - rot @ src_mean)[:, None]])


def crop_transform(landmarks: np.ndarray, size: int, config: AlignConfig = DEFAULT_ALIGN) -> np.ndarray:
    """2x3 float64 matrix mapping frame pixels to pixels of the size x size aligned crop."""
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (5, 2) or not np.isfinite(points).all():
        raise ValueError(f"expected 5 finite (x, y) landmarks, got an array of shape {points.shape}")
    return fit_similarity(points, template(size, config))


def warp_to_crop(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The size x size aligned crop; pixels from outside the frame repeat its edge."""
    return cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def invert(matrix: np.ndarray) -> np.ndarray:
    """The inverse 2x3 affine transform (crop pixels -> frame pixels for a crop_transform)."""
    return cv2.invertAffineTransform(np.asarray(matrix, dtype=np.float64))


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Maps (N, 2) points through a 2x3 affine matrix."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]
