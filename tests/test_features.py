"""Drawn features on turned heads: they follow the turn and stay on the face."""

from __future__ import annotations

import cv2
import numpy as np
from astronaut_face import astronaut_crop, astronaut_photo

from animecam.engine.looks import procedural_style
from animecam.engine.looks.face_frame import FaceFrame
from animecam.engine.looks.features import draw_blush, draw_mouth, measure_mouth
from animecam.engine.looks.regions import light_plane, skin_lightness

SIZE = 128
FRONTAL = np.array([[50.0, 60.0], [78.0, 60.0], [64.0, 76.0], [53.0, 90.0], [75.0, 90.0]])
# Three quarters to the image right: the eyes close together, nose and mouth towards the right.
TURNED = np.array([[62.0, 60.0], [78.0, 60.0], [82.0, 76.0], [66.0, 90.0], [80.0, 90.0]])


def _blush(landmarks: np.ndarray, face: np.ndarray) -> np.ndarray:
    """Where a blush was drawn (bool, SIZE x SIZE) on a grey canvas."""
    params = procedural_style("anime", SIZE).params
    canvas = np.full((SIZE, SIZE, 3), 128.0, np.float32)
    draw_blush(canvas, FaceFrame.from_landmarks(landmarks), params, np.float32([40, 30, 30]), face)
    return np.abs(canvas - 128.0).max(axis=2) > 2


def test_a_blush_off_the_visible_face_is_not_drawn() -> None:
    """A profile's far cheek is background (the cameraman's was a pink oval on his camera)."""
    everywhere = np.ones((SIZE, SIZE), np.float32)
    near_side = everywhere.copy()
    near_side[:, 78:] = 0.0  # a profile: the face ends before its nose tip
    frontal = _blush(FRONTAL, everywhere)
    assert frontal[:, :64].sum() > 20 and frontal[:, 64:].sum() > 20
    turned = _blush(TURNED, near_side)
    assert turned[:, :78].sum() > 20 and turned[:, 78:].sum() == 0


def test_the_far_cheeks_blush_is_foreshortened() -> None:
    everywhere = np.ones((SIZE, SIZE), np.float32)
    frame = FaceFrame.from_landmarks(TURNED)
    assert frame.yaw > 0.2
    drawn = _blush(TURNED, everywhere)
    middle = int(frame.to_pixels(frame.turned(np.array([[0.0, 0.62]])))[0, 0])
    near, far = drawn[:, :middle].any(axis=0).sum(), drawn[:, middle:].any(axis=0).sum()
    assert far < 0.85 * near


def test_an_open_smile_is_drawn_with_its_top_curving_up() -> None:
    """Open, the measured smile is the teeth's or the upper lip's edge (the astronaut's broad smile
    measured -0.1): its top was drawn arched like a shout. It curves up at the corners now."""
    crop, marks = astronaut_crop(astronaut_photo(), 256)
    frame, light = FaceFrame.from_landmarks(marks), light_plane(crop)
    opening, _, smile = measure_mouth(light, crop, frame, skin_lightness(light, frame))
    assert opening > 0.15 and smile < 0  # the case: open, and a "smile" that would arch the top
    params = procedural_style("anime", 256).params
    canvas = np.full((256, 256, 3), 128.0, np.float32)
    draw_mouth(canvas, light, crop, frame, params, skin_lightness(light, frame), np.float32([40, 30, 30]))
    drawn = np.abs(canvas - 128.0).max(axis=2) > 2
    left, right = marks[3], marks[4]

    def top(x: float) -> int:
        return int(np.argmax(drawn[:, round(x)]))

    middle = (left[0] + right[0]) / 2
    near_corners = [top(middle + k * 0.35 * (right[0] - left[0])) for k in (-1, 1)]
    # Its middle lies below the chord between its top near the two corners (the mouth slants).
    assert top(middle) > sum(near_corners) / 2 + 0.5


def _painted_mouth(kind: str) -> tuple[np.ndarray, np.ndarray, FaceFrame]:
    """The astronaut with her mouth painted over: closed red lips, parted ones ("talking"), or a
    laugh whose teeth are no lighter than her cheeks (warm light), between a red upper lip and a
    thin dark gap."""
    crop, marks = astronaut_crop(astronaut_photo(), 256)
    frame = FaceFrame.from_landmarks(marks)
    unit, mid = frame.unit, marks[3:].mean(axis=0)
    half = 0.5 * float(np.linalg.norm(marks[4] - marks[3]))
    cx, cy = int(mid[0]), int(mid[1])
    patch = crop[int(cy - 0.25 * unit) : int(cy - 0.2 * unit), int(cx - 0.6 * unit) : int(cx - 0.45 * unit)]
    cheek = np.median(patch.reshape(-1, 3), axis=0)
    out = crop.copy()
    cv2.ellipse(out, (cx, cy), (int(1.3 * half), int(0.3 * unit)), 0, 0, 360, cheek.tolist(), -1)
    lip = (70, 60, 170)
    if kind == "lit philtrum":  # closed lips under a lit upper lip and the nose's shadow above it
        nose_y = cy - int(0.22 * unit)
        nose = (cx - int(0.1 * unit), nose_y - 3), (cx + int(0.1 * unit), nose_y + 3)
        cv2.rectangle(out, *nose, (30, 40, 80), -1)
        lit = np.clip(cheek * 1.25, 0, 255).tolist()  # lighter than the cheeks, as teeth would be
        cv2.ellipse(out, (cx, cy - int(0.05 * unit)), (int(0.6 * half), int(0.08 * unit)), 0, 0, 360, lit, -1)
        cv2.ellipse(out, (cx, cy + int(0.06 * unit)), (int(0.9 * half), int(0.04 * unit)), 0, 0, 360, lip, -1)
    elif kind == "closed":
        for dy, rx, ry in ((-0.04, 1.0, 0.05), (0.05, 0.9, 0.06)):
            cv2.ellipse(out, (cx, cy + int(dy * unit)), (int(rx * half), int(ry * unit)), 0, 0, 360, lip, -1)
    elif kind == "talking":  # parted red lips around the mouth's dark red inside
        cv2.ellipse(out, (cx, cy + int(0.03 * unit)), (int(0.9 * half), int(0.12 * unit)), 0, 0, 360, lip, -1)
        inside = (int(0.7 * half), int(0.06 * unit))
        cv2.ellipse(out, (cx, cy + int(0.03 * unit)), inside, 0, 0, 360, (30, 25, 70), -1)
    else:
        teeth = (cheek * 0.35 + cheek.mean() * 0.65).tolist()  # the cheeks' lightness, less colour
        cv2.ellipse(out, (cx, cy + int(0.08 * unit)), (int(half), int(0.14 * unit)), 0, 0, 360, lip, -1)
        axes = (int(0.85 * half), int(0.09 * unit))
        cv2.ellipse(out, (cx, cy + int(0.06 * unit)), axes, 0, 0, 360, teeth, -1)
        gap_y = cy + int(0.14 * unit)
        cv2.line(out, (cx - int(0.7 * half), gap_y), (cx + int(0.7 * half), gap_y), (40, 30, 40), 2)
    return out, light_plane(out), frame


def test_closed_red_lips_are_a_closed_mouth() -> None:
    """Red lips are dark in lightness (lipstick, a bowed head's shade): closed, they measured open
    0.17 face units and were drawn as an open mouth."""
    crop, light, frame = _painted_mouth("closed")
    opening, _, _ = measure_mouth(light, crop, frame, skin_lightness(light, frame))
    assert opening < 0.06


def test_a_lit_upper_lip_under_the_noses_shadow_is_no_teeth() -> None:
    """Grace Hopper's closed mouth: her lit philtrum and upper lip, lighter than her cheeks and held
    between the nose's shadow and her lips, measured as teeth and she was drawn laughing."""
    crop, light, frame = _painted_mouth("lit philtrum")
    opening, _, _ = measure_mouth(light, crop, frame, skin_lightness(light, frame))
    assert opening < 0.06


def test_a_laugh_whose_teeth_are_no_lighter_than_the_cheeks_shows_teeth() -> None:
    """In warm light teeth are as light as the cheeks, only less coloured: a laugh measured no
    teeth (a dark open mouth) or, with a small gap, closed."""
    crop, light, frame = _painted_mouth("laugh")
    opening, teeth, _ = measure_mouth(light, crop, frame, skin_lightness(light, frame))
    assert opening > 0.1 and teeth > 0.5


def test_parted_red_lips_around_a_dark_inside_are_an_open_mouth() -> None:
    """Red lips are not the mouth's inside, but the dark red inside between them is: talking must
    still be drawn open."""
    crop, light, frame = _painted_mouth("talking")
    opening, _, _ = measure_mouth(light, crop, frame, skin_lightness(light, frame))
    assert opening > 0.08
