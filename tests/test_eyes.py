"""The drawn eyes' measurements: found where the eye is, and shaped as anime draws one."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from astronaut_face import ASTRONAUT_LANDMARKS, astronaut_crop, astronaut_photo, sclera_pixels

from animecam.engine.looks import procedural_style
from animecam.engine.looks import style as look_style
from animecam.engine.looks.eye_measure import (
    GAZE_SPREAD,
    OPENNESS_SPREAD,
    EyeShape,
    lowered_lids,
    measure_eye,
    together,
)
from animecam.engine.looks.eyes import _shade_warmly, tone_eye_area, upper_lid_row
from animecam.engine.looks.face_frame import FaceFrame
from animecam.engine.looks.glasses import glasses_frames
from animecam.engine.looks.params import EyeParams
from animecam.engine.looks.regions import light_plane


@pytest.mark.parametrize("size", [128, 256])
@pytest.mark.parametrize("shift", [-0.13, 0.13])
def test_an_open_eye_is_measured_open_when_its_landmark_is_off(size: int, shift: float) -> None:
    """YuNet's eye points can sit a tenth of the face off the eye (seen on the astronaut in a 720p
    frame: an open eye measured shut, drawn as a wink, because its window held only one lid)."""
    crop, marks = astronaut_crop(astronaut_photo(), size)
    unit = FaceFrame.from_landmarks(marks).eye_unit
    off = marks.copy()
    off[:2, 1] += shift * unit
    frame = FaceFrame.from_landmarks(off)
    light = light_plane(crop)
    eyes = [measure_eye(light, crop, frame, i) for i in (0, 1)]
    assert min(e.openness for e in eyes) > 0.5
    # The drawing moves towards the eye from the wrong landmark.
    for eye, truth in zip(eyes, marks[:2], strict=True):
        assert abs(eye.centre[1] - truth[1]) < 0.8 * abs(shift) * unit


def test_a_landmark_on_the_eye_leaves_the_measure_where_it_is() -> None:
    crop, marks = astronaut_crop(astronaut_photo(), 256)
    frame = FaceFrame.from_landmarks(marks)
    for i in (0, 1):
        assert np.allclose(measure_eye(light_plane(crop), crop, frame, i).centre, marks[i])


def _eye(lid: tuple[float, float, float]) -> EyeShape:
    iris = np.float32([60, 50, 40])
    return EyeShape(np.array([100.0, 100.0]), 30.0, 1.0, np.zeros(2), iris, 1.0, np.array(lid))


def test_a_face_looking_down_lowers_both_lids_and_one_looking_ahead_none() -> None:
    """Downcast eyes (seen: two women at a table looking down at their cards) measured as open: the
    lashes of the lowered lid are as tall as an open eye's dark band. Their dark mass lay low in the
    window of one eye of each face; both of that face's eyes are drawn with lowered lids, and the
    lids come down smoothly with it (no pop for a face near the bar)."""

    def looking(down: float, openness: float = 1.0) -> EyeShape:
        eye = _eye((0.0, 0.0, 94.0))
        return EyeShape(eye.centre, eye.width, openness, np.array([0.0, down]), eye.iris_bgr, 1.0, eye.lid)

    ahead = [looking(-0.8), looking(0.15)]
    assert lowered_lids(ahead) == ahead
    down = lowered_lids([looking(0.8), looking(-0.8)])
    assert [eye.openness for eye in down] == [pytest.approx(0.3), pytest.approx(0.3)]
    shut = lowered_lids([looking(0.8, openness=0.05), looking(-0.8)])
    assert shut[0].openness == pytest.approx(0.05)  # a shut eye stays shut
    caps = [lowered_lids([looking(g)])[0].openness for g in np.linspace(0.2, 0.7, 26)]
    steps = np.diff(caps)
    assert np.all(steps <= 0.0) and steps.min() > -0.1  # falling, no step


def test_both_eyes_look_the_same_way_and_open_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Measured, an eye's dark mass is pulled by its inner corner's shadow or its lashes' ends (of
    16 real faces, eight were 0.25-0.71 half widths apart): drawn as measured, the irises looked
    two ways, cross-eyed. The drawn gazes across are at most GAZE_SPREAD apart, kept where they
    were within it; the face's look (their middle) and the gazes up and down are kept."""

    def looking(across: float, down: float = 0.1) -> EyeShape:
        eye = _eye((0.0, 0.0, 94.0))
        return EyeShape(eye.centre, eye.width, 1.0, np.array([across, down]), eye.iris_bgr, 1.0, eye.lid)

    near = [looking(0.1), looking(-0.05)]
    assert together(near) == near
    crossed = together([looking(0.2, 0.3), looking(-0.5)])
    across = [float(eye.gaze[0]) for eye in crossed]
    assert across[0] - across[1] == pytest.approx(GAZE_SPREAD)
    assert np.mean(across) == pytest.approx(-0.15)
    assert [float(eye.gaze[1]) for eye in crossed] == [0.3, 0.1]
    assert together([looking(0.7)])[0].gaze[0] == 0.7  # a profile's one eye
    # They open and close together: one measured open beside a shut one is drawn nearly shut.
    shut = replace(looking(0.0), openness=0.27)
    drawn_open = [eye.openness for eye in together([looking(0.0), shut])]
    assert drawn_open == [pytest.approx(0.27 + OPENNESS_SPREAD), 0.27]
    assert [eye.openness for eye in together([looking(0.0), looking(0.0)])] == [1.0, 1.0]
    # The look draws the eyes so: measured crossed, their drawn irises are within the spread.
    drawn: list[list[EyeShape]] = []
    monkeypatch.setattr(look_style, "measure_eye", lambda *a: looking(0.6 if a[3] == 0 else -0.6))
    monkeypatch.setattr(look_style, "draw_eyes", lambda canvas, eyes, *a: drawn.append(eyes))
    crop, marks = astronaut_crop(astronaut_photo(), 128)
    procedural_style("anime", 128).stylize(crop[None], marks[None])
    assert [round(float(eye.gaze[0]), 3) for eye in drawn[0]] == [GAZE_SPREAD / 2, -GAZE_SPREAD / 2]


def test_the_upper_lid_meets_the_corners() -> None:
    """A steep lid fit ending high above a corner left the drawn opening cut off square there."""
    unit, params = 50.0, EyeParams()
    steep = _eye((0.0, -6.0, 90.0))  # rises 12 px across the eye, the middle 10 px above the centre
    ends = upper_lid_row(steep, np.array([-1.0, 1.0]), unit, params)
    assert np.all(ends >= 100.0 - 0.1 * unit - 1e-6)
    plain = _eye((4.0, 0.0, 94.0))  # an arch whose ends are at the corners already
    t = np.linspace(-1.0, 1.0, 9)
    unbent = (4.0 * t) * t + 94.0 - 0.4 * params.taller * unit * np.sqrt(1 - t * t)
    assert np.allclose(upper_lid_row(plain, t, unit, params), unbent)
    # The middle of the eye keeps its measured lid.
    middle = upper_lid_row(steep, np.array([0.0]), unit, params)[0]
    assert middle == pytest.approx(90.0 - 0.4 * params.taller * unit)


def test_eyes_behind_glasses_are_found_when_the_points_slid_off_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind black rims YuNet put the eye points 0.2 face units towards the bridge and onto the
    lower rims (the astronaut in a 720p frame): the eyes were measured half shut, drawn as slits
    or a wink. The rims are found around the points, and their middles are the eyes."""
    photo = astronaut_photo()
    for x, y in ASTRONAUT_LANDMARKS[:2].astype(int):
        cv2.ellipse(photo, (x, y + 1), (19, 14), 0, 0, 360, (30, 30, 30), 2, cv2.LINE_AA)
    cv2.line(photo, (219, 102), (228, 102), (30, 30, 30), 2, cv2.LINE_AA)
    crop, marks = astronaut_crop(photo, 256)
    unit = float(np.linalg.norm(marks[1] - marks[0]))
    slid = marks.copy()
    slid[:2, 0] += np.array([0.1, -0.1]) * unit  # towards the bridge
    slid[:2, 1] += 0.12 * unit  # onto the lower rims
    found: list[np.ndarray] = []

    def spy(*args: np.ndarray) -> list[np.ndarray] | None:
        rims = glasses_frames(*args)
        found.extend([] if rims is None else [rim.mean(axis=0) for rim in rims])
        return rims

    monkeypatch.setattr(look_style, "glasses_frames", spy)
    drawn = procedural_style("anime", 256).stylize(crop[None], slid[None])[0]
    # 132 white pixels when the eyes were measured at the slid points (both half shut), 197 now.
    assert sclera_pixels(drawn, marks) > 165
    # The rims were found round the eyes, not round the points.
    assert len(found) == 2 and np.abs(np.array(found) - marks[:2]).max() < 0.06 * unit


def _turned_landmarks(marks: np.ndarray, eye_gap: float) -> np.ndarray:
    """The crop's landmarks turned towards the image right: the eyes `eye_gap` of their distance
    apart, nose and mouth moved out towards the side it turns to."""
    turned = marks.copy()
    turned[1] = turned[0] + (turned[1] - turned[0]) * eye_gap
    turned[2, 0] = turned[1, 0] + 12
    turned[3, 0] += 18
    turned[4, 0] = turned[3, 0] + 14
    return turned


def _ink_near(drawn: np.ndarray, point: np.ndarray) -> int:
    x, y = point.astype(int)
    return int((drawn[y - 12 : y + 12, x - 8 : x + 8].max(axis=2) < 70).sum())


def test_a_profile_draws_only_its_near_eye(monkeypatch: pytest.MonkeyPatch) -> None:
    """A profile's far eye is behind its nose: YuNet still gives it a point, on the bridge, where
    a drawn lash line and iris read as a second eye on the nose. (The face's outline passes near
    that point too, so the ink there is compared with a drawing that does draw the far eye.)"""
    crop, marks = astronaut_crop(astronaut_photo(), 256)
    style = procedural_style("anime", 256)
    profile = _turned_landmarks(marks, 0.25)
    assert FaceFrame.from_landmarks(profile).squeeze < 0.45
    drawn = style.stylize(crop[None], profile[None])[0]
    monkeypatch.setattr(look_style, "_PROFILE_SQUEEZE", 0.0)
    both = style.stylize(crop[None], profile[None])[0]
    monkeypatch.undo()
    assert _ink_near(drawn, profile[0]) > 40
    assert _ink_near(drawn, profile[1]) + 10 < _ink_near(both, profile[1])
    three_quarters = _turned_landmarks(marks, 0.35)  # both eyes still show
    drawn = style.stylize(crop[None], three_quarters[None])[0]
    assert min(_ink_near(drawn, three_quarters[i]) for i in (0, 1)) > 40


def test_a_toned_socket_darkens_warm_skin_warmly_and_grey_skin_evenly() -> None:
    """An even gain on all channels drew a warm face's socket shadow as a green-grey bruise: on a
    warm skin blue falls faster than red; a grey camera's grey face keeps grey shadows."""
    shade = np.full((4, 4), 0.6, np.float32)
    warm = np.tile(np.float32([150, 180, 230]), (4, 4, 1))  # BGR skin
    grey = np.tile(np.float32([180, 180, 180]), (4, 4, 1))
    warm_out, grey_out, even = warm.copy(), grey.copy(), warm.copy()
    _shade_warmly(warm_out, shade, 1.0)
    _shade_warmly(grey_out, shade, 1.0)
    _shade_warmly(even, shade, 0.0)
    assert np.allclose(even, warm * 0.6, atol=1e-3)  # strength 0: the plain gain
    assert warm_out[0, 0, 2] / warm_out[0, 0, 0] > 1.1 * (warm[0, 0, 2] / warm[0, 0, 0])  # redder
    assert abs(float(warm_out[0, 0].mean()) - float(even[0, 0].mean())) < 12  # about as dark
    assert np.allclose(grey_out, grey * 0.6, atol=1e-3)  # grey stays grey


def test_a_dark_bag_under_the_eye_is_not_toned_into_a_smudge() -> None:
    """The eye area is toned from the photo (identity lives there), but an anime face has no bags:
    a dark socket or a hair's shadow under the lower lid was toned into a grey bruise."""
    crop, marks = astronaut_crop(astronaut_photo(), 256)
    frame = FaceFrame.from_landmarks(marks)
    unit = frame.eye_unit
    light = light_plane(crop)
    eyes = [measure_eye(light, crop, frame, index) for index in (0, 1)]
    ys, xs = np.mgrid[:256, :256].astype(np.float32)
    bags = np.zeros((256, 256), bool)
    for x, y in marks[:2]:
        bags |= ((xs - x) / (0.3 * unit)) ** 2 + ((ys - y - 0.45 * unit) / (0.07 * unit)) ** 2 < 1.0
    skin = 180.0
    tired = light.copy()
    tired[bags] = 0.5 * skin  # half the skin's lightness
    canvas = np.full((256, 256, 3), skin, np.float32)
    face = np.ones((256, 256), np.float32)
    tone_eye_area(canvas, tired, eyes, frame, EyeParams(), skin, np.float32([40, 40, 40]), face)
    assert canvas[bags].mean() > 0.8 * skin
