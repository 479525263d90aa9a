"""Glasses' rims found in the crop's ink: searched for around the eye points, mirrored when one
rim inks only in part."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from animecam.engine.looks.face_frame import FaceFrame
from animecam.engine.looks.glasses import glasses_frames

SIZE = 256
EYES = np.array([[96.0, 130.0], [160.0, 130.0]])
LANDMARKS = np.vstack([EYES, [[128.0, 165.0], [104.0, 195.0], [152.0, 195.0]]])


def _ink(skip_outer_half_of_left_rim: bool = False) -> np.ndarray:
    ink = np.zeros((SIZE, SIZE), np.uint8)
    for index, (x, y) in enumerate(EYES.astype(int)):
        if index == 1 and skip_outer_half_of_left_rim:
            cv2.ellipse(ink, (x, y), (24, 18), 0, 90, 270, 255, 2)  # only its inner half inks
        else:
            cv2.ellipse(ink, (x, y), (24, 18), 0, 0, 360, 255, 2)
    cv2.line(ink, (120, 128), (136, 128), 255, 2)  # the bridge
    cv2.line(ink, (60, 100), (60, 170), 255, 2)  # the hair's edge beside one rim
    return ink.astype(np.float32) / 255.0


def _centres(rims: list[np.ndarray] | None) -> np.ndarray:
    assert rims is not None
    return np.array([rim.mean(axis=0) for rim in rims])


def test_rims_are_found_around_eye_points_that_slid_off_them() -> None:
    slid = LANDMARKS.copy()
    slid[:2] += [[8.0, 9.0], [-8.0, 9.0]]  # towards the bridge and onto the lower rims
    for points in (LANDMARKS, slid):
        assert np.abs(_centres(glasses_frames(_ink(), FaceFrame.from_landmarks(points))) - EYES).max() < 3.0


def test_a_rim_that_inks_only_in_part_is_the_mirror_of_the_other() -> None:
    rims = glasses_frames(_ink(skip_outer_half_of_left_rim=True), FaceFrame.from_landmarks(LANDMARKS))
    assert np.abs(_centres(rims) - EYES).max() < 3.0
    widths = [np.ptp(rim[:, 0]) for rim in rims or []]
    assert abs(widths[0] - widths[1]) < 4.0


def test_no_rims_without_a_bridge_or_without_rings() -> None:
    frame = FaceFrame.from_landmarks(LANDMARKS)
    no_bridge = _ink()
    no_bridge[120:136, 120:136] = 0.0
    assert glasses_frames(no_bridge, frame) is None
    brows_only = np.zeros((SIZE, SIZE), np.float32)
    for x, y in EYES.astype(int):
        cv2.line(brows_only, (x - 24, y - 24), (x + 24, y - 24), 1.0, 3)  # brows: no ring
    cv2.line(brows_only, (120, 128), (136, 128), 1.0, 2)
    assert glasses_frames(brows_only, frame) is None


def test_a_rim_seen_in_the_dark_lines_is_taken_where_it_is_not_mirrored() -> None:
    """A mirror image is a guess about the face's middle (from the eye points, which slide behind
    thick rims): where the rims' own darkness shows the partly inked one, it is taken there."""
    light = np.full((SIZE, SIZE), 70.0, np.float32)
    for x, y in EYES.astype(int):
        cv2.ellipse(light, (x, y), (24, 18), 0, 0, 360, 15.0, 3)  # both rims dark and thin
    points = LANDMARKS.copy()
    points[:2, 0] += 5.0  # both eye points off to one side: the face's middle with them
    frame = FaceFrame.from_landmarks(points)
    ink = _ink(skip_outer_half_of_left_rim=True)
    guessed = _centres(glasses_frames(ink, frame))
    seen = _centres(glasses_frames(ink, frame, light))
    assert np.abs(seen - EYES).max() < 2.0 < np.abs(guessed - EYES).max()


def _faint_rims(bridge: bool) -> np.ndarray:
    """A face's lightness with light plastic rims: 12 L units darker than the skin, too faint for
    the ink or the thin dark lines (Grace Hopper's), with or without their bridge."""
    light = np.full((SIZE, SIZE), 70.0, np.float32)
    for x, y in EYES.astype(int):
        cv2.ellipse(light, (x, y), (24, 18), 0, 0, 360, 58.0, 2)
        cv2.line(light, (x - 8, y), (x + 8, y), 40.0, 3)  # the eye itself, darker than its rim
    if bridge:
        cv2.line(light, (118, 126), (138, 126), 58.0, 2)
    return light


def test_light_rims_too_faint_to_ink_are_found_when_they_ring_both_eyes_and_cross_the_bridge() -> None:
    frame = FaceFrame.from_landmarks(LANDMARKS)
    no_ink = np.zeros((SIZE, SIZE), np.float32)
    rims = glasses_frames(no_ink, frame, _faint_rims(bridge=True))
    assert np.abs(_centres(rims) - EYES).max() < 3.0
    # Wrinkles and lashes ring an eye too, but do not cross the bridge of the nose.
    assert glasses_frames(no_ink, frame, _faint_rims(bridge=False)) is None
    one_rim = _faint_rims(bridge=True)
    x, y = EYES[1].astype(int)
    one_rim[y - 30 : y + 30, x - 30 : x + 30] = 70.0  # the other eye has none: no glasses
    assert glasses_frames(no_ink, frame, one_rim) is None


def _dim_room(light: np.ndarray, seed: int) -> np.ndarray:
    """`light` (L) as a dim room's camera gives it (30% light, sensor noise, JPEG), lifted 2.5x as
    the scene lifts a dim frame and its faces."""
    rng = np.random.default_rng(seed)
    dim = np.clip(light * 2.55 * 0.3 + rng.normal(0.0, 4.0, light.shape), 0, 255).astype(np.uint8)
    jpeg = cv2.imdecode(cv2.imencode(".jpg", dim, [cv2.IMWRITE_JPEG_QUALITY, 85])[1], cv2.IMREAD_GRAYSCALE)
    return jpeg.astype(np.float32) * np.float32(2.5 / 2.55)


def test_a_dim_rooms_lifted_noise_is_no_light_rims_but_lifted_rims_still_are() -> None:
    """Lifted with a dim room, sensor noise's dark specks ringed both eyes and crossed the bridge:
    glasses were drawn on Obama and Biden in dim copies, and on a bare noisy skin. Faint rims are
    now looked for on the lightness blurred a little, where a rim, a line, keeps its darkness."""
    frame = FaceFrame.from_landmarks(LANDMARKS)
    no_ink = np.zeros((SIZE, SIZE), np.float32)
    for seed in range(3):
        assert glasses_frames(no_ink, frame, _dim_room(np.full((SIZE, SIZE), 70.0, np.float32), seed)) is None
        rims = glasses_frames(no_ink, frame, _dim_room(_faint_rims(bridge=True), seed))
        assert np.abs(_centres(rims) - EYES).max() < 3.0


def test_glasses_missed_in_one_drawing_stay_drawn_and_a_one_off_find_is_not_drawn() -> None:
    """In a dim noisy room one drawing in about 30 missed a man's thin rims, and his glasses
    vanished for as long as that drawing was carried. A person's memory keeps the glasses through
    a miss (the last rims found, moved with the face) until most recent drawings miss them; a
    single find on a face without glasses draws none."""
    from animecam.engine.looks.palette import steadied_glasses

    frame = FaceFrame.from_landmarks(LANDMARKS)
    rims = glasses_frames(_ink(), frame)
    assert rims is not None
    drawn, memory = steadied_glasses(rims, frame, None)
    assert drawn is rims
    moved = FaceFrame.from_landmarks(LANDMARKS + np.array([5.0, -3.0]))  # the face 5 px right, 3 up
    drawn, memory = steadied_glasses(None, moved, memory)  # a miss
    assert drawn is not None
    assert np.allclose(_centres(drawn), _centres(rims) + np.array([5.0, -3.0]), atol=1e-6)
    drawn, memory = steadied_glasses(None, moved, memory)  # a second miss in a row: taken off
    assert drawn is None
    bare, memory = steadied_glasses(None, frame, None)
    once, memory = steadied_glasses(rims, frame, memory)  # a one-off find on a bare face
    assert bare is None and once is None


def test_the_look_keeps_a_persons_glasses_through_a_missed_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the look's memory: the second drawing's rims are not found, its glasses are drawn."""
    from animecam.engine.looks import procedural_style
    from animecam.engine.looks import style as look_style

    found = iter([glasses_frames(_ink(), FaceFrame.from_landmarks(LANDMARKS)), None])
    monkeypatch.setattr(look_style, "glasses_frames", lambda *a: next(found))
    drawn: list[object] = []
    monkeypatch.setattr(look_style, "draw_glasses", lambda canvas, rims, *a: drawn.append(rims))
    style, memory = procedural_style("anime", SIZE), {}
    crop = np.full((SIZE, SIZE, 3), 160, np.uint8)
    for _ in range(2):
        style.stylize(crop[None], LANDMARKS[None], memories=[memory])
    assert len(drawn) == 2
