"""Hair and what covers it, found in real photos' failures and drawn on the astronaut: dark hair
around a lit crown, short hair below the crown's sampling zone, a cap of no hair's colour."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from astronaut_face import ASTRONAUT_LANDMARKS, astronaut_photo
from test_looks import _bgr, _face_grid

from animecam.core.align import apply, crop_transform, warp_to_crop
from animecam.engine.looks import procedural_style
from animecam.engine.looks.face_frame import FaceFrame
from animecam.engine.looks.params import LOOKS
from animecam.engine.looks.shading import lock_tips

SIZE = 128


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return astronaut_photo()


def _aligned(photo: np.ndarray, size: int = SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The astronaut's crop in the looks' framing, its landmarks and face coordinates (fx, fy)."""
    style = procedural_style("anime", size)
    matrix = crop_transform(ASTRONAUT_LANDMARKS, size, style.align)
    crop, marks = warp_to_crop(photo, matrix, size), apply(matrix, ASTRONAUT_LANDMARKS)
    return crop, marks, *_face_grid(marks, size)


def test_black_hair_with_a_lit_crown_is_all_hair_and_drawn_dark(photo: np.ndarray) -> None:
    """Black hair pulled back under a lamp (seen: a bowed woman at a table): the crown is lit
    brown, the rest of the hair near black and grey. Its colour was the crown's alone, and the
    black hair around it matched the crop's dark border samples (taken for the wall): drawn as a
    brown cap, the scene's grey drawing of the hair above it."""
    style = procedural_style("anime", SIZE)
    crop, marks, fx, fy = _aligned(photo)
    own_hair = cv2.resize(style.regions(crop, marks).hair, (SIZE, SIZE)) > 0.5
    head = (fx / 1.45) ** 2 + ((fy + 0.35) / 1.5) ** 2
    lit = own_hair & (np.abs(fx) < 0.7) & (fy > -1.6) & (fy < -1.15)  # the crown's colour zone
    # Tall: up to the crop's top, where the border's samples are taken.
    tall = own_hair | (np.abs(fx) < 2.0) & (fy < -1.2)
    dark = crop.copy()
    dark[tall] = _bgr(np.float32([22, 128, 130]))  # near black, grey
    dark[lit] = _bgr(np.float32([100, 138, 150]))  # the lit crown: brown
    regions = style.regions(dark, marks)
    hair = cv2.resize(regions.hair, (SIZE, SIZE))
    upper = tall & ~lit & (head < 1.3) & (fy < -1.0)
    assert hair[upper].mean() > 0.9  # 0.04: the wall
    assert regions.hair_lab[0] < 30.0  # CIELAB L: 43 by the crown alone


def test_short_dark_hair_under_a_light_wall_is_the_hair(photo: np.ndarray) -> None:
    """A head tilted back puts short hair below the crown's sampling zone (seen: Obama before a
    white wall): the zone is all wall, and the wall's colour was the hair's, drawn as a cream cap
    over the head. The dark band between that "crown" and the forehead is the hair."""
    style = procedural_style("anime", SIZE)
    crop, marks, fx, fy = _aligned(photo)
    head = (fx / 1.45) ** 2 + ((fy + 0.35) / 1.5) ** 2
    short = crop.copy()
    wall = (fy < -1.1) | (head > 1.0) & (fy < 0.4)
    short[wall] = _bgr(np.float32([235, 128, 134]))  # a white wall, a little warm
    short[(fy >= -1.1) & (fy < -0.9) & (np.abs(fx) < 1.0)] = _bgr(np.float32([40, 130, 134]))  # black
    regions = style.regions(short, marks)
    assert regions.hair_lab[0] < 40.0  # CIELAB L: 54 with the wall taken for hair
    hair = cv2.resize(regions.hair, (SIZE, SIZE))
    assert hair[wall & (fy < -1.3)].mean() < 0.05


def _capped(photo: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """The astronaut in a cap of `colour` (BGR) pulled down to her temples, her hair below it."""
    gap = float(np.linalg.norm(ASTRONAUT_LANDMARKS[1] - ASTRONAUT_LANDMARKS[0]))
    x, y = ASTRONAUT_LANDMARKS[:2].mean(axis=0)
    capped = photo.copy()
    cv2.ellipse(capped, (int(x), int(y - 0.9 * gap)), (int(1.5 * gap), int(1.2 * gap)), 0, 180, 360,
                colour, -1, cv2.LINE_AA)  # fmt: skip
    return capped


_CAPS = {"black": (28, 26, 26), "navy": (70, 35, 25), "grey": (120, 120, 118)}


@pytest.mark.parametrize("colour", _CAPS.values(), ids=_CAPS.keys())
def test_a_cap_down_to_the_temples_is_a_cap_over_her_own_hair(
    photo: np.ndarray, colour: tuple[int, int, int]
) -> None:
    """A cap is told by the hair's colour beside it, at the temples; a cap pulled down to them
    left no hair there to compare: a black or grey cap was black or grey hair over her whole head
    (a fringe of points on its rim, her own brown hair drawn in the cap's colour), a navy one navy
    hair. The hair below it, beside the eyes, tells it."""
    style = procedural_style("anime", SIZE)
    crop, marks, fx, fy = _aligned(_capped(photo, colour))
    regions = style.regions(crop, marks)
    assert regions.cover.any() and regions.palette.has_cover
    assert regions.hair_lab[2] > 15.0  # her hair's own warm brown (the cap's: b* 0 or below)
    hair = cv2.resize(regions.hair, (SIZE, SIZE))
    assert hair[(np.abs(fx) > 1.1) & (np.abs(fx) < 1.3) & (np.abs(fy + 0.45) < 0.1)].mean() > 0.8


def test_a_caps_badge_is_drawn_as_part_of_the_cap(photo: np.ndarray) -> None:
    """An officer's cap has a dark badge on its front (seen: Hopper's): the badge was hair-coloured,
    a hole in the cap's top, and the cap was drawn with hair-coloured blotches in it. A cap's top
    is one flat shape."""
    style = procedural_style("anime", SIZE)
    navy = _capped(photo, _CAPS["navy"])
    gap = float(np.linalg.norm(ASTRONAUT_LANDMARKS[1] - ASTRONAUT_LANDMARKS[0]))
    x, y = ASTRONAUT_LANDMARKS[:2].mean(axis=0)
    badge = (int(x), int(y - 1.5 * gap))
    cv2.circle(navy, badge, int(0.25 * gap), (40, 70, 95), -1, cv2.LINE_AA)  # dark brown, as her hair
    crop, marks, _, _ = _aligned(navy)
    regions = style.regions(crop, marks)
    assert regions.cover.any()
    at = apply(crop_transform(ASTRONAUT_LANDMARKS, SIZE, style.align), np.array([badge], np.float64))[0]
    cover = cv2.resize(regions.cover, (SIZE, SIZE))
    assert cover[int(at[1]) - 1 : int(at[1]) + 2, int(at[0]) - 1 : int(at[0]) + 2].min() > 0.9


def test_a_covering_of_no_hairs_colour_over_warm_skin_is_a_hat_without_points(photo: np.ndarray) -> None:
    """A navy hood over all the hair measured like black hair under a cold light (a dull blue),
    and was drawn as navy hair, its rim cut into a fringe of points; a light's cast would tint the
    skin too, and this skin is warm. A hat's rim is not cut into locks."""
    style = procedural_style("anime", SIZE)
    crop, marks, _, _ = _aligned(photo)
    hooded = crop.copy()
    hooded[cv2.resize(style.regions(crop, marks).hair, (SIZE, SIZE)) > 0.5] = (70, 35, 25)
    regions = style.regions(hooded, marks)
    assert regions.hat_like
    cut = lock_tips(LOOKS["anime"], regions, FaceFrame.from_landmarks(marks), 0.5)
    assert np.array_equal(cut.hair, regions.hair)


def test_long_hair_hangs_past_the_jaw_and_a_shirt_beside_the_neck_does_not(photo: np.ndarray) -> None:
    """Long hair falls past the jaw beside the neck (seen: two women at a table, their hair cut off
    at the jaw and the rest drawn by the scene); a dark shirt of about the hair's lightness there,
    of another colour, is no hair (a dark red shirt hung from a brown-haired man's sideburn)."""
    size = 256  # the pipeline's: at 128 a lock half a face unit wide is 3 working pixels
    style = procedural_style("anime", size)
    crop, marks, fx, fy = _aligned(photo, size)
    own = cv2.resize(style.regions(crop, marks).hair, (size, size)) > 0.5
    long = crop.copy()
    locks = (np.abs(fx) > 1.0) & (np.abs(fx) < 1.5) & (fy > 0.0)
    shirt = (fx > 1.5) & (fy > 1.3)
    long[locks] = np.median(crop[own], axis=0)
    long[shirt] = (40, 40, 120)  # dark red
    hair = cv2.resize(style.regions(long, marks).hair, (size, size))
    assert hair[locks & (fy > 1.4)].mean() > 0.8  # 0 when cut at the jaw
    assert hair[shirt & (fx > 1.65)].mean() < 0.05


def test_the_shadowed_side_of_a_wide_head_of_hair_is_hair_to_the_crop_edge(photo: np.ndarray) -> None:
    """A close-up of a wide head of hair (seen: the astronaut filling a 720p frame): its side,
    turned from the light, reaches the crop's edge, darker than the lit crown but of its olive.
    The border's samples there were taken for the wall, and that side of the head was drawn cut
    away in the wall's colour. A wall of another hue there stays the wall."""
    style = procedural_style("anime", SIZE)
    crop, marks, fx, fy = _aligned(photo)
    side = (fx > 1.15) & (fy > -1.3) & (fy < 0.0)
    shadowed = crop.copy()
    shadowed[side] = _bgr(np.float32([72, 130, 149]))  # CIELAB L 28, a 2, b 21: the crown's hue
    hair = cv2.resize(style.regions(shadowed, marks).hair, (SIZE, SIZE))
    assert hair[side & (fx < 1.6)].mean() > 0.8  # 0.05: the wall
    walled = crop.copy()
    walled[side] = _bgr(np.float32([72, 150, 118]))  # as dark, but red-violet: a curtain
    hair = cv2.resize(style.regions(walled, marks).hair, (SIZE, SIZE))
    assert hair[side & (fx < 1.6)].mean() < 0.2


def test_long_hair_under_a_hat_to_the_crop_edges_is_hair(photo: np.ndarray) -> None:
    """Under a hat the hair is the temples' colour, and long hair below a wide brim reaches the
    crop's sides (seen: Lena): the border's samples there were unlike the hat on top, so they were
    taken for the wall, her hair was left out of her figure and drawn as the scene's streaks beside
    a floating hat."""
    style = procedural_style("anime", SIZE)
    crop, marks, fx, fy = _aligned(photo)
    own = cv2.resize(style.regions(crop, marks).hair, (SIZE, SIZE)) > 0.5
    hat = tuple(int(v) for v in _bgr(np.float32([217, 126, 116])))  # pale blue-grey: CIELAB L 85, b -12
    crop, marks, fx, fy = _aligned(_capped(photo, hat))  # type: ignore[arg-type]
    long = crop.copy()
    locks = (np.abs(fx) > 1.1) & (fy > -0.7) & (fy < 1.2)
    long[locks] = np.median(crop[own], axis=0)
    regions = style.regions(long, marks)
    assert regions.cover.any()
    hair = cv2.resize(regions.hair, (SIZE, SIZE))
    assert hair[locks & (np.abs(fx) < 1.7) & (fy < 0.9)].mean() > 0.8  # 0.24: the wall


def test_a_short_heads_fringe_is_a_row_of_pointed_locks_clear_of_the_brows(photo: np.ndarray) -> None:
    """Short hair with a high, smooth hairline (the forehead bare, close under the crown): drawn
    with the fringe on, its rim over the forehead is several pointed locks side by side, not a
    beanie's rim with a spike or two in its middle (the crown's locks are thin there); the locks
    stop well above the brows, where they would hide what identity is read by."""
    from dataclasses import replace

    crop, marks, _, _ = _aligned(photo, 256)
    regions, frame = procedural_style("anime", 256).regions(crop, marks), FaceFrame.from_landmarks(marks)
    half = regions.hair.shape[0]  # the masks are at half the crop's size
    sx, sy = frame.grid(half, 0.5)
    short = ((sy < -1.0) & (regions.face_shape + regions.hair > 0.5)).astype(np.float32)
    regions = replace(regions, hair=short, hat_like=False)
    profiles = {}
    for fringe in (0.0, LOOKS["anime"].hair.fringe):
        params = replace(LOOKS["anime"], hair=replace(LOOKS["anime"].hair, fringe=fringe))
        hair = lock_tips(params, regions, frame, 0.5).hair
        # Per column across the forehead: the lowest face-y the hair reaches.
        over = (hair > 0.5) & (sy < -0.2)
        columns = [c for c in range(half) if abs(sx[half // 2, c]) < 0.7 and over[:, c].any()]
        profiles[fringe] = np.array([float(sy[:, c][over[:, c]].max()) for c in columns])
    smooth, pointed = profiles[0.0], profiles[LOOKS["anime"].hair.fringe]
    hanging = pointed > smooth + 0.12  # columns where a lock hangs below the rim
    locks = int(np.count_nonzero(hanging[1:] & ~hanging[:-1]) + hanging[0])
    assert locks >= 3, f"{locks} locks over the forehead"
    assert pointed.max() < -0.55  # clear of the brows (eyes at 0, brows about -0.35)


def test_the_fringe_sweeps_the_way_the_hair_falls_over_the_forehead(photo: np.ndarray) -> None:
    """Everyone's bangs swept one way (away from the look's parting), against the hair of people
    whose hair falls over the other side of their forehead (Jennifer's, Courteney's). The locks of
    a fringe lean, going down, towards the side where the hair hangs lower over the forehead."""
    from dataclasses import replace

    crop, marks, _, _ = _aligned(photo, 256)
    regions, frame = procedural_style("anime", 256).regions(crop, marks), FaceFrame.from_landmarks(marks)
    sx, sy = frame.grid(regions.hair.shape[0], 0.5)
    bare = replace(LOOKS["anime"], hair=replace(LOOKS["anime"].hair, fringe=0.0))
    leans = []
    for side in (1.0, -1.0):
        # Hair over the top of the head, hanging lower over one side of the forehead.
        swept = (sy < -1.05 + 0.3 * np.clip(side * sx + 0.2, 0.0, 1.0)) & (np.abs(sx) < 1.3)
        hair = replace(regions, hair=swept.astype(np.float32), hat_like=False)
        fringed, plain = (lock_tips(params, hair, frame, 0.5).hair > 0.5 for params in (LOOKS["anime"], bare))
        locks = fringed & ~plain
        count, labels = cv2.connectedComponents(locks.astype(np.uint8))
        slopes = []  # per lock: how far across (face units) it goes per unit down
        for k in range(1, count):
            ys, xs = np.nonzero(labels == k)
            if len(ys) >= 6:
                u, v = sx[ys, xs], sy[ys, xs]
                slopes.append(float(np.polyfit(v, u, 1)[0]))
        assert len(slopes) >= 3
        leans.append(float(np.median(slopes)))
    assert leans[0] > 0.1 and leans[1] < -0.1, leans


def test_the_hairs_lower_edges_beside_the_face_end_in_pointed_locks(photo: np.ndarray) -> None:
    """A bob's sides (hair down to the mouth beside the face, cut straight): drawn, their lower
    edges end in pointed locks side by side, hanging into the wall, where a smooth rounded rim read
    as a beret's or a helmet's; the face itself is not covered by them."""
    from dataclasses import replace

    crop, marks, _, _ = _aligned(photo, 256)
    regions, frame = procedural_style("anime", 256).regions(crop, marks), FaceFrame.from_landmarks(marks)
    half = regions.hair.shape[0]
    sx, sy = frame.grid(half, 0.5)
    outside = regions.face_shape < 0.5
    bob = (sy < -1.0) | (np.abs(sx) > 0.9) & (np.abs(sx) < 1.7) & (sy < 0.8) & outside
    regions = replace(regions, hair=bob.astype(np.float32), hat_like=False)
    drawn = {}
    for tips in (0.0, LOOKS["anime"].hair.side_tips):
        params = replace(LOOKS["anime"], hair=replace(LOOKS["anime"].hair, side_tips=tips))
        drawn[tips] = lock_tips(params, regions, frame, 0.5).hair > 0.5
    smooth, pointed = drawn[0.0], drawn[LOOKS["anime"].hair.side_tips]
    locks = 0
    for side in (-1.0, 1.0):
        # Per column of that side: the lowest face-y the hair reaches.
        columns = [c for c in range(half) if 1.0 < side * sx[half // 2, c] < 1.6 and smooth[:, c].any()]
        low = {k: np.array([float(sy[:, c][m[:, c]].max()) for c in columns]) for k, m in drawn.items()}
        hanging = low[LOOKS["anime"].hair.side_tips] > low[0.0] + 0.15
        locks += int(np.count_nonzero(hanging[1:] & ~hanging[:-1]) + hanging[0])
    assert locks >= 4, f"{locks} pointed locks on the two sides"
    face = regions.face_shape > 0.5
    assert not (pointed & face & ~smooth).any()  # no lock hangs over the face


def test_no_strand_line_runs_up_the_dome_towards_the_crown(photo: np.ndarray) -> None:
    """Strand lines edge the locks' shade low on the head; lines drawn on up from the shade's tips
    towards the crown read as a cap's panels on the dome. Near the crown the lines leave the hair
    as it is, lower down they draw (the test is not empty)."""
    from dataclasses import replace

    from animecam.engine.looks.shading import hair_layer

    crop, marks, _, _ = _aligned(photo, 256)
    regions, frame = procedural_style("anime", 256).regions(crop, marks), FaceFrame.from_landmarks(marks)
    params = LOOKS["anime"]
    half = regions.hair.shape[0]
    lineless = replace(params, hair=replace(params.hair, strand_lines=0.0))
    plain = hair_layer(lineless, regions, frame, half, 0.5)
    darker = (plain - hair_layer(params, regions, frame, half, 0.5)).max(axis=-1) > 20
    sx, sy = frame.grid(half, 0.5)
    crown = np.hypot(sx - params.hair.crown[0], sy - params.hair.crown[1])
    hair = regions.hair > 0.5
    assert not darker[hair & (crown < 0.75)].any()
    assert darker[hair & (crown > 0.8)].any()


def test_the_hairs_highlight_band_is_a_visible_sheen(photo: np.ndarray) -> None:
    """The anime "angel ring" across the crown: it was a line 1-3 px wide at the looks' working
    size, lifting the hair by 9 L units, and no one saw it. Drawn, it lifts the hair by more than
    10 grey levels over a band 4-6 px wide (half of a 256 px crop)."""
    from dataclasses import replace

    from animecam.engine.looks.shading import hair_layer

    crop, marks, _, _ = _aligned(photo, 256)
    regions, frame = procedural_style("anime", 256).regions(crop, marks), FaceFrame.from_landmarks(marks)
    params = LOOKS["anime"]
    half = regions.hair.shape[0]
    plain = hair_layer(replace(params, hair=replace(params.hair, highlight=0.0)), regions, frame, half, 0.5)
    lifted = np.abs(hair_layer(params, regions, frame, half, 0.5) - plain).max(axis=-1)
    lit = (lifted > 10) & (regions.hair > 0.5)
    thickness = [int(lit[:, c].sum()) for c in range(half) if lit[:, c].any()]
    assert len(thickness) > half // 3  # across the crown
    assert np.median(thickness) >= 4  # the old line: 2
    # On black hair a sheen (L 40 at least), not the dark grey of its own lightness + 22.
    black = replace(regions, palette=replace(regions.palette, hair_lab=np.float32([6.0, 0.0, 2.0])))
    dark = hair_layer(replace(params, hair=replace(params.hair, highlight=0.0)), black, frame, half, 0.5)
    sheen = hair_layer(params, black, frame, half, 0.5)
    lit = (np.abs(sheen - dark).max(axis=-1) > 10) & (regions.hair > 0.5)
    grey = cv2.cvtColor(np.clip(sheen, 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)
    assert lit.sum() > 50
    assert np.median(grey[lit]) > 58  # the black hair's own lightness + 22: 51
