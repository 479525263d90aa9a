"""The face's own coordinates in an aligned crop, from its 5 landmarks: where its eyes, nose and
mouth are, how big it is, how far it is turned, and its stylised outline."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .arrays import clamp

# The stylised face outline in face units (x along the eye line, y down from the eyes' midpoint,
# one unit = the distance between the eyes of a frontal face), right half; mirrored for the left.
# Anime faces are wider at the cheekbones and end in a small pointed chin.
_FACE_HALF = np.array(
    [[0.0, -1.12], [0.55, -1.05], [0.88, -0.72], [1.02, -0.25], [1.04, 0.25], [0.98, 0.75],
     [0.82, 1.18], [0.56, 1.55], [0.27, 1.8], [0.0, 1.9]],
)  # fmt: skip
# A frontal face's eye distance is about 1.09x the eyes-to-mouth height (median over bench/look.py's
# faces, 5-95%: 0.92-1.16). Below 0.85 the head is turned: the eye line is foreshortened, not small
# (at 1.0 the astronaut's own noisy mouth points resized her drawing on a still face).
_TURNED_RATIO = 0.85
# How much wider a turned face's far side is drawn, per unit of squeeze lost: a three-quarter
# view's far cheek reaches the ear (at 0.3 its face was a narrow oval by the nose, the cheek
# beside it left in the photo's colours).
_FAR_WIDENING = 1.0


@dataclass(frozen=True)
class FaceFrame:
    """The face's own coordinates in crop pixels, from the 5 landmarks."""

    landmarks: np.ndarray  # (5, 2): right eye, left eye, nose tip, right and left mouth corner
    centre: np.ndarray  # midpoint of the eyes
    unit: float  # the face's size in pixels: the eye distance, or for a turned head what it would be
    across: np.ndarray  # unit vector from the right eye to the left eye (image left -> right)
    down: np.ndarray  # unit vector perpendicular to it, towards the mouth
    yaw: float  # nose offset across, in face units: 0 frontal, about +-0.4 at three quarters
    squeeze: float = 1.0  # how much a turn foreshortens the face across: eye distance / unit

    @property
    def eye_unit(self) -> float:
        """The eye distance in pixels (the eyes' own scale: a turned head's eyes stay near each other)."""
        return self.unit * self.squeeze

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray) -> FaceFrame:
        points = np.asarray(landmarks, np.float64).reshape(5, 2)
        centre = points[:2].mean(axis=0)
        span = points[1] - points[0]
        eyes = max(float(np.hypot(*span)), 1e-3)
        across = span / eyes
        down = np.array([-across[1], across[0]])
        mouth_mid = points[3:].mean(axis=0)
        # The nose tip and the mouth both move across when the head turns; averaging steadies it.
        offset = 0.6 * (points[2] - centre) @ across + 0.4 * (mouth_mid - centre) @ across
        yaw = float(clamp(offset / eyes, -0.7, 0.7))
        # A profile's eyes are close together while its face is not small: sized by its height, the
        # face outline and hair cover the head instead of a small oval in its middle.
        unit = max(eyes, _TURNED_RATIO * float((mouth_mid - centre) @ down))
        return cls(points, centre, unit, across, down, yaw, eyes / unit)

    def with_eyes(self, eyes: np.ndarray) -> FaceFrame:
        """The frame with its two eye points replaced (crop pixels, right eye first)."""
        return FaceFrame.from_landmarks(np.vstack([np.reshape(eyes, (2, 2)), self.landmarks[2:]]))

    def to_pixels(self, face_xy: np.ndarray) -> np.ndarray:
        """(K, 2) face units -> crop pixels."""
        xy = np.asarray(face_xy, np.float64).reshape(-1, 2)
        return self.centre + self.unit * (xy[:, :1] * self.across + xy[:, 1:] * self.down)

    def to_face(self, pixels: np.ndarray) -> np.ndarray:
        rel = np.asarray(pixels, np.float64).reshape(-1, 2) - self.centre
        return np.column_stack([rel @ self.across, rel @ self.down]) / self.unit

    def grid(self, size: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """Face coordinates (x, y) of every pixel of a size x size image drawn at `scale` x the crop."""
        xs, ys = pixel_centres(size)
        ox, oy = self.centre * scale
        k = np.float32(1.0 / (self.unit * scale))
        ax, ay = np.float32(self.across * k)
        dx, dy = np.float32(self.down * k)
        # One multiply-add per term on cached planes: the grid is needed at several sizes per crop.
        fx = xs * ax + ys * ay - np.float32(ox * ax + oy * ay)
        fy = xs * dx + ys * dy - np.float32(ox * dx + oy * dy)
        return fx, fy

    def face_outline(self, widths: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
        """The closed stylised face outline in crop pixels, turned, each side's width (right, left)."""
        right = _FACE_HALF * [-widths[0], 1.0]
        left = _FACE_HALF[::-1][1:-1] * [widths[1], 1.0]
        return self.to_pixels(self.turned(np.vstack([right, left])))

    def turned(self, face_xy: np.ndarray) -> np.ndarray:
        """(K, 2) points of a frontal face (face units) where they are on this turned head: the side
        the nose points to narrows (foreshortened as the eye line is: a profile's face ends near its
        nose), the other widens (a profile's cheek reaches the ear), the chin follows the nose."""
        x, y = np.asarray(face_xy, np.float64).reshape(-1, 2).T
        x = x * np.where(x * self.yaw > 0, self.squeeze, 1.0 + _FAR_WIDENING * (1.0 - self.squeeze))
        x = x - 0.55 * self.yaw * np.abs(x) + 0.7 * self.yaw * np.maximum(y, 0.0) / 1.9
        return np.column_stack([x, y])


@lru_cache(maxsize=8)
def pixel_centres(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of every pixel centre of a size x size image, float32, read-only (shared per size)."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) + np.float32(0.5)
    xs.flags.writeable = ys.flags.writeable = False
    return xs, ys
