"""scikit-image's astronaut as an aligned face crop with its landmarks (shared by the look tests)."""

from __future__ import annotations

import cv2
import numpy as np
from skimage.data import astronaut

from animecam.core.align import apply, crop_transform, warp_to_crop

# YuNet's landmarks on scikit-image's astronaut (right eye, left eye, nose, mouth corners).
ASTRONAUT_LANDMARKS = np.array(
    [[200.1, 101.8], [247.2, 102.6], [220.3, 124.7], [198.9, 143.2], [239.8, 143.9]]
)


def astronaut_photo() -> np.ndarray:
    return cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)


def astronaut_crop(image: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`image` (the astronaut or an edited copy) cropped at its face: (crop, crop landmarks)."""
    matrix = crop_transform(ASTRONAUT_LANDMARKS, size)
    return warp_to_crop(image, matrix, size), apply(matrix, ASTRONAUT_LANDMARKS)


def sclera_pixels(drawn: np.ndarray, landmarks: np.ndarray) -> int:
    """How many near-white pixels (the drawn eyes' whites) lie around the eyes."""
    gap = float(np.linalg.norm(landmarks[1] - landmarks[0]))
    count = 0
    for x, y in landmarks[:2]:
        box = drawn[int(y - 0.3 * gap) : int(y + 0.3 * gap), int(x - 0.4 * gap) : int(x + 0.4 * gap)]
        count += int((box.min(axis=2) > 235).sum())
    return count
