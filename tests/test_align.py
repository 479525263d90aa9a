"""Crop transforms: exact on similarity-transformed templates, sensible on a real face."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from animecam.core.align import (
    AlignConfig,
    apply,
    crop_transform,
    fit_similarity,
    invert,
    template,
    warp_to_crop,
)


def similarity(angle: float, scale: float, tx: float, ty: float) -> np.ndarray:
    c, s = scale * math.cos(angle), scale * math.sin(angle)
    return np.array([[c, -s, tx], [s, c, ty]])


@pytest.mark.parametrize(
    ("angle", "scale", "tx", "ty"),
    [(0.0, 1.0, 0.0, 0.0), (0.4, 2.3, 410.0, 95.5), (-2.9, 0.37, -30.0, 700.0)],
)
def test_landmarks_of_a_moved_template_map_back_exactly(
    angle: float, scale: float, tx: float, ty: float
) -> None:
    size = 256
    crop_to_frame = similarity(angle, scale, tx, ty)
    landmarks = apply(crop_to_frame, template(size))
    matrix = crop_transform(landmarks, size)
    assert matrix.shape == (2, 3) and matrix.dtype == np.float64
    np.testing.assert_allclose(apply(matrix, landmarks), template(size), atol=1e-9)
    np.testing.assert_allclose(invert(matrix), crop_to_frame, atol=1e-9)


def test_fit_similarity_is_least_squares_under_noise() -> None:
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (40, 2))
    truth = similarity(0.3, 1.7, 12.0, -4.0)
    dst = apply(truth, src) + rng.normal(0, 0.5, (40, 2))
    fitted = fit_similarity(src, dst)
    np.testing.assert_allclose(fitted[:, :2], truth[:, :2], atol=0.01)
    np.testing.assert_allclose(fitted[:, 2], truth[:, 2], atol=0.5)
    # Nudging any of the similarity's 4 parameters (scale*cos, scale*sin, tx, ty) fits worse.
    base = np.square(apply(fitted, src) - dst).sum()
    directions = [
        [[1, 0, 0], [0, 1, 0]],
        [[0, -1, 0], [1, 0, 0]],
        [[0, 0, 1], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 1]],
    ]
    for direction in np.array(directions, np.float64):
        for step in (1e-3, -1e-3):
            assert np.square(apply(fitted + step * direction, src) - dst).sum() > base


def test_template_layout() -> None:
    points = template(200)
    eyes_gap = np.linalg.norm(points[1] - points[0])
    assert eyes_gap == pytest.approx(0.25 * 200)
    assert points[:2].mean(axis=0) == pytest.approx((100.0, 0.47 * 200))
    assert points[0, 0] < points[1, 0] and points[3, 0] < points[4, 0]  # subject's right on the image left
    assert points[0, 1] < points[2, 1] < points[3, 1]  # eyes above nose above mouth
    tighter = template(200, AlignConfig(eye_distance=0.4))
    assert np.linalg.norm(tighter[1] - tighter[0]) == pytest.approx(80.0)


def test_bad_landmarks_are_refused() -> None:
    with pytest.raises(ValueError, match="5 finite"):
        crop_transform(np.zeros((4, 2)), 64)
    with pytest.raises(ValueError, match="5 finite"):
        crop_transform(np.full((5, 2), np.nan), 64)
    with pytest.raises(ValueError, match="collapse"):
        crop_transform(np.ones((5, 2)), 64)


def test_astronaut_crop_holds_the_face_centred() -> None:
    photo = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    # Feature positions in astronaut() read off the photo (see tests/test_faces.py).
    landmarks = np.array([[203, 101], [245, 101], [222, 124], [203, 144], [240, 143]], np.float32)
    matrix = crop_transform(landmarks, 128)
    crop = warp_to_crop(photo, matrix, 128)
    assert crop.shape == (128, 128, 3) and crop.dtype == np.uint8
    # The crop's centre samples the face between nose and mouth: skin, much redder than blue.
    b, _, r = crop[56:72, 56:72].reshape(-1, 3).mean(axis=0)
    assert r > b + 40


def test_crop_past_the_frame_repeats_the_edge() -> None:
    frame = np.full((100, 100, 3), 90, np.uint8)
    landmarks = template(100) * 0.5 - (40, 30)  # a small face mostly above and left of the frame
    crop = warp_to_crop(frame, crop_transform(landmarks, 64), 64)
    assert (crop == 90).all()  # no black border
