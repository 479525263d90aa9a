"""Glasses: their rims found in the crop's strong edges and drawn as clean frames.

A rim is an ellipse of ink around an eye, and the bridge of the nose is inked between the two.
Behind thick rims YuNet's eye points slide off the eyes (seen: 0.2 face units towards the bridge
and down), so the rims are searched for around the points, not fitted to the ink nearest them;
and a rim whose far side does not ink (a shadow, the hair's edge beside it) is taken as the mirror
image of the other one, glasses being symmetric.
"""

from __future__ import annotations

import cv2
import numpy as np

from .arrays import window
from .face_frame import FaceFrame
from .ink import stroke

Ellipse = tuple[tuple[float, float], tuple[float, float], float]  # cv2's (centre, axes, degrees)
_GROW = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))  # a rim is a few pixels off an ellipse
_FRONTAL = 0.75  # FaceFrame.squeeze from which a face is frontal enough to look for dark rims
# L units a thin line is darker than the closing of its surroundings. At 25 thin gold and light
# brown frames (1 px in the photo) were not found and the glasses were erased; at 16 they are, and
# none of 132 faces without glasses (bench/look's, real photos bright and dim) gets rims; at 8, 4 do.
_THIN_DARK = 16.0


_ANGLES = np.linspace(0.0, 2.0 * np.pi, 32, endpoint=False)
_OFFSETS = np.arange(-0.25, 0.2501, 0.05)  # eye units: where around the eye point a rim's middle may be
_HALF_WIDTHS = np.array([0.36, 0.44, 0.52])  # eye units
_ASPECTS = np.array([0.6, 0.75, 0.9])  # height / width
_NUDGES = np.arange(-0.1, 0.1001, 0.025)  # eye units: how far a mirrored rim is moved to meet its ink
_MIN_SCORE = 0.6  # share of a candidate's outline on ink for it to be a rim


def _search(
    ink: np.ndarray, eye: np.ndarray, unit: float, offsets: np.ndarray = _OFFSETS,
    half_widths: np.ndarray = _HALF_WIDTHS, aspects: np.ndarray = _ASPECTS,
) -> tuple[Ellipse, float]:  # fmt: skip
    """The upright ellipse around `eye` whose outline lies most on ink (`ink` dilated: a rim is
    a few pixels off an ellipse), and that share. A search, not a fit to the ink near the eye: the
    eye's own lash lines, the brow and the hair's edge are ink there too. Sizes in eye units."""
    grid = np.meshgrid(offsets * unit, offsets * unit, half_widths * unit, aspects, indexing="ij")
    ox, oy, half, aspect = grid
    cx, cy = (eye[0] + ox).ravel()[:, None], (eye[1] + oy).ravel()[:, None]
    rx, ry = half.ravel()[:, None], (half * aspect).ravel()[:, None]
    xs = np.rint(cx + rx * np.cos(_ANGLES)).astype(int)
    ys = np.rint(cy + ry * np.sin(_ANGLES)).astype(int)
    h, w = ink.shape
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    hits = np.zeros(xs.shape, bool)
    hits[inside] = ink[ys[inside], xs[inside]] > 0
    scores = hits.mean(axis=1)
    best = int(np.argmax(scores))
    centre, axes = (float(cx[best, 0]), float(cy[best, 0])), (float(2 * rx[best, 0]), float(2 * ry[best, 0]))
    return (centre, axes, 0.0), float(scores[best])


def _refined(ink: np.ndarray, ellipse: Ellipse) -> Ellipse:
    """cv2.fitEllipse of the ink pixels near a found outline (a rim is not exactly a candidate)."""
    (cx, cy), (ax, ay), _ = ellipse
    patch, x0, y0 = window(ink, np.array([cx, cy]), (0.7 * ax, 0.7 * ay))
    ys, xs = np.nonzero(patch > 0.5)
    points = np.column_stack([xs + x0, ys + y0]).astype(np.float32)
    if len(points) < 12:
        return ellipse
    r = np.hypot((points[:, 0] - cx) / (ax / 2), (points[:, 1] - cy) / (ay / 2))
    near = np.abs(r - 1.0) < 0.15
    return cv2.fitEllipse(points[near]) if near.sum() >= 12 else ellipse


def _rim(ink: np.ndarray, grown: np.ndarray, eye: np.ndarray, unit: float) -> tuple[Ellipse, float] | None:
    """The rim around one eye and how much of it is on ink, if there is a plausible one."""
    ellipse, score = _search(grown, eye, unit)
    if score < _MIN_SCORE:
        return None
    ellipse = _refined(ink, ellipse)
    (cx, cy), axes, _ = ellipse
    # The right size and centred near the eye (else a hairline, a shadow or a bad fit).
    if not (0.45 * unit < max(axes) < 1.2 * unit) or np.hypot(cx - eye[0], cy - eye[1]) > 0.3 * unit:
        return None
    return ellipse, score


def _mirrored(ellipse: Ellipse, frame: FaceFrame) -> Ellipse:
    """The ellipse reflected across the face's middle line (through the eyes' midpoint, down)."""
    centre = np.asarray(ellipse[0], np.float64)
    centre = centre - 2.0 * float((centre - frame.centre) @ frame.across) * frame.across
    axis = np.degrees(np.arctan2(frame.down[1], frame.down[0]))
    return (float(centre[0]), float(centre[1])), ellipse[1], float(2.0 * axis - ellipse[2])


def glasses_frames(
    edge_ink: np.ndarray, frame: FaceFrame, light: np.ndarray | None = None
) -> list[np.ndarray] | None:
    """Rims of glasses as two ellipse outlines (K, 2) in crop pixels, right eye's first, when
    edges ring the eyes and cross the bridge of the nose; None when there are no glasses.
    With the crop's lightness (0..100) a frontal face is looked at again with its thin dark lines
    added: thick black rims ink only in pieces along their two edges."""
    rims, mirrored = _frames(edge_ink, frame)
    if (rims is None or mirrored) and light is not None and frame.squeeze >= _FRONTAL:
        # A mirror image is a guess (the face's middle comes from the eye points): found directly
        # with the dark lines, a rim is where it is.
        again, mirrored_again = _frames(np.maximum(edge_ink, _thin_dark_lines(light, frame)), frame)
        if again is not None and (rims is None or not mirrored_again):
            rims = again
    return rims


def _thin_dark_lines(light: np.ndarray, frame: FaceFrame) -> np.ndarray:
    """float32 0/1, crop-sized: lines much darker than what is beside them and thinner than a
    tenth of the eye distance, in the band of the eyes (rims; brows and lashes too, but those do
    not ring an eye). Not on a turned head: its brow, socket and nose ring the near eye (seen on
    the cameraman)."""
    unit = frame.eye_unit
    size = max(3, int(0.15 * unit) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    lines = np.zeros_like(light, dtype=np.float32)
    band, x0, y0 = window(light, frame.centre, (1.3 * unit, 0.7 * unit))
    if band.size:
        hat = cv2.morphologyEx(band, cv2.MORPH_BLACKHAT, kernel)
        lines[y0 : y0 + band.shape[0], x0 : x0 + band.shape[1]] = hat > _THIN_DARK
    return lines


def _frames(edge_ink: np.ndarray, frame: FaceFrame) -> tuple[list[np.ndarray] | None, bool]:
    """(the rims found in `edge_ink`, or None; whether one is the other's mirror image)."""
    unit = frame.eye_unit
    bridge, _, _ = window(edge_ink, frame.centre - 0.05 * unit * frame.down, (0.1 * unit, 0.15 * unit))
    if bridge.size == 0 or bridge.max(axis=1).max() < 0.5:
        return None, False
    grown = cv2.dilate((edge_ink > 0.5).astype(np.uint8), _GROW)
    found = [_rim(edge_ink, grown, frame.landmarks[index], unit) for index in (0, 1)]
    ellipses = []
    for index in (0, 1):
        mine, other = found[index], found[1 - index]
        if mine is not None:
            ellipses.append(mine[0])
            continue
        if other is None:
            return None, False
        # A rim whose far side does not ink (a shadow, the hair's edge beside it): the mirror
        # image of the other one, if enough of it is on ink where that puts it.
        mirror = _mirrored(other[0], frame)
        width, height = np.ptp(_outline(mirror), axis=0)
        # The face's middle is the eye points' (off with them): the mirror image is moved onto the ink.
        mirror, score = _search(grown, np.array(mirror[0]), unit, _NUDGES, np.array([width / 2 / unit]),
                                np.array([height / width]))  # fmt: skip
        if score < 0.5 * _MIN_SCORE:
            return None, False
        ellipses.append(mirror)
    return [_outline(ellipse) for ellipse in ellipses], None in found


def _outline(ellipse: Ellipse) -> np.ndarray:
    (cx, cy), (ax, ay), angle = ellipse  # to 1/16 px: ellipse2Poly takes integers
    centre, half_axes = (int(cx * 16), int(cy * 16)), (int(ax * 8), int(ay * 8))
    return cv2.ellipse2Poly(centre, half_axes, int(angle), 0, 360, 10) / 16.0


def draw_glasses(canvas: np.ndarray, rims: list[np.ndarray], width: float, colour: np.ndarray) -> None:
    for rim in rims:
        closed = np.vstack([rim, rim[:1]])
        stroke(canvas, closed, np.full(len(closed), width), colour)
    right_inner = rims[0][np.argmax(rims[0][:, 0])]
    left_inner = rims[1][np.argmin(rims[1][:, 0])]
    stroke(canvas, np.array([right_inner, left_inner]), np.full(2, width), colour)
