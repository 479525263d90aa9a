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
# Light rims (clear or tortoiseshell plastic) are fainter still: their lines count fully from this
# darkness, and they must ring both eyes all round (each rim's weakest quarter at least
# _FAINT_RING on such lines) and cross the bridge of the nose (_FAINT_BRIDGE of its width). Over
# 161 faces without glasses (bench/look's, the room, real photos bright and dim) the best ring
# with such a bridge scored 0.25 and the best ring without one 0.60 (wrinkles and lashes ring an
# eye, but do not cross the bridge); Grace Hopper's light frames 0.62, dimmed 0.52 (2026-12-02,
# 10 L units unblurred). None of bench/look's 139 faces but its glasses copy gets rims either way.
_FAINT_DARK = 6.0
# ... measured on the lightness blurred by this (px for a face unit of 64): a dim room's crop is
# lifted up to 2.5x with the scene, and its sensor noise with it; on the crop as it was, its specks
# and an older man's lids ringed both eyes and crossed the bridge (glasses drawn on Obama and
# Biden in cold and warm dim copies, and on a flat noisy skin), while a rim is a line, and keeps
# its darkness blurred. Over those, Grace Hopper's frames (bright, dim, lifted, at 128 and 512 px),
# the table of six and synthetic rims and skins lifted from a dim noisy JPEG, thresholds from 5 to
# 7 at this blur made no mistake in 41 crops (10 unblurred: 9 wrong).
_FAINT_BLUR = 1.2
_FAINT_RING = 0.45
_FAINT_BRIDGE = 0.9
_FAINT_GROW = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


_ANGLES = np.linspace(0.0, 2.0 * np.pi, 32, endpoint=False)
_OFFSETS = np.arange(-0.25, 0.2501, 0.05)  # eye units: where around the eye point a rim's middle may be
_HALF_WIDTHS = np.array([0.36, 0.44, 0.52])  # eye units
_ASPECTS = np.array([0.6, 0.75, 0.9])  # height / width
_NUDGES = np.arange(-0.1, 0.1001, 0.025)  # eye units: how far a mirrored rim is moved to meet its ink
_MIN_SCORE = 0.6  # share of a candidate's outline on ink for it to be a rim


# The four quarters of an outline's samples (right, bottom, left, top): a ring is ringed in each.
_QUARTERS = [np.nonzero(np.abs((_ANGLES - a + np.pi) % (2 * np.pi) - np.pi) < np.pi / 4)[0]
             for a in np.arange(4) * np.pi / 2]  # fmt: skip


def _search(
    ink: np.ndarray, eye: np.ndarray, unit: float, offsets: np.ndarray = _OFFSETS,
    half_widths: np.ndarray = _HALF_WIDTHS, aspects: np.ndarray = _ASPECTS, all_round: bool = False,
) -> tuple[Ellipse, float]:  # fmt: skip
    """The upright ellipse around `eye` whose outline lies most on ink (`ink` dilated: a rim is
    a few pixels off an ellipse), and that share; `all_round`: `ink` is graded (0..1) and the score
    is the mean of its weakest quarter. A search, not a fit to the ink near the eye: the eye's own
    lash lines, the brow and the hair's edge are ink there too. Sizes in eye units."""
    grid = np.meshgrid(offsets * unit, offsets * unit, half_widths * unit, aspects, indexing="ij")
    ox, oy, half, aspect = grid
    cx, cy = (eye[0] + ox).ravel()[:, None], (eye[1] + oy).ravel()[:, None]
    rx, ry = half.ravel()[:, None], (half * aspect).ravel()[:, None]
    xs = np.rint(cx + rx * np.cos(_ANGLES)).astype(int)
    ys = np.rint(cy + ry * np.sin(_ANGLES)).astype(int)
    h, w = ink.shape
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    values = np.zeros(xs.shape, np.float32)
    values[inside] = ink[ys[inside], xs[inside]]
    if all_round:
        scores = np.min([values[:, q].mean(axis=1) for q in _QUARTERS], axis=0)
    else:
        scores = (values > 0).mean(axis=1)
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
        darkness = _line_darkness(light, frame)
        thin = (darkness > _THIN_DARK).astype(np.float32)
        again, mirrored_again = _frames(np.maximum(edge_ink, thin), frame)
        if again is not None and (rims is None or not mirrored_again):
            rims = again
        if rims is None:
            blurred = cv2.GaussianBlur(light, (0, 0), _FAINT_BLUR * frame.unit / 64.0)
            rims = _faint_frames(_line_darkness(blurred, frame), frame)
    return rims


def _line_darkness(light: np.ndarray, frame: FaceFrame) -> np.ndarray:
    """float32, crop-sized: how much darker (L units) than what is beside them lines thinner than
    a tenth of the eye distance are, in the band of the eyes (rims; brows and lashes too, but those
    do not ring an eye); 0 outside the band. Not for a turned head: its brow, socket and nose ring
    the near eye (seen on the cameraman)."""
    unit = frame.eye_unit
    size = max(3, int(0.15 * unit) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    darkness = np.zeros_like(light, dtype=np.float32)
    band, x0, y0 = window(light, frame.centre, (1.3 * unit, 0.7 * unit))
    if band.size:
        darkness[y0 : y0 + band.shape[0], x0 : x0 + band.shape[1]] = cv2.morphologyEx(
            band, cv2.MORPH_BLACKHAT, kernel
        )
    return darkness


def _faint_frames(darkness: np.ndarray, frame: FaceFrame) -> list[np.ndarray] | None:
    """Light rims whose lines are too faint to ink (see _FAINT_DARK): both eyes ringed all round
    and a line across the bridge of the nose; no mirror images (a guess on faint lines is noise)."""
    unit = frame.eye_unit
    graded = cv2.dilate(np.minimum(darkness * np.float32(1.0 / _FAINT_DARK), 1.0), _FAINT_GROW)
    bridge, _, _ = window(graded, frame.centre - 0.05 * unit * frame.down, (0.1 * unit, 0.15 * unit))
    if bridge.size == 0 or float((bridge > 0.5).any(axis=0).mean()) < _FAINT_BRIDGE:
        return None
    rims = []
    for eye in frame.landmarks[:2]:
        ellipse, score = _search(graded, eye, unit, all_round=True)
        if score < _FAINT_RING:
            return None
        rims.append(_outline(ellipse))
    return rims


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
