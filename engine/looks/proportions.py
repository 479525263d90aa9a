"""Anime proportions: a smooth landmark-driven warp (bigger eyes, smaller nose and mouth, narrower
chin). The displacement is a sum of a few Gaussian-weighted radial scalings around the landmarks,
evaluated on a coarse grid and interpolated, so it is smooth, cheap and a still face gets a still warp.
"""

from __future__ import annotations

import cv2
import numpy as np

from .arrays import clamp
from .face_frame import FaceFrame
from .params import WarpParams

_GRID = 24  # coarse grid side; the warp varies slowly, bilinear interpolation does the rest


def _source_offsets(points: np.ndarray, frame: FaceFrame, params: WarpParams) -> np.ndarray:
    """For destination pixels `points` (K, 2), where to sample the photo minus where they are."""
    unit, lm = frame.unit, frame.landmarks
    mouth_mid = lm[3:].mean(axis=0)
    # (centre, radius in face units, gain): gain > 0 magnifies (samples closer to the centre).
    zones = [(lm[0], 0.42, params.eyes), (lm[1], 0.42, params.eyes), (lm[2], 0.32, -params.nose),
             (mouth_mid, 0.4, -params.mouth)]  # fmt: skip
    offset = np.zeros_like(points)
    for centre, radius, gain in zones:
        rel = points - centre
        weight = np.exp(-(rel**2).sum(axis=1) / (radius * unit) ** 2)[:, None]
        offset -= gain * weight * rel
    if params.chin:
        # Below the mouth the jaw is sampled from further out: the face narrows towards the chin.
        face = frame.to_face(points)
        below = clamp((face[:, 1] - 0.9) / 0.9, 0.0, 1.0) * np.exp(-(((np.abs(face[:, 0]) - 0.9) / 0.6) ** 2))
        offset += (params.chin * below * face[:, 0] * unit)[:, None] * frame.across
    return offset


def warp_maps(frame: FaceFrame, size: int, params: WarpParams) -> tuple[np.ndarray, np.ndarray]:
    """cv2.remap maps of the warp for a size x size crop (fixed-point, as cv2.convertMaps makes them)."""
    coords = (np.arange(_GRID, dtype=np.float64) + 0.5) * (size / _GRID) - 0.5
    gx, gy = np.meshgrid(coords, coords)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    source = points + _source_offsets(points, frame, params)
    grid = source.reshape(_GRID, _GRID, 2).astype(np.float32)
    full = cv2.resize(grid, (size, size), interpolation=cv2.INTER_LINEAR)
    return cv2.convertMaps(full[..., 0], full[..., 1], cv2.CV_16SC2)  # fixed point: a faster remap


def warp_landmarks(frame: FaceFrame, params: WarpParams) -> np.ndarray:
    """Where the 5 landmarks land after the warp (fixed-point inverse of the sampling map)."""
    original = frame.landmarks
    moved = original.copy()
    # The offsets are a few pixels and vary slowly: two steps land within a hundredth of a pixel.
    for _ in range(2):
        moved = original - _source_offsets(moved, frame, params)
    return moved


def apply_warp(crop: np.ndarray, frame: FaceFrame, params: WarpParams) -> tuple[np.ndarray, FaceFrame]:
    """The warped crop and the face frame of its moved landmarks."""
    if not (params.eyes or params.nose or params.mouth or params.chin):
        return crop, frame
    map_x, map_y = warp_maps(frame, crop.shape[0], params)
    warped = cv2.remap(crop, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return warped, FaceFrame.from_landmarks(warp_landmarks(frame, params))
