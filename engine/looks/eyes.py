"""Anime eyes that stay this person's eyes.

SFace, and people, recognise a face mostly by the tones in and around the eyes: a drawn template
eye that is the same for everyone cost most of the identity (bench/look.py; FACTS.md), and hard
cel quantisation of the eye area cost almost as much. So the eye area (eye, lids, socket, brow) is
*toned*, not replaced: the photo's lightness relative to the cheek, smoothed and softly posterised,
laid over the drawn skin colour. The anime part is drawn on top from measurements of this eye: a
thick upper lash line traced along the real lid with a flick at the outer corner, an opening drawn
taller than the real one, the white of the eye lifted to white, a big anime iris in the person's
own hue where they look (dark under the lid, bright below, pupil, rim), catch lights on it; a
closed eye gets a closed lash line. The drawn iris costs some identity (bench/look.py: room
rank-1 93% -> 90% for `anime`), for eyes that read as anime rather than as eyeliner.

The measurements are engine/looks/eye_measure.py's.
"""

from __future__ import annotations

import cv2
import numpy as np

from .arrays import clamp, mix, plane, scale
from .eye_measure import EyeShape
from .face_frame import FaceFrame, pixel_centres
from .ink import paint, stroke_outline
from .params import EyeParams

_CORNER_GAP = 0.1  # the most the drawn upper lid's ends stay above the eye's corners (eye units)
_BOX = (0.62, 0.55)  # half size (face units) of the window the eye area is toned in
# Per-channel exponents (B, G, R) of a warm skin's shadow: blue falls fastest, red slowest. An even
# gain on all three greyed a socket's shadow to a green-grey bruise on real photos; this draws it
# as a brown skin shadow at about the same lightness (bench/look's identity unchanged: anime
# 0.397 / 61%, room 0.363 / 90%). Blue falling much faster (1.3, 1.12, 0.78) made the drawn eyes'
# dark mass take in the socket (bench/look's eye jitter 0.36 -> 0.58 px).
_WARM_SHADOW = (1.15, 1.05, 0.8)


def _vivid(iris_bgr: np.ndarray) -> np.ndarray:
    """The person's iris hue, saturated as anime irises are (float32 BGR)."""
    lab = cv2.cvtColor(clamp(iris_bgr, 0, 255).astype(np.uint8).reshape(1, 1, 3), cv2.COLOR_BGR2Lab)
    lab = lab.astype(np.float32).reshape(3)
    chroma = (lab[1:] - 128.0) * 2.2
    pixel = np.concatenate([[min(lab[0] * 0.6 + 60.0, 170.0)], chroma + 128.0]).reshape(1, 1, 3)
    return (
        cv2.cvtColor(clamp(pixel, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR).reshape(3).astype(np.float32)
    )


def _box(frame: FaceFrame, eye: EyeShape, size: int, zone: tuple[float, float]) -> tuple[int, int, int, int]:
    """The window one eye's area is toned in: the zone's oval (turned with the face) and the brow."""
    half_x = max(_BOX[0], 1.05 * zone[0]) * frame.eye_unit
    half_y = max(_BOX[1], 1.05 * zone[1] + 0.1) * frame.eye_unit
    top = eye.centre[1] - half_y - 0.1 * frame.eye_unit  # the brow sits higher than the eye is low
    x0, y0 = int(max(eye.centre[0] - half_x, 0)), int(max(top, 0))
    x1, y1 = int(min(eye.centre[0] + half_x + 1, size)), int(min(eye.centre[1] + half_y + 1, size))
    return x0, y0, x1, y1


def tone_eye_area(
    canvas: np.ndarray, photo_light: np.ndarray, eyes: list[EyeShape], frame: FaceFrame,
    params: EyeParams, skin_light: float, brow_colour: np.ndarray, face: np.ndarray,
) -> None:  # fmt: skip
    """The photo's eye areas as soft tones over the drawn skin (in place): lightness relative to
    the cheek, edge-preservingly smoothed (no skin texture), posterised with a soft step; the brow
    above the lid inked flat in its own shape (a stroke in a template place cost identity).
    `face` (S x S, 0..1) is the visible face: a fringe over the brow keeps its drawn colour.
    Both eyes are toned in one window (their zones overlap over the nose bridge)."""
    boxes = np.array([_box(frame, eye, canvas.shape[0], params.zone) for eye in eyes])
    x0, y0 = boxes[:, :2].min(axis=0)
    x1, y1 = boxes[:, 2:].max(axis=0)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return
    unit = frame.eye_unit
    light = cv2.bilateralFilter(photo_light[y0:y1, x0:x1], 5, 12.0, 2.0)
    relative = np.minimum(light - skin_light, 3.0)  # highlights do not shine through the drawn skin
    step = params.tone_step
    # A steep but continuous step: with np.round, the cheek's lightness moving by a fraction
    # (landmark noise moves its patches) made whole tone borders jump on a still face.
    scaled = relative / step
    whole = np.floor(scaled)
    steps = (whole + clamp((scaled - whole - 0.5) * 4.0 + 0.5, 0.0, 1.0)) * step
    toned = steps + params.tone_residual * (relative - steps)
    # A soft oval over each eye, its lids, socket and brow; the rest of the face stays flat.
    cx_all, cy_all = pixel_centres(canvas.shape[0])
    xs, ys = cx_all[y0:y1, x0:x1], cy_all[y0:y1, x0:x1]  # pixel centres
    radius, v = _nearest_oval(xs, ys, eyes, frame, params.zone)
    weight = clamp((1.0 - radius) / 0.25, 0.0, 1.0) * face[y0:y1, x0:x1]
    gain = 1.0 + weight * toned / max(skin_light, 20.0)
    region = canvas[y0:y1, x0:x1]
    # Only the eye itself goes nearly black; the socket and the face's side keep a shadow tone
    # (a dark photo shadow there read as a smudge; at 0.55 of the skin still a grey patch beside a
    # lamp-lit eye: 0.7 kept bench/look's rank-1, 0.8 cost one face in the room and two overall).
    floor = 0.15 + 0.55 * clamp((radius - 0.3) / 0.3, 0.0, 1.0)
    # Under the lower lid an anime face has no bags: a dark socket or a hair's shadow there was a
    # grey smudge, a bruise (bench/look: rank-1 63% -> 66%, the room's 90% kept; 0.92 cost 3%).
    if params.under_lid > 0.0:
        floor = np.maximum(floor, params.under_lid * clamp((v - 0.3) / 0.15, 0.0, 1.0))
    shade = clamp(np.maximum(gain, floor), 0.15, 1.04)
    _shade_warmly(region, shade, params.shadow_warmth)
    above = clamp((-v - 0.12 - 0.1) / 0.06, 0.0, 1.0)  # above the upper lid (v is shifted 0.1 up)
    brow = clamp((-relative - params.brow_threshold) / 4.0, 0.0, 1.0) * above * weight
    rows, cols = np.nonzero(brow.any(axis=1))[0], np.nonzero(brow.any(axis=0))[0]
    if len(rows):  # only the brows' box is blended
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        region[box] = mix(region[box], params.brow_ink * brow[box], brow_colour)
    for eye in eyes:
        if eye.openness >= 0.2:
            _colour_opening(region, relative, gain, eye, (x0, y0), xs, ys, unit, params)


def _shade_warmly(region: np.ndarray, shade: np.ndarray, strength: float) -> None:
    """`region` (drawn skin, float32 BGR, in place) times `shade`, its darkening warm in proportion
    to how warm the drawn skin is (a grey camera's grey face keeps grey shadows) and `strength`."""
    mean = cv2.mean(region)  # on the view: numpy's reshape copied it first (0.4 ms)
    # Red over blue: 40 is a warm skin.
    warmth = strength * float(clamp((mean[2] - mean[0]) / 40.0, 0.0, 1.0))
    if warmth <= 0.0:
        scale(region, shade)
        return
    dark, lit = np.minimum(shade, 1.0), np.maximum(shade, 1.0)
    gains = [np.power(dark, np.float32(1.0 + warmth * (e - 1.0))) * lit for e in _WARM_SHADOW]
    cv2.multiply(region, cv2.merge(gains), dst=region)


def _nearest_oval(
    xs: np.ndarray, ys: np.ndarray, eyes: list[EyeShape], frame: FaceFrame, zone: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """(radius in the nearest eye's zone oval, 1 at its edge; that eye's down coordinate v)."""
    best_r: np.ndarray | None = None
    best_v = np.zeros_like(xs)
    for eye in eyes:
        rx = (xs - np.float32(eye.centre[0])) / np.float32(frame.eye_unit)
        ry = (ys - np.float32(eye.centre[1] - 0.1 * frame.eye_unit)) / np.float32(frame.eye_unit)
        u = rx * np.float32(frame.across[0]) + ry * np.float32(frame.across[1])
        v = rx * np.float32(frame.down[0]) + ry * np.float32(frame.down[1])
        r = np.sqrt((u / np.float32(zone[0])) ** 2 + (v / np.float32(zone[1])) ** 2)
        if best_r is None:
            best_r, best_v = r, v
        else:
            closer = r < best_r
            best_r, best_v = np.where(closer, r, best_r), np.where(closer, v, best_v)
    assert best_r is not None
    return best_r, best_v


def _colour_opening(
    region: np.ndarray, relative: np.ndarray, gain: np.ndarray, eye: EyeShape, origin: tuple[int, int],
    xs: np.ndarray, ys: np.ndarray, unit: float, params: EyeParams,
) -> None:  # fmt: skip
    """Inside one eye's opening (in place, on its own small box of the toned window): the iris
    tinted with the person's hue, the white of the eye lifted to white."""
    h, w = relative.shape
    half = 0.5 * eye.width
    bx0 = int(np.clip(eye.centre[0] - half - origin[0] - 1, 0, w))
    bx1 = int(np.clip(eye.centre[0] + half - origin[0] + 2, 0, w))
    by0 = int(np.clip(eye.centre[1] - 0.35 * unit - origin[1], 0, h))
    by1 = int(np.clip(eye.centre[1] + 0.2 * unit - origin[1], 0, h))
    if bx1 <= bx0 or by1 <= by0:
        return
    box = (slice(by0, by1), slice(bx0, bx1))
    bxs, bys, rel, sub = xs[box], ys[box], relative[box], region[box]
    t = (bxs - np.float32(eye.centre[0])) / np.float32(half)
    lid_row = upper_lid_row(eye, t, unit, params)
    bottom = lower_lid_row(eye, t, unit, params)
    opening = clamp(np.minimum(bys - 0.5 - lid_row, bottom - bys + 0.5) * 0.7, 0.0, 1.0) * (np.abs(t) < 1.0)
    vivid = _vivid(eye.iris_bgr)
    dark = clamp(-rel / 30.0, 0.0, 1.0)
    tint = opening * dark * params.iris_colour
    iris = plane(vivid, sub.shape)
    scale(iris, clamp(gain[box], 0.2, 1.0))
    sub[...] = mix(sub, tint, iris)
    # Only what is nearly as light as the skin is the white of the eye: a blurred or shadowed eye
    # would otherwise glow. Below the real eye (the drawn opening is taller) that is the skin.
    sclera = opening * clamp((rel + 14.0) / 8.0, 0.0, 1.0) * params.sclera
    sub[...] = mix(sub, sclera, np.float32([250, 248, 246]))
    if params.iris_drawn > 0.0:
        _draw_iris(sub, opening, eye, (bxs, bys), unit, params, vivid)


def upper_lid_row(eye: EyeShape, t: np.ndarray | float, unit: float, params: EyeParams) -> np.ndarray:
    """The drawn upper lid at positions t (-1..1 across the eye): the measured lid, its middle
    raised by a share of `params.taller` (anime eyes are tall and round), shut with the eye."""
    arch = 0.4 * params.taller * _wide_open(eye) * unit * np.sqrt(clamp(1 - t * t, 0, 1))
    a, b, c = eye.lid
    # The lids meet at the corners: a fitted lid ending far above one (a steep fit on a blurred
    # eye) left the opening cut off square there, a box of white. Such an end is bent down to it.
    top = eye.centre[1] - _CORNER_GAP * unit
    left, right = max(top - (a - b + c), 0.0), max(top - (a + b + c), 0.0)  # t = -1, t = 1
    bend = t * t * (left * (1 - t) + right * (1 + t)) / 2
    return (a * t + b) * t + c - arch + bend


def lower_lid_row(eye: EyeShape, t: np.ndarray, unit: float, params: EyeParams) -> np.ndarray:
    """The drawn opening's lower edge at positions t: the real one's, lowered by the rest of
    `params.taller`, shut with the eye. (Hung from the measured lid instead of the landmark, it
    moved more under noise: bench/look.py's eye jitter 0.36 -> 0.40 px at 128 px.)"""
    depth = 0.05 + 0.06 * eye.openness + 0.6 * params.taller * _wide_open(eye)
    return eye.centre[1] + depth * unit * np.sqrt(clamp(1 - t * t, 0, 1))


def _wide_open(eye: EyeShape) -> float:
    """0..1, how much of the drawn eye's extra height it gets: all of it from half open (a smile
    narrows the eyes; and an open eye's measuring noise then moves nothing), none nearly shut, so
    a blink still reads as one."""
    return float(clamp((eye.openness - 0.2) / 0.3, 0.0, 1.0))


def iris_oval(eye: EyeShape, unit: float, params: EyeParams) -> tuple[float, float, float, float]:
    """(centre x, centre y, half width, half height) of the drawn iris: where the person looks
    across (the measured dark mass, which stays put when landmark noise moves the eye's centre),
    hanging from the drawn upper lid (its top quarter under the lid, as anime draws it)."""
    cx = float(eye.centre[0] + eye.gaze[0] * 0.5 * eye.width)
    rx = params.iris_size * unit
    ry = 1.2 * rx
    top = float(upper_lid_row(eye, (cx - eye.centre[0]) / (0.5 * eye.width), unit, params))
    return cx, top + 0.75 * ry, rx, ry


def _draw_iris(
    sub: np.ndarray, opening: np.ndarray, eye: EyeShape, pixels: tuple[np.ndarray, np.ndarray],
    unit: float, params: EyeParams, vivid: np.ndarray,
) -> None:  # fmt: skip
    """An anime iris over the toned eye (in place): a tall oval hanging from the upper lid where
    the person looks, dark under the lid and bright below, a pupil, a dark rim; cut by the lids."""
    cx, cy, rx, ry = iris_oval(eye, unit, params)
    xs, ys = pixels
    u = (xs - np.float32(cx)) / np.float32(rx)
    v = (ys - np.float32(cy)) / np.float32(ry)
    r = np.sqrt(u * u + v * v)
    edge = np.float32(0.8 * rx)  # about one pixel of soft edge
    inside = clamp((1.0 - r) * edge + 0.5, 0.0, 1.0) * opening
    colour = plane(vivid, sub.shape)
    # Dark at the top (the lid's shadow), light in a crescent low in the iris.
    scale(colour, clamp(0.3 + 0.9 * (v + 0.6), 0.3, 1.25))
    pupil = clamp((0.45 - np.sqrt(u * u + 0.8 * v * v)) * edge + 0.5, 0.0, 1.0)
    rim = clamp((r - 0.8) * edge + 0.5, 0.0, 1.0)
    colour = mix(colour, np.maximum(pupil, rim) * np.float32(0.85), vivid * np.float32(0.2))
    sub[...] = mix(sub, inside * np.float32(params.iris_drawn), colour)


def draw_eyes(
    canvas: np.ndarray, eyes: list[EyeShape], frame: FaceFrame, params: EyeParams, ink: np.ndarray
) -> None:
    """The drawn part of the eyes (in place): lash lines along the measured lids with a flick at
    the outer corner, catch lights; a closed eye gets one lash line curving down. One fill for all
    the ink and one for all the lights (each fill has a fixed cost)."""
    strokes, lights = [], []
    for eye in eyes:
        _eye_shapes(eye, frame, params, strokes, lights)
    paint(canvas, strokes, ink)
    if lights:
        paint(canvas, lights, np.float32([255, 255, 255]), 0.95)


def _eye_shapes(
    eye: EyeShape, frame: FaceFrame, params: EyeParams, strokes: list[np.ndarray], lights: list[np.ndarray]
) -> None:
    unit = frame.eye_unit
    half_w = 0.5 * eye.width * params.lash_length
    t = np.linspace(-1.0, 1.0, 17)
    lid_w = params.lid_width * unit / 64.0
    xs = eye.centre[0] + t * half_w
    tt = t * params.lash_length
    lid = upper_lid_row(eye, tt, unit, params)
    if eye.openness < 0.2:
        curve = np.column_stack([xs, eye.centre[1] + 0.04 * unit * (1 - t * t)])
        strokes.append(stroke_outline(curve, lid_w * (0.35 + 0.65 * np.sqrt(clamp(1 - t * t, 0, 1))) + 0.6))
        return
    # Thick in the middle and at the outer corner, thin at the inner one.
    outer = clamp(t * eye.outer_side, 0, 1)
    lash = lid_w * (0.35 + 0.5 * np.sqrt(clamp(1 - t * t, 0, 1)) + 0.6 * outer)
    strokes.append(stroke_outline(np.column_stack([xs, lid + params.lash_drop * lash]), lash))
    end = 0 if eye.outer_side < 0 else -1
    f = np.linspace(0.0, 1.0, 6)
    flick = np.column_stack(
        [
            xs[end] + eye.outer_side * f * 0.22 * half_w,
            lid[end] + (params.lash_drop - 0.1) * lash[end] - f * 0.1 * unit,
        ]
    )
    strokes.append(stroke_outline(flick, lash[end] * (1.0 - 0.85 * f)))
    if params.lower_lid:
        low = t * eye.outer_side > 0.3
        bottom = lower_lid_row(eye, t, unit, params)
        points = np.column_stack([xs[low], bottom[low] + 0.5])
        strokes.append(stroke_outline(points, np.full(low.sum(), 0.3 * lid_w + 0.3)))
    cx, cy, rx, ry = iris_oval(eye, unit, params)
    # Catch lights on the iris: a big one up and outward under the lid, a small one low and inward.
    spots = [
        (0.4 * eye.outer_side, -0.3, 0.36),
        (-0.4 * eye.outer_side, 0.35, 0.17),
        (0.05 * eye.outer_side, 0.6, 0.13),
    ]
    for lx, ly, lr in spots[: params.catch_lights]:
        c = (cx + lx * rx, cy + ly * ry)
        below = float(lower_lid_row(eye, (c[0] - eye.centre[0]) / (0.5 * eye.width), unit, params))
        if c[1] + lr * rx > below:
            continue  # below a narrow eye's lower lid it would be a white dot on the skin
        disc = cv2.ellipse2Poly(
            (int(c[0] * 16), int(c[1] * 16)), (int(lr * rx * 16), int(lr * rx * 18)), 0, 0, 360, 30
        )
        lights.append(disc / 16.0)
