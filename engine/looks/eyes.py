"""Anime eyes drawn from this person's eyes: measured in the crop (centre, width, tilt, openness,
gaze, iris colour), then drawn bigger with a thick upper lash line, a tall glossy iris and catch
lights. An eye measured closed is drawn as a closed lid, half open as a lowered lid over the iris.

Measurements are soft (darkness-weighted sums, no hard thresholds), so a still face gives still
numbers and small sensor noise moves the drawing by a fraction of a pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .ink import paint, stroke
from .params import EyeParams
from .regions import FaceFrame

OPEN_HEIGHT = 0.15  # an open eye's dark band (lashes, iris) in face units, as measured
CLOSED_HEIGHT = 0.085  # what a closed eye's lash line and lid crease measure
DRAWN_HEIGHT = 0.17  # an open eye's drawn height before the look's scale


@dataclass(frozen=True)
class EyeShape:
    centre: np.ndarray  # (2,) crop pixels
    width: float  # pixels
    openness: float  # 0 closed .. 1 open
    gaze: np.ndarray  # (2,) iris offset from the centre, as a fraction of the half width / height
    tilt: float  # radians; positive = outer corner higher
    iris_bgr: np.ndarray  # (3,) float32
    outer_side: float  # -1 when the outer corner is at smaller x (the subject's right eye)


def _darkness(patch: np.ndarray) -> np.ndarray:
    """0..1 how much darker than the surrounding skin a pixel is (the eye's lashes, iris, pupil)."""
    bright = float(np.percentile(patch, 80))
    dark = float(np.percentile(patch, 3))
    return np.clip((bright - patch) / max(bright - dark, 10.0) * 1.4 - 0.25, 0.0, 1.0)


def measure_eye(light: np.ndarray, bgr: np.ndarray, frame: FaceFrame, index: int) -> EyeShape:
    """The shape of eye `index` (0 = right eye, image left) in a full-resolution crop."""
    centre = frame.landmarks[index]
    unit = frame.unit
    hw, hh = int(0.3 * unit) + 1, int(0.2 * unit) + 1
    cx, cy = round(centre[0]), round(centre[1])
    y0, x0 = max(cy - hh, 0), max(cx - hw, 0)
    patch = light[y0 : cy + hh + 1, x0 : cx + hw + 1]
    outer_side = -1.0 if index == 0 else 1.0
    if patch.size < 16:
        return EyeShape(centre, 0.5 * unit, 1.0, np.zeros(2), 0.0, np.float32([60, 50, 40]), outer_side)
    dark = _darkness(patch)
    ys, xs = np.mgrid[0 : patch.shape[0], 0 : patch.shape[1]].astype(np.float32)
    weight = dark**3 + 1e-6
    total = float(weight.sum())
    iris_x, iris_y = float((weight * xs).sum() / total), float((weight * ys).sum() / total)
    # Openness: the dark band's height in the columns through the iris (soft row count).
    band = (np.abs(xs - iris_x) < 0.1 * unit).astype(np.float32)
    columns = max(float(band[0].sum()), 1.0)
    height = float((dark * band).sum()) / columns / unit
    openness = float(np.clip((height - CLOSED_HEIGHT) / (OPEN_HEIGHT - CLOSED_HEIGHT), 0.0, 1.0))
    # Tilt: the dark mass's slope across the eye (outer corner up is positive).
    column_mass = dark.sum(axis=0) + 1e-6
    column_y = (dark * ys).sum(axis=0) / column_mass
    cols = np.arange(patch.shape[1], dtype=np.float32)
    w = column_mass / column_mass.max()
    slope = float(np.polyfit(cols, column_y, 1, w=w)[0]) if patch.shape[1] > 3 else 0.0
    tilt = float(np.clip(-slope * outer_side, -0.25, 0.35))
    # Width: the spread of the dark mass across, about 4 standard deviations.
    spread = float(np.sqrt((w * (cols - iris_x) ** 2).sum() / w.sum()))
    width = float(np.clip(3.6 * spread, 0.42 * unit, 0.62 * unit))
    iris_pixels = bgr[y0 : cy + hh + 1, x0 : cx + hw + 1][dark > 0.55]
    iris = (
        np.median(iris_pixels, axis=0).astype(np.float32)
        if len(iris_pixels) >= 4
        else np.float32([60, 50, 40])
    )
    gaze = np.array(
        [(x0 + iris_x - centre[0]) / (0.5 * width), (y0 + iris_y - centre[1]) / (0.5 * OPEN_HEIGHT * unit)]
    )
    return EyeShape(centre, width, openness, np.clip(gaze, -0.8, 0.8), tilt, iris, outer_side)


def _vivid_iris(iris_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dark top, light bottom) iris colours: the person's hue, saturated as anime irises are."""
    lab = cv2.cvtColor(np.clip(iris_bgr, 0, 255).astype(np.uint8).reshape(1, 1, 3), cv2.COLOR_BGR2Lab)
    lab = lab.astype(np.float32).reshape(3)
    chroma = lab[1:] - 128.0
    chroma = chroma * 2.2 + np.sign(chroma) * 4.0
    light = np.array([lab[0] * 0.35 + 35.0, lab[0] * 0.6 + 95.0])
    out = []
    for value in light:
        pixel = np.concatenate([[min(value, 200.0)], chroma + 128.0]).reshape(1, 1, 3)
        out.append(
            cv2.cvtColor(np.clip(pixel, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR)
            .reshape(3)
            .astype(np.float32)
        )
    return out[0], out[1]


def draw_eye(
    canvas: np.ndarray,
    photo_light: np.ndarray,
    eye: EyeShape,
    frame: FaceFrame,
    params: EyeParams,
    ink: np.ndarray,
) -> None:
    """Draws one anime eye into a float32 BGR full-resolution canvas, in place."""
    unit = frame.unit
    half_w = 0.5 * eye.width * params.scale[0]
    full_h = DRAWN_HEIGHT * unit * params.scale[1]
    openness = eye.openness
    across = frame.across * np.cos(eye.tilt) + frame.down * np.sin(eye.tilt) * -eye.outer_side
    down = np.array([-across[1], across[0]])
    t = np.linspace(-1.0, 1.0, 25)
    # Local shape: x along the eye, outer corner at x = outer_side; the upper lid is a high arch
    # peaking a little towards the inner corner, the lower lid a flat curve.
    x = t * half_w
    skew = 1.0 - 0.25 * t * eye.outer_side
    upper = -full_h * (0.15 + 0.55 * openness) * np.sqrt(np.clip(1 - t * t, 0, 1)) * skew
    lower = full_h * (0.05 + 0.3 * openness) * (1 - t * t) ** 0.8
    centre = eye.centre + 0.1 * full_h * down

    def to_px(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        return centre + px[:, None] * across + py[:, None] * down

    lid_w = params.lid_width * unit / 64.0
    if openness < 0.2:
        # Closed: one lash line curving down (a sleeping or blinking anime eye) with a flick.
        curve = to_px(x * 0.9, full_h * 0.12 * (1 - t * t))
        stroke(canvas, curve, lid_w * (0.35 + 0.65 * np.sqrt(np.clip(1 - t * t, 0, 1))) + 0.6, ink)
        return
    eye_poly = np.vstack([to_px(x, upper), to_px(x[::-1], lower[::-1])])
    paint(canvas, [eye_poly], np.float32([252, 248, 246]))
    # Iris: tall ellipse, clipped by the lids, dark at the top, the person's colour below.
    iris_rx = params.iris_width * half_w
    iris_ry = 0.62 * full_h
    gx = np.clip(eye.gaze[0], -0.6, 0.6) * (half_w - iris_rx)
    iris_c = centre + gx * across + (0.08 * full_h) * down
    box = np.vstack([eye_poly, iris_c - iris_ry - 2, iris_c + iris_ry + 2])
    x0, y0 = np.maximum(np.floor(box.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(box.max(axis=0)).astype(int) + 1, canvas.shape[1])
    if x1 <= x0 + 1 or y1 <= y0 + 1:
        return
    clip = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(clip, [np.round((eye_poly - (x0, y0)) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    rel_x, rel_y = xs + 0.5 - iris_c[0], ys + 0.5 - iris_c[1]
    u, v = rel_x * across[0] + rel_y * across[1], rel_x * down[0] + rel_y * down[1]
    r = np.sqrt((u / iris_rx) ** 2 + (v / iris_ry) ** 2)
    inside = np.clip((1.0 - r) * iris_rx, 0.0, 1.0) * (clip / 255.0)
    top, bottom = _vivid_iris(eye.iris_bgr)
    mix = np.clip(0.5 + v / (1.6 * iris_ry), 0.0, 1.0)[..., None]
    colour = top + mix * (bottom - top)
    pupil = np.clip(
        (0.5 - np.sqrt((u / (0.5 * iris_rx)) ** 2 + (v / (0.55 * iris_ry)) ** 2)) * iris_rx, 0.0, 1.0
    )
    colour = colour * (1.0 - 0.55 * pupil[..., None])
    if params.photo > 0:
        # The photo's own iris texture shows through a little (SFace keys on it).
        detail = photo_light[y0:y1, x0:x1] - cv2.GaussianBlur(photo_light[y0:y1, x0:x1], (0, 0), 2.0)
        colour = colour * (1.0 + params.photo * np.clip(detail, -25, 25)[..., None] / 25.0)
    rim = np.clip((r - 0.82) * 6.0, 0.0, 1.0)[..., None] * 0.6  # a darker ring at the iris edge
    colour = colour * (1.0 - rim)
    region = canvas[y0:y1, x0:x1]
    region += inside[..., None] * (colour - region)
    # Catch lights: a big one up and outward, a small one low and inward (mirrored between eyes).
    lights = [(0.45 * eye.outer_side, -0.42, 0.32), (-0.4 * eye.outer_side, 0.38, 0.14), (0.0, -0.05, 0.1)]
    for lx, ly, lr in lights[: params.catch_lights]:
        c = iris_c + lx * iris_rx * across + ly * iris_ry * down
        disc = cv2.ellipse2Poly(
            (int(c[0] * 16), int(c[1] * 16)),
            (int(lr * iris_rx * 16), int(lr * iris_rx * 16 * 1.15)),
            0,
            0,
            360,
            20,
        )
        paint(canvas, [disc / 16.0], np.float32([255, 255, 255]), 0.95)
    # Upper lash line: thick in the middle and at the outer corner, with a flick past it.
    lash = lid_w * (0.4 + 0.6 * np.sqrt(np.clip(1 - t * t, 0, 1)) + 0.5 * np.clip(t * eye.outer_side, 0, 1))
    stroke(canvas, to_px(x, upper - 0.3 * lash), lash, ink)
    flick_t = np.linspace(0.0, 1.0, 6)
    flick = to_px(
        eye.outer_side * (half_w + flick_t * 0.18 * half_w),
        upper[-1 if eye.outer_side > 0 else 0] - flick_t * 0.22 * full_h,
    )
    stroke(canvas, flick, lid_w * (1.1 - 0.9 * flick_t), ink)
    if params.lower_lid:
        outer = t * eye.outer_side > 0.2
        stroke(
            canvas, to_px(x[outer], lower[outer] + 0.6), np.full(outer.sum(), 0.45 * lid_w + 0.5), ink, 0.8
        )
