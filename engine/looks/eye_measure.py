"""An eye's shape measured in the photo: where it is, how wide and open, where its iris looks and
in which colour, and its upper lid's line (engine/looks/eyes.py draws it).

Measurements are soft (darkness-weighted sums, no hard thresholds), so a still face gives still
numbers and small landmark noise moves the drawing by a fraction of a pixel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .arrays import clamp, median, percentiles
from .face_frame import FaceFrame, pixel_centres

OPEN_HEIGHT = 0.15  # an open eye's dark band (lashes, iris) in face units, as measured
CLOSED_HEIGHT = 0.085  # what a closed eye's lash line and lid crease measure
# An eye whose dark mass lies low in its window (`EyeShape.gaze`, of the half height: the lashes
# of a lowered lid, an iris looking down) looks down, and both its face's eyes are drawn with
# lowered lids: their openness at most 1 at DOWNCAST_GAZE[0], falling smoothly to
# DOWNCAST_OPENNESS at DOWNCAST_GAZE[1] (no pop for a face near the bar). The table's downcast eyes
# measured +0.59 and +0.8 (the most measured) in one eye of each face while their heights read as
# open; 26 open eyes of real photos, bright and dim, measured -0.8 to +0.15, bench/look's 139
# faces -0.8 to +0.21 but for three squinting or downcast LFW faces (+0.72, +0.8, +0.8).
DOWNCAST_GAZE = (0.3, 0.6)
DOWNCAST_OPENNESS = 0.3
# Two eyes look the same way: their measured gaze across (`EyeShape.gaze[0]`) is drawn at most this
# far apart, both moved evenly towards their middle. Measured, an eye's dark mass is pulled by the
# shadow of its inner corner or its lashes' ends: of 16 real faces, eight were apart by 0.25-0.71
# (drawn cross-eyed or wall-eyed, each iris against its lid's other end).
GAZE_SPREAD = 0.25
# Two eyes open and close together: the more open one is drawn at most this much more open than
# the other. Lisa's closed eyes at the table measured 0.91 and 0.27 (one blurred lash line as tall
# as an open eye's band) and were drawn one wide open, one shut; open eyes of real faces differed
# by up to 0.26 (0.74 and 1.0), which leaves both plainly open. A wink is drawn half shut.
OPENNESS_SPREAD = 0.15


@dataclass(frozen=True)
class EyeShape:
    centre: np.ndarray  # (2,) crop pixels
    width: float  # pixels
    openness: float  # 0 closed .. 1 open
    gaze: np.ndarray  # (2,) iris offset from the centre, as a fraction of the half width / height
    iris_bgr: np.ndarray  # (3,) float32
    outer_side: float  # -1 when the outer corner is at smaller x (the subject's right eye)
    lid: np.ndarray  # (3,) quadratic a, b, c: upper lid row = a t^2 + b t + c, t -1..1 across the eye


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, degree: int) -> np.ndarray:
    """np.polyfit(x, y, degree, w=w) (highest power first) by its normal equations: a 2x2 or 3x3
    solve instead of polyfit's scaled SVD, which cost ~150 us for a dozen points."""
    powers = np.vander(np.asarray(x, np.float64), degree + 1)
    weights = np.asarray(w, np.float64) ** 2  # polyfit's w multiplies the residuals
    lhs = powers.T @ (powers * weights[:, None])
    return np.linalg.solve(lhs, powers.T @ (weights * np.asarray(y, np.float64)))


def _darkness(patch: np.ndarray) -> np.ndarray:
    """0..1 how much darker than the surrounding skin a pixel is (the eye's lashes, iris, pupil).
    The dark level is taken in the oval inscribed in the patch: the corners are where the rims of
    glasses pass, whose black would set it (lashes and iris then read pale: a squint)."""
    h, w = patch.shape
    ys, xs = np.ogrid[:h, :w]
    oval = ((xs - (w - 1) / 2) / (w / 2)) ** 2 + ((ys - (h - 1) / 2) / (h / 2)) ** 2 <= 1.0
    # 4% of the oval (its area is 79% of the patch): the darkest 3% of a plain eye patch.
    dark, bright = percentiles(patch[oval], (4.0,))[0], percentiles(patch, (80.0,))[0]
    return clamp((bright - patch) / max(bright - dark, 10.0) * 1.4 - 0.25, 0.0, 1.0)


def _eye_row(light: np.ndarray, landmark: np.ndarray, unit: float) -> float:
    """The row the eye's dark band is centred on, near its landmark. YuNet's eye points can be
    0.1 face units off: an open eye was measured shut when its window held only one lid. The
    darkness-weighted mean row of a taller window, weighted towards the landmark (a brow or a
    glasses rim at the window's edge pulls little)."""
    hw, hh = int(0.22 * unit) + 1, int(0.3 * unit) + 1
    cx, cy = round(landmark[0]), round(landmark[1])
    y0 = max(cy - hh, 0)
    patch = light[y0 : cy + hh + 1, max(cx - hw, 0) : cx + hw + 1]
    if patch.size < 16:
        return float(landmark[1])
    rows = np.arange(patch.shape[0], dtype=np.float64) + y0
    mass = (_darkness(patch) ** 3).sum(axis=1) * np.exp(-0.5 * ((rows - landmark[1]) / (0.12 * unit)) ** 2)
    if mass.sum() <= 1e-3:
        return float(landmark[1])
    # The dark mass sits ~0.05 units above the landmark (lashes and lid are darker than the lower
    # lid); only an eye much further off moves the window (moving it for every eye cost identity).
    off = float((mass * rows).sum() / float(mass.sum())) - landmark[1] + 0.05 * unit
    return float(landmark[1] + np.sign(off) * min(max(abs(off) - 0.04 * unit, 0.0), 0.12 * unit))


def measure_eye(light: np.ndarray, bgr: np.ndarray, frame: FaceFrame, index: int) -> EyeShape:
    """The shape of eye `index` (0 = right eye, image left) in a full-resolution crop."""
    unit = frame.eye_unit
    landmark = frame.landmarks[index]
    centre = np.array([landmark[0], _eye_row(light, landmark, unit)])
    hw, hh = int(0.3 * unit) + 1, int(0.2 * unit) + 1
    cx, cy = round(centre[0]), round(centre[1])
    y0, x0 = max(cy - hh, 0), max(cx - hw, 0)
    patch = light[y0 : cy + hh + 1, x0 : cx + hw + 1]
    outer_side = -1.0 if index == 0 else 1.0
    if patch.size < 16:
        flat_lid = np.array([0.0, 0.0, centre[1] - 0.06 * unit])
        return EyeShape(
            centre, 0.5 * unit, 1.0, np.zeros(2), np.float32([60, 50, 40]), outer_side, flat_lid
        )
    dark = _darkness(patch)
    cx_all, cy_all = pixel_centres(light.shape[0])
    xs = cx_all[: patch.shape[0], : patch.shape[1]] - np.float32(0.5)  # patch pixel indices
    ys = cy_all[: patch.shape[0], : patch.shape[1]] - np.float32(0.5)
    weight = dark**3 + 1e-6
    total = float(weight.sum())
    iris_x, iris_y = float((weight * xs).sum() / total), float((weight * ys).sum() / total)
    # Openness: the dark band's height in the columns through the iris (soft row count).
    band = (np.abs(xs - iris_x) < 0.1 * unit).astype(np.float32)
    columns = max(float(band[0].sum()), 1.0)
    height = float((dark * band).sum()) / columns / unit
    openness = float(clamp((height - CLOSED_HEIGHT) / (OPEN_HEIGHT - CLOSED_HEIGHT), 0.0, 1.0))
    # The dark mass per column: its spread is the width, its top the lid.
    column_mass = dark.sum(axis=0) + 1e-6
    cols = np.arange(patch.shape[1], dtype=np.float32)
    w = column_mass / column_mass.max()
    # Width: the spread of the dark mass across, about 4 standard deviations.
    spread = float(np.sqrt((w * (cols - iris_x) ** 2).sum() / w.sum()))
    width = float(clamp(3.6 * spread, 0.42 * unit, 0.62 * unit))
    # Upper lid: per column, the row where the dark band starts (soft: where the darkness summed
    # from the top reaches a quarter of the column's), fitted by a smooth arch.
    filled = np.cumsum(dark, axis=0)
    start = (filled < 0.25 * filled[-1:] + 1e-3).sum(axis=0).astype(np.float64) + y0
    t = (cols + x0 - centre[0]) / (0.5 * width)
    keep = (np.abs(t) < 1.0) & (column_mass > 0.3 * column_mass.max())
    lid = (
        _fit(t[keep], start[keep], w[keep], 2)
        if keep.sum() >= 4
        else np.array([0.0, 0.0, centre[1] - 0.06 * unit])
    )
    lid[0] = float(clamp(lid[0], 0.0, 0.2 * unit))  # an arch, never a frown
    lid[1] = float(clamp(lid[1], -0.12 * unit, 0.12 * unit))  # a lid tilts, it never runs off
    lid[2] = float(clamp(lid[2], centre[1] - 0.2 * unit, centre[1] + 0.05 * unit))
    iris_pixels = bgr[y0 : cy + hh + 1, x0 : cx + hw + 1][dark > 0.55]
    iris = (
        median(iris_pixels, axis=0).astype(np.float32)
        if len(iris_pixels) >= 4
        else np.float32([60, 50, 40])
    )
    gaze = np.array(
        [(x0 + iris_x - centre[0]) / (0.5 * width), (y0 + iris_y - centre[1]) / (0.5 * OPEN_HEIGHT * unit)]
    )
    return EyeShape(centre, width, openness, clamp(gaze, -0.8, 0.8), iris, outer_side, lid)


def lowered_lids(eyes: list[EyeShape]) -> list[EyeShape]:
    """The eyes of one face, both with lowered lids when either looks down (`DOWNCAST_GAZE`): a
    face looking down at a table or a keyboard lowers both lids, and drawn wide open they stared."""
    low, high = DOWNCAST_GAZE
    down = max((float(eye.gaze[1]) for eye in eyes), default=0.0)
    t = float(clamp((down - low) / (high - low), 0.0, 1.0))
    if t <= 0.0:
        return eyes
    cap = 1.0 - (1.0 - DOWNCAST_OPENNESS) * t * t * (3.0 - 2.0 * t)
    return [replace(eye, openness=min(eye.openness, cap)) for eye in eyes]


def together(eyes: list[EyeShape]) -> list[EyeShape]:
    """A face's two eyes with their gaze across at most `GAZE_SPREAD` apart, and the more open
    one at most `OPENNESS_SPREAD` more open than the other (see there); one eye (a profile) as it
    is."""
    if len(eyes) != 2:
        return eyes
    first, second = (float(eye.gaze[0]) for eye in eyes)
    spread = first - second
    if abs(spread) > GAZE_SPREAD:
        middle, half = 0.5 * (first + second), 0.5 * GAZE_SPREAD * float(np.sign(spread))
        moved = (middle + half, middle - half)
        eyes = [replace(eye, gaze=np.array([x, eye.gaze[1]])) for eye, x in zip(eyes, moved, strict=True)]
    most = min(eye.openness for eye in eyes) + OPENNESS_SPREAD
    return [eye if eye.openness <= most else replace(eye, openness=most) for eye in eyes]
