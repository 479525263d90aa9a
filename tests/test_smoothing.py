"""TemporalSmoother: steadies a flickering stylised face without ghosts or lag."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from animecam.videofilter.smoothing import SmootherConfig, TemporalSmoother

S = 128


def _texture(seed: int = 0, size: int = 400) -> np.ndarray:
    """A smooth random colour texture, so every shift of a crop is visible to the source check."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
    return cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)


def _translation(x: float, y: float) -> np.ndarray:
    return np.array([[1.0, 0.0, -x], [0.0, 1.0, -y]])  # frame -> crop for a crop whose corner is (x, y)


def _crop(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return cv2.warpAffine(image, matrix, (S, S), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@pytest.mark.parametrize("flow", [False, True])
def test_amount_zero_returns_the_stylised_crop(flow: bool) -> None:
    smoother = TemporalSmoother(SmootherConfig(flow=flow))
    scene, matrix = _texture(), _translation(50, 60)
    source = _crop(scene, matrix)
    smoother.smooth(0, source, source, matrix, 0.8)
    stylised = 255 - source
    assert np.array_equal(smoother.smooth(0, stylised, source, matrix, 0.0), stylised)


@pytest.mark.parametrize("flow", [False, True])
def test_static_face_with_flickering_style_is_steadied(flow: bool) -> None:
    rng = np.random.default_rng(1)
    smoother = TemporalSmoother(SmootherConfig(flow=flow))
    scene, matrix = _texture(), _translation(100, 80)
    source = _crop(scene, matrix)
    outputs, inputs = [], []
    for _ in range(40):
        stylised = np.clip(source + rng.normal(0, 12, source.shape), 0, 255).astype(np.uint8)
        inputs.append(stylised.astype(np.float32))
        outputs.append(smoother.smooth(7, stylised, source, matrix, 1.0).astype(np.float32))
    flicker_in = np.std(inputs[10:], axis=0).mean()
    flicker_out = np.std(outputs[10:], axis=0).mean()
    assert flicker_out < 0.45 * flicker_in
    # Smoothing noise must not drift from the truth.
    assert abs(float(np.mean(outputs[10:])) - float(source.mean())) < 1.5


@pytest.mark.parametrize("flow", [False, True])
def test_moving_crop_leaves_no_ghost(flow: bool) -> None:
    # The crop slides over a textured scene by 3 px a frame; the matrix says exactly how. The
    # warped history then matches the new crop, so the output keeps the new crop's sharp edges.
    smoother = TemporalSmoother(SmootherConfig(flow=flow))
    scene = _texture(2)
    errors = []
    for i in range(20):
        matrix = _translation(60 + 3 * i, 70 + i)
        source = _crop(scene, matrix)
        out = smoother.smooth(3, source, source, matrix, 1.0)
        edges = cv2.Canny(source, 50, 150) > 0
        errors.append(np.abs(out.astype(np.float32) - source)[edges].mean())
    # Without motion compensation the 3 px step would leave errors of tens of grey levels here.
    assert max(errors) < 6.0, errors


@pytest.mark.parametrize("flow", [False, True])
def test_sudden_change_is_shown_at_once(flow: bool) -> None:
    smoother = TemporalSmoother(SmootherConfig(flow=flow))
    scene, matrix = _texture(3), _translation(40, 40)
    source = _crop(scene, matrix)
    for _ in range(5):
        smoother.smooth(1, source, source, matrix, 1.0)
    occluded = source.copy()
    occluded[40:90, 30:100] = (250, 250, 250)  # a hand in front of the face
    out = smoother.smooth(1, occluded, occluded, matrix, 1.0)
    inside = np.abs(out[48:82, 38:92].astype(np.float32) - occluded[48:82, 38:92]).max()
    assert inside <= 3.0


def test_lighting_ramp_does_not_lag() -> None:
    smoother = TemporalSmoother()
    scene, matrix = _texture(4), _translation(30, 30)
    base = _crop(scene, matrix).astype(np.float32) * 0.5
    for i in range(60):
        frame = np.clip(base * (1.0 + 0.015 * i), 0, 255).astype(np.uint8)  # +1.5% light a frame
        out = smoother.smooth(2, frame, frame, matrix, 1.0)
    assert abs(float(out.mean()) - float(frame.mean())) < 1.5


def test_new_ids_and_forgotten_faces_start_fresh() -> None:
    smoother = TemporalSmoother()
    scene, matrix = _texture(5), _translation(20, 20)
    source = _crop(scene, matrix)
    smoother.smooth(1, source, source, matrix, 1.0)
    other = 255 - source
    assert np.array_equal(smoother.smooth(2, other, source, matrix, 1.0), other)  # a new id
    assert not np.array_equal(smoother.smooth(1, other, source, matrix, 1.0), other)  # history used
    smoother.forget({2})
    assert np.array_equal(smoother.smooth(1, source, source, matrix, 1.0), source)  # dropped
    smoother.reset()
    assert np.array_equal(smoother.smooth(2, source, source, matrix, 1.0), source)
    bigger = cv2.resize(source, (2 * S, 2 * S))
    assert np.array_equal(smoother.smooth(2, bigger, bigger, matrix * 2, 1.0), bigger)  # new crop size


@pytest.mark.parametrize("flow", [False, True])
def test_carry_moves_the_last_drawing_with_the_face_and_refuses_without_history(flow: bool) -> None:
    smoother = TemporalSmoother(SmootherConfig(flow=flow))
    scene = _texture(3)
    first, moved = _translation(100, 80), _translation(103, 81)
    assert smoother.carry(5, _crop(scene, first), first) is None  # nothing drawn yet
    source = _crop(scene, first)
    smoother.smooth(5, 255 - source, source, first, 1.0)  # the "drawing" is the inverted crop
    carried = smoother.carry(5, _crop(scene, moved), moved)
    assert carried is not None
    # The face moved 3 px right and 1 down in the frame; the carried drawing follows it.
    expected = 255 - _crop(scene, moved)
    inner = (slice(8, S - 8), slice(8, S - 8))
    assert np.abs(carried[inner].astype(int) - expected[inner].astype(int)).mean() < 4.0
    # Something new over a quarter of the crop: not carried, it must be drawn.
    covered = _crop(scene, moved)
    covered[: S // 2, : S // 2] = 0
    assert smoother.carry(5, covered, moved) is None


def test_a_figure_alpha_is_smoothed_with_the_colours_but_never_lit() -> None:
    """A BGRA drawing (a look's figure): its alpha moves with the face, the light gain leaves it."""
    smoother = TemporalSmoother()
    base = _texture(7)
    figure = np.zeros(base.shape[:2], np.uint8)
    figure[:, :130] = 255  # the figure is the frame's left part: x < 130
    for i in range(12):
        frame = np.clip(base * (1.0 - 0.02 * i), 0, 255).astype(np.uint8)  # the light falls
        matrix = _translation(60 + i, 40)  # the crop moves over the frame: its figure edge moves too
        source = _crop(frame, matrix)
        out = smoother.smooth(0, cv2.merge([*cv2.split(source), _crop(figure, matrix)]), source, matrix, 1.0)
    assert out.shape == (S, S, 4)
    edge = 130 - (60 + 11)  # where the figure's edge is in the last crop
    # Still the figure: opaque and clear away from its edge (which the motion resamples).
    assert (out[:, : edge - 3, 3] == 255).all() and (out[:, edge + 3 :, 3] == 0).all()
    assert abs(float(out[..., :3].mean()) - float(source.mean())) < 1.5  # the colours follow the light
    carried = smoother.carry(0, _crop(frame, _translation(72, 40)), _translation(72, 40))
    assert carried is not None and carried.shape == (S, S, 4)


def test_flow_is_measured_only_where_the_crop_motion_leaves_a_residual() -> None:
    """A rigid move the crop matrices describe needs no optical flow; a local change (an eye, a
    mouth) the affine step cannot explain gets it."""
    smoother = TemporalSmoother()
    calls = []
    measure = smoother._flow
    smoother._flow = lambda current, predicted: calls.append(1) or measure(current, predicted)  # type: ignore[method-assign]
    scene, first, moved = _texture(4), _translation(100, 80), _translation(104, 82)
    smoother.smooth(1, _crop(scene, first), _crop(scene, first), first, 1.0)
    assert smoother.carry(1, _crop(scene, moved), moved) is not None
    assert calls == []  # the matrices told the motion exactly
    changed = _crop(scene, moved)
    patch = changed[60:76, 60:76].copy()
    changed[60:76, 62:78] = patch  # a small part moved 2 px on its own
    smoother.carry(1, changed, moved, force=True)
    assert calls == [1]


def test_a_face_is_as_drawn_while_its_crop_only_moves_and_not_once_it_changes() -> None:
    """`as_drawn` compares the face now with the crop its drawing was made of (not with the last
    frame): rigid motion and carried frames keep it; a change, even one spread over frames, does not."""
    smoother = TemporalSmoother()
    scene = _texture(3)
    assert not smoother.as_drawn(1, _crop(scene, _translation(60, 60)), _translation(60, 60))  # no drawing
    source = _crop(scene, _translation(60, 60))
    smoother.smooth(1, 255 - source, source, _translation(60, 60), 1.0)
    moved = _translation(63, 61)  # the crop followed the face 3 px: the same content, shifted
    assert smoother.as_drawn(1, _crop(scene, moved), moved)
    smoother.carry(1, _crop(scene, moved), moved)
    # A patch changing by 5 grey levels a frame: each frame within the carry's tolerance of the last,
    # but 20 levels from the drawn crop after four frames.
    matrix = moved
    for step in range(1, 5):
        changed = scene.copy()
        changed[110:150, 110:150] = np.clip(changed[110:150, 110:150].astype(int) + 5 * step, 0, 255)
        crop = _crop(changed, matrix)
        assert smoother.carry(1, crop, matrix) is not None
    assert not smoother.as_drawn(1, crop, matrix)


def test_a_drawing_carried_over_sub_pixel_steps_keeps_its_lines() -> None:
    """Each carry resamples the last drawing: bilinear at half-pixel steps halved a 2 px line's
    contrast every time (a still-moving face's ink went soft and its catch lights dim). Six carries
    of half a pixel keep over 40% of the lines' Laplacian energy (bilinear: 10%)."""

    def energy(picture: np.ndarray) -> float:
        grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
        return float(np.square(cv2.Laplacian(grey, cv2.CV_32F)).mean())

    scene = _texture(5)
    drawing = np.full((S, S, 3), 235, np.uint8)
    for x in range(10, S, 12):
        cv2.line(drawing, (x, 0), (x + 20, S - 1), (30, 30, 30), 2, cv2.LINE_AA)
    smoother = TemporalSmoother(SmootherConfig(flow=False))
    matrix = _translation(60, 60)
    smoother.smooth(0, drawing, _crop(scene, matrix), matrix, 1.0)
    for step in range(1, 7):
        matrix = _translation(60 + 0.5 * step, 60)
        carried = smoother.carry(0, _crop(scene, matrix), matrix)
        assert carried is not None
    assert energy(carried) > 0.4 * energy(drawing)


def test_a_drawn_figure_stays_put_in_its_crop_while_the_photo_drifts_inside_it() -> None:
    """A figure (a drawing with its own alpha) is placed by the landmarks, which define the crop:
    when the photo's content drifts inside the crop (the tracker's error), its carried drawing
    stays where it was drawn; a plain drawing of the photo follows the content."""
    scene = _texture(9)
    drawing = np.full((S, S, 3), 235, np.uint8)
    cv2.circle(drawing, (64, 64), 30, (30, 30, 30), 2, cv2.LINE_AA)
    figure = np.dstack([drawing, np.full((S, S), 255, np.uint8)])
    matrix = _translation(60, 60)
    source = _crop(scene, matrix)
    drifted = _crop(scene, _translation(61.5, 60))  # the content moved 1.5 px; the crop did not
    moved = {}
    for face, picture in ((0, figure), (1, drawing)):
        smoother = TemporalSmoother()
        smoother.smooth(face, picture, source, matrix, 1.0)
        carried = smoother.carry(face, drifted, matrix)
        assert carried is not None
        moved[face] = float(np.abs(carried[..., :3].astype(int) - drawing).mean())
    assert moved[0] < 0.2  # the figure as drawn
    assert moved[1] > 4 * moved[0] + 0.5  # the photo's drawing followed the drift
