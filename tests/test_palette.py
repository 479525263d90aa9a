"""What a look remembers of a person between drawings (engine/looks/palette.py): their colours
follow a running mean, their cap decision flips only when drawings keep disagreeing with it, and
their hair's mask follows a running share of recent drawings."""

from __future__ import annotations

import itertools

import numpy as np
from astronaut_face import astronaut_crop, astronaut_photo

from animecam.engine.looks import procedural_style
from animecam.engine.looks.palette import FOLLOW, Palette, steadied, steadied_mask, steadied_widths

SKIN, DARK, BEIGE = np.float32([70, 15, 20]), np.float32([10, 0, -2]), np.float32([64, 2, 14])


def _capped(hair: np.ndarray = DARK) -> Palette:
    return Palette(SKIN, hair, BEIGE, 1.0)


def _bare(hair: np.ndarray) -> Palette:
    return Palette(SKIN, hair, None, 0.0)


def test_a_first_drawing_is_taken_as_it_is() -> None:
    now = _capped()
    assert steadied(now, None) is now


def test_colours_follow_a_running_mean_and_a_far_colour_is_taken_at_once() -> None:
    near = steadied(_bare(DARK + np.float32([10, 0, 0])), _bare(DARK))
    assert DARK[0] < near.hair_lab[0] < DARK[0] + 5  # part of the way
    far = steadied(_bare(BEIGE), _bare(DARK))  # a new light, or the look measured someone else
    assert np.array_equal(far.hair_lab, BEIGE)


def test_one_drawing_that_misses_the_cap_draws_the_remembered_cap_and_hair() -> None:
    """Grace Hopper on a noisy camera: a drawing that missed her cap measured the cap as her hair,
    and her whole head flashed beige."""
    memory = steadied(_bare(BEIGE), _capped())
    assert memory.has_cover and np.array_equal(memory.cover_lab, BEIGE)
    assert np.array_equal(memory.hair_lab, DARK)
    again = steadied(_capped(), memory)  # the next drawing sees the cap again
    assert again.has_cover and again.capped > memory.capped


def test_drawings_that_keep_missing_the_cap_take_it_off() -> None:
    memory = _capped()
    for _ in range(2):
        memory = steadied(_bare(BEIGE), memory)
    assert not memory.has_cover and memory.cover_lab is None
    assert np.array_equal(memory.hair_lab, BEIGE)


def test_the_look_keeps_a_persons_palette_in_the_memory_it_is_given() -> None:
    crop, marks = astronaut_crop(astronaut_photo(), 128)
    style = procedural_style("anime", 128)
    memory: dict = {}
    first = style.stylize(crop[None], marks[None], memories=[memory])[0]
    assert np.array_equal(first, style.stylize(crop[None], marks[None])[0])  # as drawn without one
    (palette,) = [kept for kept in memory.values() if isinstance(kept, Palette)]
    lighter = np.clip(crop.astype(np.int16) + 12, 0, 255).astype(np.uint8)  # the room lit brighter
    style.stylize(lighter[None], marks[None], memories=[memory])
    alone = style.regions(lighter, marks).skin_lab
    (steady,) = [kept.skin_lab for kept in memory.values() if isinstance(kept, Palette)]
    assert palette.skin_lab[0] < steady[0] < alone[0]  # part of the way to the new light


def test_a_mask_pixel_flipping_with_noise_keeps_its_majority() -> None:
    """One drawing in three calls a border pixel of the hair no hair (a ragged top on a noisy
    camera): drawn as hair throughout. A new head of hair (a hat put on) is taken at once."""
    hair = np.zeros((8, 8), np.float32)
    hair[:4] = 1.0
    mask, share = steadied_mask(hair, None)
    assert mask is hair
    for drawing in range(10):
        now = hair.copy()
        now[3, 3] = float(drawing % 3 != 0)  # flips
        mask, share = steadied_mask(now, share)
        assert mask[3, 3] == 1.0
    hatted = np.ones((8, 8), np.float32)  # half the pixels differ
    assert np.array_equal(steadied_mask(hatted, share)[0], hatted)  # a new shape: taken as it is
    smaller = hair[::2, ::2]  # another crop size: nothing to follow
    assert steadied_mask(smaller, share)[0] is smaller


def test_a_persons_hair_mask_flickers_less_on_a_noisy_still_camera() -> None:
    """The same still face on a noisy camera: with the memory, fewer hair pixels change between
    drawings than when each drawing is found on its own."""
    crop, marks = astronaut_crop(astronaut_photo(), 128)
    style = procedural_style("anime", 128)
    rng = np.random.default_rng(0)
    shots = [np.clip(crop + rng.normal(0, 6, crop.shape), 0, 255).astype(np.uint8) for _ in range(12)]
    # Both at the regions' working size: without a memory a drawing's share is its own mask.
    alone = [style.regions(shot, marks).palette.shares["hair"] > 0.5 for shot in shots]
    memory: dict = {}
    steady = []
    for shot in shots:
        style.stylize(shot[None], marks[None], memories=[memory])
        steady.append(memory["look.palette"].shares["hair"] > 0.5)

    def flips(masks: list[np.ndarray]) -> int:
        return sum(int((a != b).sum()) for a, b in itertools.pairwise(masks))

    assert flips(steady) < 0.6 * flips(alone)


def test_the_face_outlines_widths_follow_a_running_mean() -> None:
    """The skin's reach at the cheek is measured in steps; on a noisy camera it stepped back and
    forth and the outline beside a still man's cheek flickered."""
    assert steadied_widths((1.0, 0.9), None) == (1.0, 0.9)
    left, right = steadied_widths((1.1, 0.9), (1.0, 1.0))
    assert left == 1.0 + FOLLOW * 0.1 and right == 1.0 - FOLLOW * 0.1
    crop, marks = astronaut_crop(astronaut_photo(), 128)
    style = procedural_style("anime", 128)
    memory: dict = {}
    style.stylize(crop[None], marks[None], memories=[memory])
    assert memory["look.palette"].widths == style.regions(crop, marks).widths
