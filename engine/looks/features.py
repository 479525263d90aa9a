"""The small drawn parts: a nose tick, a mouth drawn closed, smiling or open (with teeth) as
measured, blush. (Brows are inked in engine/looks/eyes.py, glasses drawn in glasses.py.)
"""

from __future__ import annotations

import cv2
import numpy as np

from .arrays import clamp, window
from .face_frame import FaceFrame
from .ink import paint, stroke
from .params import LookParams


def draw_nose(canvas: np.ndarray, frame: FaceFrame, colour: np.ndarray, width: float) -> None:
    """A small tick on the shadow side of the nose tip."""
    tip = frame.landmarks[2]
    u, d = frame.eye_unit * frame.across, frame.unit * frame.down
    points = np.array([tip + 0.05 * u - 0.06 * d, tip + 0.075 * u, tip + 0.03 * u + 0.02 * d])
    stroke(canvas, points, np.array([0.4, 1.0, 0.7]) * width, colour)


# A row of the mouth's middle is lip-red when its a* is this far over the cheeks' (only where the
# skin has colour: a grey camera's lips are told by lightness alone).
_LIP_RED = 8.0
# Lightness (0..100) under the cheeks' below which a row of the mouth is lip or the mouth's dark;
# teeth in warm light are within 4 of the cheeks (fully) or 10 (not at all).
_TEETH_BELOW_SKIN = 12.0
# How far above the mouth corners' line (face units) an open mouth's upper lip ends: a laugh's
# teeth were held by a lip at the line; a closed mouth's philtrum by the nose's shadow 0.19-0.26 up.
_UPPER_LIP_REACH = 0.12
_TEETH_TOP = 0.03  # face units above the corners' line where teeth lighter than the skin may start


def measure_mouth(
    light: np.ndarray, bgr: np.ndarray, frame: FaceFrame, skin_light: float
) -> tuple[float, float, float]:
    """(opening in face units, teeth 0..1, smile in face units: how far the middle sits below the
    corners) from a strip through the mouth's middle of the full-size crop (`light` its lightness)."""
    lm, unit = frame.landmarks, frame.unit
    mid = lm[3:].mean(axis=0)
    patch, x0, y0 = window(light, mid, (0.08 * unit, 0.25 * unit))
    if patch.size < 8:
        return 0.0, 0.0, 0.0
    profile = patch.mean(axis=1)
    rows = np.arange(len(profile), dtype=np.float32) + y0
    box = (x0, y0, x0 + patch.shape[1], y0 + patch.shape[0])
    # An open mouth starts under its upper lip: higher up are the nose's shadow and the lit
    # philtrum, which made a closed mouth measure open (Grace Hopper's drawn laughing).
    in_mouth = rows >= mid[1] - _UPPER_LIP_REACH * unit
    # Teeth lighter than the skin show from the corners' line down (the upper teeth of a broad
    # smile, a laugh, a word); a closed mouth's lit upper lip lies above it.
    teeth_rows = rows >= mid[1] - _TEETH_TOP * unit
    red, between = _lip_rows(bgr, frame, box, profile, skin_light, in_mouth)
    dark = clamp((skin_light - 20.0 - profile) / 15.0, 0.0, 1.0) * in_mouth  # mouth inside, not lips
    # Red lips are dark in lightness too (lipstick, a bowed head's shade): a closed red mouth was
    # drawn open. A red row is the inside only when far darker than lips are: under 42% of the
    # cheeks' lightness (45 under them in daylight), in proportion, so a dim room's open mouth counts.
    deep = skin_light * 0.42
    dark = np.where(red, dark * clamp((deep - profile) / max(0.13 * skin_light, 1.0), 0.0, 1.0), dark)
    # Teeth are lighter than the skin: by 2-10 L units in daylight, in proportion in a dim room.
    dim = float(clamp(skin_light / 60.0, 0.4, 1.0))
    bright = clamp((profile - skin_light - 2.0 * dim) / (8.0 * dim), 0.0, 1.0) * teeth_rows
    # In warm light teeth are no lighter than the cheeks: light rows with lips or the mouth's
    # dark above and below them are teeth (a laugh was drawn as a closed line).
    bright = np.maximum(bright, between)
    opening = float((dark + bright).sum()) / unit
    teeth = float(clamp(bright.sum() / max((dark + bright).sum(), 1e-6), 0.0, 1.0))
    darkest = np.maximum(skin_light - profile, 0.0) ** 2
    line_y = float((darkest * rows).sum() / max(darkest.sum(), 1e-6))
    smile = (line_y - mid[1]) / unit
    return opening, teeth, float(clamp(smile, -0.1, 0.15))


def _lip_rows(
    bgr: np.ndarray, frame: FaceFrame, box: tuple[int, int, int, int], profile: np.ndarray,
    skin_light: float, in_mouth: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per row of the mouth's strip (`box` x0, y0, x1, y1 in the crop): lip-red (bool), and light
    rows held between runs of lip or dark rows, the upper one among the `in_mouth` rows (bool)
    (float 0/1: the teeth of an open mouth). A grey camera's lips have no colour to be told by:
    nothing is red, no row is held."""
    none = np.zeros(len(profile), bool)
    side = (max(3, int(0.12 * frame.unit)) | 1,) * 2
    cheeks = [cv2.getRectSubPix(bgr, side, (float(x), float(y))).reshape(-1, 3).mean(axis=0)
              for x, y in frame.to_pixels(np.array([[-0.48, 0.55], [0.48, 0.55]]))]  # fmt: skip
    skin = cv2.cvtColor(np.float32(cheeks).reshape(1, 2, 3) / 255.0, cv2.COLOR_BGR2Lab).reshape(2, 3)
    skin = skin.mean(axis=0)
    if float(np.hypot(skin[1], skin[2])) < 6.0:
        return none, none.astype(np.float32)
    x0, y0, x1, y1 = box
    lab_rows = cv2.cvtColor(np.float32(bgr[y0:y1, x0:x1]) / 255.0, cv2.COLOR_BGR2Lab).mean(axis=1)
    red = lab_rows[:, 1] > skin[1] + _LIP_RED
    closed = red | (profile < skin_light - _TEETH_BELOW_SKIN)  # lips, or the mouth's dark
    # Held from above only by an upper lip at the mouth: the nose's shadow above a closed mouth
    # held its lit philtrum and upper lip as teeth.
    above = np.maximum.accumulate(closed & in_mouth)
    below = np.maximum.accumulate(closed[::-1])[::-1]
    # Teeth are about as light as the cheeks; a lip's highlight between its shadows is darker
    # (a closed smile in a dim room, 8 under the cheeks, measured open).
    light = clamp((profile - skin_light + _TEETH_BELOW_SKIN - 2.0) / 6.0, 0.0, 1.0)
    return red, np.where(~closed & above & below, light, 0.0).astype(np.float32)


def draw_mouth(
    canvas: np.ndarray,
    light: np.ndarray,
    bgr: np.ndarray,
    frame: FaceFrame,
    params: LookParams,
    skin_light: float,
    ink: np.ndarray,
) -> None:
    lm, unit = frame.landmarks, frame.unit
    opening, teeth, smile = measure_mouth(light, bgr, frame, skin_light)
    if opening >= 0.06:
        # Open, the measured "smile" is the teeth's or the upper lip's edge, not the corners' lift
        # (an open smile was drawn with its top arched like a shout): its top only ever curves up.
        smile = max(smile, 0.0)
    left, right = lm[3], lm[4]
    mid = 0.5 * (left + right)
    half = 0.5 * (right - left) * 0.85
    t = np.linspace(-1.0, 1.0, 15)[:, None]
    # Smiles curve up at the corners; the curve's depth follows the measured smile.
    sag = (0.03 * unit + 0.6 * smile * unit) * (1 - t * t)
    upper = mid + t * half + sag * frame.down - 0.01 * unit * frame.down
    width = params.ink.line_width * unit / 64.0
    if opening < 0.06:
        stroke(canvas, upper, width * (0.5 + 0.6 * (1 - t[:, 0] ** 2)), ink)
        return
    depth = clamp(opening, 0.06, 0.35) * unit
    lower = mid + t * half * 0.9 + (sag + depth * (1 - t * t) ** 0.7) * frame.down
    shape = np.vstack([upper, lower[::-1]])
    paint(canvas, [shape], np.float32(params.mouth_colour))
    if teeth > 0.25:
        band = np.vstack([upper, (upper + 0.35 * (lower - upper))[::-1]])
        paint(canvas, [band], np.float32([250, 250, 252]))
    tongue = np.vstack([lower[3:-3] - 0.25 * depth * frame.down, lower[3:-3][::-1]])
    paint(canvas, [tongue], np.float32(params.mouth_colour) * 0.6 + np.float32([60, 70, 110]), 0.8)
    stroke(canvas, np.vstack([upper, lower[::-1], upper[:1]]), np.full(31, width), ink)


def draw_blush(
    canvas: np.ndarray, frame: FaceFrame, params: LookParams, ink: np.ndarray, face: np.ndarray
) -> None:
    """Blush ovals with hatching on both cheeks, turned with the head: on a turned head the far
    cheek's is foreshortened, and one whose middle is off the visible face (`face`, S x S 0..1: a
    profile's far cheek is the background) is not drawn."""
    p = params.skin
    if p.blush <= 0:
        return
    unit = frame.unit
    ovals, hatches = [], []
    slant = 0.05 * unit * (frame.across - frame.down)
    half_w = 0.45 * unit / 64.0 * frame.down  # hatch strokes are thin parallelograms
    size = face.shape[0]
    for side in (-1.0, 1.0):
        centre = frame.to_pixels(frame.turned(np.array([[0.6 * side, 0.62]])))[0]
        col, row = int(np.clip(centre[0], 0, size - 1)), int(np.clip(centre[1], 0, size - 1))
        if face[row, col] < 0.5:
            continue
        narrow = frame.squeeze if side * frame.yaw > 0 else 1.0
        axes = (int(0.24 * narrow * unit * 16), int(0.09 * unit * 16))
        oval = cv2.ellipse2Poly((int(centre[0] * 16), int(centre[1] * 16)), axes, 0, 0, 360, 15)
        ovals.append(oval / 16.0)
        if p.blush_hatching:
            for k in (-1.0, 0.0, 1.0):
                base = centre + k * 0.11 * narrow * unit * frame.across
                a, b = base + slant, base - slant
                hatches.append(np.array([a + half_w, b + half_w, b - half_w, a - half_w]))
    if ovals:
        paint(canvas, ovals, np.float32(p.blush_colour), p.blush)
    if hatches:  # one fill for all six strokes
        paint(canvas, hatches, np.float32(p.blush_colour) * 0.6 + ink * 0.4, 0.8)
