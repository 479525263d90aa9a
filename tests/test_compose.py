"""Paste-back: touches only the face region, honours strength, survives faces at the frame's edge."""

from __future__ import annotations

import numpy as np
import pytest

from animecam.core.align import apply, crop_transform, invert, template
from animecam.videofilter.compose import Compositor, CompositorConfig, feather_mask

SIZE = 128


def frame_and_matrix(centre: tuple[float, float], eye_gap: float = 40.0) -> tuple[np.ndarray, np.ndarray]:
    """A textured 240x320 frame and the crop transform of a face centred at `centre`."""
    rng = np.random.default_rng(0)
    frame = rng.integers(40, 200, (240, 320, 3), dtype=np.uint8)
    crop_template = template(SIZE)
    landmarks = (crop_template - SIZE / 2) * (eye_gap / (0.25 * SIZE)) + centre
    return frame, crop_transform(landmarks, SIZE)


def stylised_crop() -> np.ndarray:
    crop = np.zeros((SIZE, SIZE, 3), np.uint8)
    crop[..., 2] = 255  # pure red: easy to find in the frame
    return crop


def roi_of(matrix: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    corners = apply(invert(matrix), [[0, 0], [SIZE, 0], [0, SIZE], [SIZE, SIZE]])
    x0, y0 = np.maximum(np.floor(corners.min(axis=0)).astype(int), 0)
    x1 = min(int(np.ceil(corners[:, 0].max())), shape[1])
    y1 = min(int(np.ceil(corners[:, 1].max())), shape[0])
    return x0, y0, x1, y1


@pytest.mark.parametrize("colour_match", [True, False])
def test_pixels_outside_the_face_region_are_unchanged(colour_match: bool) -> None:
    frame, matrix = frame_and_matrix((150, 110))
    canvas = frame.copy()
    Compositor(CompositorConfig(colour_match=colour_match)).paste(canvas, stylised_crop(), matrix, 1.0)
    x0, y0, x1, y1 = roi_of(matrix, frame.shape)
    assert 0 < x0 < x1 < 320 and 0 < y0 < y1 < 240
    outside = np.ones(frame.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(canvas[outside], frame[outside])
    assert not np.array_equal(canvas, frame)


def test_strength_zero_changes_nothing_and_one_replaces_the_face_centre() -> None:
    frame, matrix = frame_and_matrix((150, 110))
    compositor = Compositor(CompositorConfig(colour_match=False))
    canvas = frame.copy()
    compositor.paste(canvas, stylised_crop(), matrix, 0.0)
    assert np.array_equal(canvas, frame)
    compositor.paste(canvas, stylised_crop(), matrix, 1.0)
    centre = canvas[100:120, 140:160].reshape(-1, 3)
    assert (centre == (0, 0, 255)).all()  # the mask is fully opaque in the middle
    half = frame.copy()
    compositor.paste(half, stylised_crop(), matrix, 0.5)
    expected = (frame[100:120, 140:160].astype(float) + np.array([0, 0, 255])) / 2
    assert np.abs(half[100:120, 140:160] - expected).max() <= 1.0


def test_the_seam_is_feathered() -> None:
    frame, matrix = frame_and_matrix((150, 110))
    canvas = np.zeros_like(frame)
    Compositor(CompositorConfig(colour_match=False)).paste(canvas, stylised_crop(), matrix, 1.0)
    red = canvas[..., 2].astype(int)
    # Along a row through the centre: 0 outside, a gradual ramp, 255 inside.
    row = red[110, :150]
    ramp = row[(row > 0) & (row < 255)]
    assert len(ramp) >= 5
    assert (np.diff(row) >= 0).all()


def test_colour_match_pulls_the_seam_towards_the_frame_but_keeps_the_style() -> None:
    frame, matrix = frame_and_matrix((150, 110))
    frame[:] = (30, 30, 30)
    plain, matched = frame.copy(), frame.copy()
    Compositor(CompositorConfig(colour_match=False)).paste(plain, stylised_crop(), matrix, 1.0)
    matching = Compositor(CompositorConfig(colour_match=True, colour_gain=0.5))
    matching.paste(matched, stylised_crop(), matrix, 1.0)
    red_plain, red_matched = int(plain[110, 150, 2]), int(matched[110, 150, 2])
    assert red_plain == 255
    assert 30 < red_matched < 255  # moved towards the dark frame, style still visible
    assert red_matched == pytest.approx(255 + 0.5 * (30 - 255), abs=3)


@pytest.mark.parametrize("centre", [(0, 110), (320, 240), (-20, -20), (160, 250)])
def test_face_partly_or_wholly_outside_the_frame(centre: tuple[float, float]) -> None:
    frame, matrix = frame_and_matrix(centre)
    canvas = frame.copy()
    Compositor().paste(canvas, stylised_crop(), matrix, 1.0)
    x0, y0, x1, y1 = roi_of(matrix, frame.shape)
    outside = np.ones(frame.shape[:2], bool)
    if x1 > x0 and y1 > y0:
        outside[y0:y1, x0:x1] = False
    assert np.array_equal(canvas[outside], frame[outside])


def test_face_far_outside_the_frame_is_a_no_op() -> None:
    frame, matrix = frame_and_matrix((-500, 900))
    canvas = frame.copy()
    Compositor().paste(canvas, stylised_crop(), matrix, 1.0)
    assert np.array_equal(canvas, frame)


@pytest.mark.parametrize("shape", ["ellipse", "rounded"])
def test_masks_are_opaque_inside_and_clear_at_the_edges(shape: str) -> None:
    mask = feather_mask(64, 0.15, shape)
    assert mask.shape == (64, 64) and mask.dtype == np.uint8
    assert mask[32, 32] == 255 and mask[0, 0] == 0 and mask[32, 0] == 0
    assert mask is feather_mask(64, 0.15, shape)  # cached per crop size
    assert not mask.flags.writeable
    with pytest.raises(ValueError, match="unknown mask shape"):
        feather_mask(64, 0.15, "star")


@pytest.mark.parametrize("colour_match", [True, False])
def test_a_drawn_figure_covers_the_frame_only_where_its_alpha_is(colour_match: bool) -> None:
    frame, matrix = frame_and_matrix((150, 110))
    figure = np.zeros((SIZE, SIZE, 4), np.uint8)
    figure[..., 2] = 255
    figure[:, : SIZE // 2, 3] = 255  # the crop's left half is the figure, the right half background
    canvas = frame.copy()
    Compositor(CompositorConfig(colour_match=colour_match)).paste(canvas, figure, matrix, 1.0)
    # The face is upright and centred at (150, 110): its crop's left half lies left of x = 150.
    assert (canvas[100:120, 130:145] == (0, 0, 255)).all()  # a figure's colours are never matched
    assert np.array_equal(canvas[100:120, 156:175], frame[100:120, 156:175])


def test_a_figures_rim_shows_the_scenes_tones_or_nothing_over_the_photo() -> None:
    """The figure's rim (its alpha's outer `figure_rim` crop px) shows the un-inked scene given as
    `under` (here at half the frame's size), and nothing when the canvas is the photo."""
    frame, matrix = frame_and_matrix((150, 110))  # one crop pixel is 40 / 32 = 1.25 frame pixels
    figure = np.zeros((SIZE, SIZE, 4), np.uint8)
    figure[..., 2] = 255
    figure[:, : SIZE // 2, 3] = 255  # the figure's edge is at x = 150 in the frame
    under = np.zeros((120, 160, 3), np.uint8)
    under[..., 1] = 255  # the scene's tones: green
    over_scene, over_photo = frame.copy(), frame.copy()
    compositor = Compositor(CompositorConfig(figure_rim=2))
    compositor.paste(over_scene, figure, matrix, 1.0, under=under)
    compositor.paste(over_photo, figure, matrix, 1.0)
    rows = slice(100, 120)
    for canvas in (over_scene, over_photo):
        assert (canvas[rows, 130:145] == (0, 0, 255)).all()  # the figure
    assert (over_scene[rows, 148:149] == (0, 255, 0)).all()  # the rim: 2 crop px (2.5 px) of tones
    assert np.array_equal(over_photo[rows, 148:160], frame[rows, 148:160])  # no rim over the photo
    assert np.array_equal(over_scene[rows, 152:160], frame[rows, 152:160])  # beyond the alpha: as it was


def test_a_figure_reaches_the_crops_corners() -> None:
    """A drawn figure's alpha is its shape, so its crop is faded only near the square's edges: in
    the inscribed circle a tall head's hair was cut at the crop's upper corners (the scene's paler
    drawing of it showed there, a cap over the hair). A plain drawing keeps the circle."""
    frame, matrix = frame_and_matrix((150, 110))  # a crop pixel is 1.25 frame pixels, its side 160
    figure = np.zeros((SIZE, SIZE, 4), np.uint8)
    figure[..., 2] = figure[..., 3] = 255  # the whole crop is figure
    canvas = frame.copy()
    Compositor().paste(canvas, figure, matrix, 1.0)
    # 0.12 of the side in from the crop's top-left corner (0.54 of the side from its centre).
    assert (canvas[49:51, 89:91] == (0, 0, 255)).all()
    # And 0.06 of the side above its bottom edge, where a low chin's outline is (a feather of 0.08
    # faded it into a blur): the crop's bottom edge is at y = 190.
    assert (canvas[179:181, 149:151] == (0, 0, 255)).all()
    plain = frame.copy()
    Compositor(CompositorConfig(colour_match=False)).paste(plain, figure[..., :3].copy(), matrix, 1.0)
    assert np.array_equal(plain[49:51, 89:91], frame[49:51, 89:91])
