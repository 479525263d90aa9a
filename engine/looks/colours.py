"""The colours a face crop's regions are told by (regions.py draws them): the skin's at the cheeks,
the hair's at the crown and temples, the wall's all round the crop's border, a cap's over the hair.
Each is a median of small patches at places the alignment makes reliable, checked against the
others (a sample like the skin or the wall is no hair; a top unlike the hair at both temples is a cap).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .arrays import clamp, median
from .face_frame import FaceFrame

HEAD_CENTRE, HEAD_AXES = (0.0, -0.35), (1.45, 1.5)  # head (hair) prior ellipse, face units
_HAIR_SAMPLES = ((0.0, -1.45), (-1.15, -0.85), (1.15, -0.85))  # top of the head, both temples
# The crop's top edge and upper sides (fractions of its size): mostly wall in a head-framed crop.
_RING = np.array(
    [(x, 0.05) for x in (0.1, 0.3, 0.5, 0.7, 0.9)] + [(x, y) for x in (0.05, 0.95) for y in (0.2, 0.35)]
)
NOISE = 9.0**2  # squared colour distance (`colour_distance`) within which two samples are alike
_COVER_CONTRAST = 30.0  # colour distance (in noise units) of a cap from the hair below it
_COVER_CHROMA = 15.0  # and its chroma difference (a, b units)
_SHADOW_LIGHTNESS = 0.7  # weight of a greyish border sample's lightness below the crown's
_DARK_WALL_CHROMA = 12.0  # chroma from which a dark sample far outside the head can be the wall
_BESIDE_HEAD = 2.2  # `_head` value within which a border sample is beside the head (not far off)


def _same_hue(darker: np.ndarray, lit: np.ndarray) -> bool:
    """Whether a darker CIELAB colour has the hue of a lit one (within 15 degrees), both clearly
    coloured, and no more chroma than it (a shadow keeps a colour's hue and loses chroma)."""
    chroma, lit_chroma = float(np.hypot(darker[1], darker[2])), float(np.hypot(lit[1], lit[2]))
    if min(chroma, lit_chroma) < _DARK_WALL_CHROMA or chroma > 1.1 * lit_chroma:
        return False
    cosine = float(darker[1] * lit[1] + darker[2] * lit[2]) / (chroma * lit_chroma)
    return cosine > math.cos(math.radians(15.0))


def _head(fx: np.ndarray, fy: np.ndarray) -> np.ndarray:
    """Where face-unit points lie against the upright head prior: under 1 inside its ellipse."""
    return (fx / HEAD_AXES[0]) ** 2 + ((fy - HEAD_CENTRE[1]) / HEAD_AXES[1]) ** 2


def patch_medians(lab: np.ndarray, centres: np.ndarray, radius: int) -> np.ndarray:
    """(K, C) medians of the square patches around (K, 2) centres, moved inside the image so all
    have one size: a single median over the stack (each np.median call costs ~50 us)."""
    h, w = lab.shape[:2]
    side_y, side_x = min(2 * radius + 1, h), min(2 * radius + 1, w)
    patches = []
    for x, y in np.asarray(centres, np.float64).reshape(-1, 2):
        x0 = int(clamp(int(clamp(x, 0, w - 1)) - radius, 0, w - side_x))
        y0 = int(clamp(int(clamp(y, 0, h - 1)) - radius, 0, h - side_y))
        patches.append(lab[y0 : y0 + side_y, x0 : x0 + side_x].reshape(-1, lab.shape[2]))
    return median(np.stack(patches), axis=1)


def colour_distance(lab: np.ndarray, ref: np.ndarray, chroma_weight: float) -> np.ndarray:
    d = lab - ref
    return d[..., 0] ** 2 + chroma_weight * (d[..., 1] ** 2 + d[..., 2] ** 2)


def _off_the_wall(
    lab: np.ndarray, candidates: list[np.ndarray], ring: np.ndarray, frame: FaceFrame, scale: float,
    radius: int, skin_lab: np.ndarray, chroma_weight: float,
) -> list[np.ndarray]:  # fmt: skip
    """The hair samples that are not the wall. A head smaller than its landmarks say (a small
    face's points spread wide) puts them on the wall above and beside it, and the wall was drawn as
    white hair: a sample like most of the crop's top and upper sides (`ring`: their colours) is the
    wall (the crop frames the whole head, so hair reaches few of those places). When all are, the
    hair is lower, between the crown and the brow: the two samples there least like the wall. In
    grey light the test is weak (lightness alone): there the samples are kept as they are."""
    noise = NOISE

    def wall_like(c: np.ndarray) -> bool:
        return float(np.mean(colour_distance(ring, c, chroma_weight) < noise)) >= 0.5

    kept = [c for c in candidates if not wall_like(c)]
    if kept or chroma_weight <= 0.5:
        return kept or candidates
    down = np.column_stack([np.zeros(8), np.linspace(-1.4, -0.7, 8)])
    line = [c for c in patch_medians(lab, frame.to_pixels(down) * scale, radius)
            if colour_distance(c, skin_lab, chroma_weight) > 2.0 * noise]  # fmt: skip
    off_wall = [float(colour_distance(ring, c, chroma_weight).min()) for c in line]
    best = sorted(range(len(line)), key=lambda i: -off_wall[i])[:2]
    return [line[i] for i in best if off_wall[i] > noise]


class Colours(NamedTuple):
    """The colour prototypes a crop is segmented by (CIELAB floats)."""

    hair_refs: list[np.ndarray]  # the hair's (empty: bald, or hair like the skin or the wall)
    hair_lab: np.ndarray  # the hair's colour
    cover_lab: np.ndarray | None  # a cap's or hat's over the hair
    backgrounds: list[np.ndarray]  # the wall's, sampled at the crop's border
    scalp_like: bool  # skin-coloured just above the forehead (bald, unless hair is found there)


def sample_colours(
    lab: np.ndarray, frame: FaceFrame, scale: float, fx: np.ndarray, fy: np.ndarray, forehead: np.ndarray,
    skin_lab: np.ndarray, chroma_weight: float,
) -> Colours:  # fmt: skip
    """The hair's, a cap's and the wall's colours of a small CIELAB crop (see find_regions)."""
    size = lab.shape[0]
    radius = max(1, int(0.1 * frame.unit * scale))
    hair_candidates = list(patch_medians(lab, frame.to_pixels(np.array(_HAIR_SAMPLES)) * scale, radius))
    # The crown's colour is the median of the not-skin pixels above the forehead, not of one small
    # patch: real hair's highlights and shadows put a patch anywhere between (a black-haired head's
    # top patch was lit brown, and the rest of her hair taken for the wall).
    zone = (np.abs(fx) < 0.7) & (fy > -1.6) & (fy < -1.15)
    # Not-skin by the cheeks and by the forehead's own colour (lit and paler than the cheeks, it
    # mixed a dark-haired man's crown to mid-brown), when the forehead is skin-like at all.
    brow_mid = patch_medians(lab, frame.to_pixels(np.array([[0.0, -0.7]])) * scale, radius)[0]
    crown = zone & (colour_distance(lab, skin_lab, chroma_weight) > 2.0 * NOISE)
    forehead_like = colour_distance(brow_mid, skin_lab, chroma_weight) < 6.0 * NOISE
    if forehead_like:
        crown &= colour_distance(lab, brow_mid, chroma_weight) > 2.0 * NOISE
    crowned = bool(crown.sum() >= 0.25 * zone.sum() > 0)
    if crowned:
        hair_candidates[0] = median(lab[crown], axis=0)
    # A high forehead is lit paler and yellower towards its top (a laughing man's bowed head: half
    # the zone, and his dark hair was drawn light brown): when a fifth of the zone is clearly
    # darker than the forehead, that is the hair. Faded in from 15% to 25%, so a still face's noise
    # near the bar does not flip the hair's colour between frames.
    darker = crown & (lab[..., 0] < brow_mid[0] - 15.0)
    share = float(darker.sum()) / max(float(zone.sum()), 1.0)
    if crowned and forehead_like and share > 0.15:
        weight = min((share - 0.15) / 0.1, 1.0)
        whole = hair_candidates[0]
        hair_candidates[0] = whole + weight * (median(lab[darker], axis=0) - whole)
    noise = NOISE
    border = max(1, size // 20)
    corners = [(border, border), (size - border, border), (border, size * 0.45), (size - border, size * 0.45)]
    ring = patch_medians(lab, _RING * size, border)
    below_wall = (
        _hair_below_wall(lab, frame, scale, radius, hair_candidates[0], ring, skin_lab, chroma_weight)
        if crowned
        else None
    )
    if below_wall is not None:
        # The temples' samples beside such a small head are the wall too.
        hair_candidates = [below_wall] + [
            c for c in hair_candidates[1:] if colour_distance(ring, c, chroma_weight).min() > 3.0 * noise
        ]
    samples = [*patch_medians(lab, np.array(corners), border), *ring]
    hair_like = _off_the_wall(lab, hair_candidates, ring, frame, scale, radius, skin_lab, chroma_weight)
    # Just above the forehead is hair or, on a bald head, skin: a sample there that is clearly not
    # skin is hair too (in a dim room the temples' samples are shadow, far darker than the fringe).
    above_lab = median(lab[forehead], axis=0) if forehead.any() else skin_lab
    # Beside a close-up head, or above a head turned aside, the crop's border is hair, not wall: a
    # border sample like the hair is dropped; if all are, the least hair-like one stays. The hair
    # is the crown's and the forehead's (a temple's sample is the wall beside short hair or a turned
    # head, and judged by it, the warm wall of a real room was kept as hair: ears and hoods of it).
    # Under a crown of hair, the forehead's sample is hair only when of its colour (lightness
    # varies along hair): a high or lit forehead (a head bowed to its cards) is paler skin there.
    top = hair_candidates[0]
    trusted = [c for c in hair_like if c is top and crowned]
    if crowned and (
        chroma_weight * float(np.sum((above_lab[1:] - top[1:]) ** 2)) > 4.0 * noise
        or colour_distance(above_lab, skin_lab, chroma_weight) < 2.0 * noise
    ):
        above_lab = top
    if not trusted and colour_distance(above_lab, skin_lab, chroma_weight) > 2.0 * noise:
        trusted.append(above_lab)

    # Hair varies, lit and shadowed strands by 10-15 units of chroma: a border sample within 9
    # noise of its crown is hair. A dark one's chroma is mostly noise (black hair at the crop's top
    # edge differed from its lit crown by 13 units of it), so chroma counts as much as it is lit.
    # Hair's shadows are darker than its lit crown by more than its highlights are lighter (black
    # hair pulled back under a lamp: a crown of L 39, its sides at 5), so in a colour crop being
    # darker and greyish counts less. (In a grey one a side-lit wall's shadow is as grey: taken
    # for hair, two side-lit small faces lost their person in bench/look's room.)
    # So is, beside the head, a darker sample of the crown's own hue: the side of a wide head of
    # hair turned from the light, which reached the crop's edge in a close-up (a crown of L 60, its
    # shadowed side L 28 of the same olive) and was taken for the wall, its hair drawn cut away.
    places = frame.to_face(np.vstack([np.array(corners), _RING * size]) / scale)
    head_places = _head(places[:, 0], places[:, 1])

    def hair_distance(b: np.ndarray, c: np.ndarray, beside: bool) -> float:
        if not crowned:
            return colour_distance(b, c, chroma_weight)
        lit = float(clamp(min(b[0], c[0]) / 60.0, 0.1, 1.0))
        greyish = float(np.hypot(b[1], b[2])) < _DARK_WALL_CHROMA
        shadow = b[0] < c[0] and chroma_weight >= 1.0 and (greyish or (beside and _same_hue(b, c)))
        shade = np.array([_SHADOW_LIGHTNESS if shadow else 1.0, 1.0, 1.0])
        return colour_distance(b * shade, c * shade, chroma_weight * lit * lit)

    hair_likeness = [
        min(hair_distance(b, c, bool(h < _BESIDE_HEAD)) for c in trusted or hair_like or [above_lab])
        for b, h in zip(samples, head_places, strict=True)
    ]
    reach = (9.0 if crowned else 1.0) * noise
    # A dark sample far outside the head (the crop's corners and upper sides) of another hue than
    # the crown is the wall: dark, its chroma hardly counts above, and a navy flag behind black
    # hair was taken for hair and drawn as a black mass around the head. (Light hair there, long
    # blonde hair spread to the crop's corners, is told by its colour; dark hair of the crown's hue
    # reaching a corner stays hair.)
    far = head_places > 2.5
    # Only a coloured one, though: black hair is near grey under any light (chroma under 12) while
    # its lit crown takes the light's hue, and a bowed woman's black hair at the crop's top was
    # taken for the wall beside her lit brown crown (her hair drawn as a brown cap).
    wall = [
        bool(f and b[0] < 30.0 and float(np.hypot(b[1], b[2])) >= _DARK_WALL_CHROMA
             and chroma_weight * float(np.sum((b[1:] - top[1:]) ** 2)) > 2.0 * noise)
        for b, f in zip(samples, far, strict=True)
    ]  # fmt: skip
    backgrounds = [b for b, d, w in zip(samples, hair_likeness, wall, strict=True) if d > reach or w] or [
        samples[int(np.argmax(hair_likeness))]
    ]
    # Every sample unlike the skin and unlike the wall is a hair prototype (blonde tops over darker
    # temples are common); a sample that matches the wall is the wall above a bald or cropped head.
    scalp_like = colour_distance(above_lab, skin_lab, chroma_weight) < 1.2 * noise
    hair_refs = [
        c for c in [*hair_like, above_lab]
        if colour_distance(c, skin_lab, chroma_weight) > (2.0 if c is not above_lab else 1.2) * noise
        and min(colour_distance(c, b, chroma_weight) for b in backgrounds) > noise
    ]  # fmt: skip
    # A cap or hat over the hair: the top of the head unlike the hair at both temples (it is then
    # drawn in its own colour, with its own outline, instead of dyeing the hair). Hair differs from
    # itself in lightness (a blonde top over shadowed temples: 50 L units), a cap from the hair in
    # colour: only a clear difference of chroma makes the top a cap. A single temple unlike the top
    # is the wall or a curtain beside the head (a redhead's, a dark-haired man's), not hair.
    cover_lab = None
    sides = [
        c for c in hair_like
        if c is not top and colour_distance(c, skin_lab, chroma_weight) > 2.0 * noise
    ]  # fmt: skip
    unlike_top = [
        c for c in sides
        if colour_distance(top, c, chroma_weight) > _COVER_CONTRAST * noise
        and float(np.hypot(*(top[1:] - c[1:]))) > _COVER_CHROMA
    ]  # fmt: skip
    # A cap reaching down to a temple or both leaves the test to the hair below it.
    if not (len(unlike_top) == len(sides) == 2) and any(c is top for c in hair_refs):
        below_cap = _hair_below_cap(lab, frame, scale, radius, top, ring, skin_lab, chroma_weight)
        if below_cap is not None:
            unlike_top = sides = below_cap
            hair_refs += below_cap
    capped = len(unlike_top) == len(sides) == 2 and any(c is top for c in hair_refs)
    if not capped:
        hair_refs = [c for c in hair_refs if not any(c is u for u in unlike_top)]
    # The hair's colour is the middle of its samples: the most skin-unlike one is often a shadow.
    hair_lab = (
        median(np.stack(hair_refs), axis=0)
        if hair_refs
        else max(hair_candidates, key=lambda c: colour_distance(c, skin_lab, chroma_weight))
    )
    if capped:
        cover_lab, hair_lab = top, median(np.stack(unlike_top), axis=0)
        # Under a hat the hair is the temples' colour, and long hair below a wide brim reaches the
        # crop's sides: border samples of that colour are the hair, not the wall (Lena's dark hair
        # was a border sample, so it was left out of the hair and drawn as the scene's streaks).
        hair_refs += [c for c in unlike_top if not any(c is r for r in hair_refs)]
        walls = [b for b in backgrounds
                 if min(colour_distance(b, c, chroma_weight) for c in unlike_top) > 3.0 * noise]  # fmt: skip
        backgrounds = walls or backgrounds
    elif hair_refs:
        found = _hair_shadow(lab, fx, fy, top, skin_lab, backgrounds, chroma_weight)
        if found is not None:
            # Drawn darker by the share of the head in shadow, faded in from a tenth to a fifth so
            # a still face's noise near the bar does not flip the hair's colour.
            shadow, share = found
            hair_refs.append(shadow)
            weight = share * float(clamp((share - 0.1) / 0.1, 0.0, 1.0))
            hair_lab = hair_lab + weight * (shadow - hair_lab)
    return Colours(hair_refs, hair_lab, cover_lab, backgrounds, scalp_like)


def _hair_below_wall(
    lab: np.ndarray, frame: FaceFrame, scale: float, radius: int, crown: np.ndarray, ring: np.ndarray,
    skin_lab: np.ndarray, chroma_weight: float,
) -> np.ndarray | None:  # fmt: skip
    """The hair's colour when the crown's zone is the wall above short hair (a head tilted back,
    its hair lower in the crop than the zone), else None: the crown's colour is then lighter than
    the skin and like one of the crop's border samples (`ring`), and between it and the forehead
    lies a band of a much darker colour, the hair. (Obama's short black hair before a white wall
    was drawn as a cream cap.)"""
    if crown[0] <= skin_lab[0] or float(colour_distance(ring, crown, chroma_weight).min()) >= NOISE:
        return None
    line = np.column_stack([np.zeros(7), np.linspace(-1.4, -0.8, 7)])  # up from the forehead
    band = [
        c for c in patch_medians(lab, frame.to_pixels(line) * scale, radius)
        if colour_distance(c, skin_lab, chroma_weight) > 2.0 * NOISE and c[0] < crown[0] - 25.0
    ]  # fmt: skip
    return median(np.stack(band), axis=0) if len(band) >= 2 else None


def _hair_below_cap(
    lab: np.ndarray, frame: FaceFrame, scale: float, radius: int, top: np.ndarray, ring: np.ndarray,
    skin_lab: np.ndarray, chroma_weight: float,
) -> list[np.ndarray] | None:
    """The two samples of hair below a cap that reaches the temples (the temples' samples are the
    cap's), or None: beside the eyes on both sides, of one colour, unlike the skin and the wall
    (`ring`), and of another colour than the cap. A black cap over brown hair was drawn as black
    hair with a fringe, her own hair under it lost."""
    places = np.array([[-1.2, -0.45], [1.2, -0.45]])
    found = list(patch_medians(lab, frame.to_pixels(places) * scale, radius))
    left, right = found
    # Alike in colour; hair's lightness differs from side to side (one lit, one in shadow).
    if float(np.hypot(*(left[1:] - right[1:]))) > 10.0:
        return None
    for c in found:
        if (
            colour_distance(c, skin_lab, chroma_weight) < 2.0 * NOISE
            or float(colour_distance(ring, c, chroma_weight).min()) < NOISE
            or float(np.hypot(*(top[1:] - c[1:]))) < _COVER_CHROMA
        ):
            return None
    return found


def _hair_shadow(
    lab: np.ndarray, fx: np.ndarray, fy: np.ndarray, top: np.ndarray, skin_lab: np.ndarray,
    backgrounds: list[np.ndarray], chroma_weight: float,
) -> tuple[np.ndarray, float] | None:  # fmt: skip
    """(the colour of the hair's shadowed part, its share of the upper head), or None: the median
    of the pixels well darker than the crown's colour in the upper head (not the skin's or the
    wall's colour), when they are a twentieth of it or more. By the lit crown's colour alone, dark
    hair at the top of a head was the wall (a man's spiky top, a bowed woman's black hair: drawn as
    a brown cap under the scene's grey drawing of the rest)."""
    upper = lab[(_head(fx, fy) < 1.0) & (fy < -1.0)]  # (N, 3): tested as pixels, not planes
    kept = colour_distance(upper, skin_lab, chroma_weight) > 2.0 * NOISE
    for wall in backgrounds:
        kept &= colour_distance(upper, wall, chroma_weight) > NOISE
    shadowed = kept & (upper[:, 0] < top[0] - 15.0)
    share = float(shadowed.sum()) / max(float(kept.sum()), 1.0)
    if share < 0.05:
        return None
    return median(upper[shadowed], axis=0), share


def _hair_hue(lab: np.ndarray) -> bool:
    """Coloured in a hue hair takes: red-brown to yellow-blonde."""
    return 25.0 <= float(np.degrees(np.arctan2(lab[2], lab[1]))) <= 100.0


def unlike_hair(lab: np.ndarray, skin_lab: np.ndarray) -> bool:
    """A colour no hair has: vivid (a red cap), or coloured in a hue hair never takes (blue, green,
    pink) or light and coloured (a pastel hat). Hair's hues run from red-brown to yellow-blonde:
    warm light makes brown hair as chroma-rich (28-36) as a dull cap, so only its hue tells them.
    A dull blue is black hair under a cold light, unless the skin beside it is warm: a light's cast
    tints both (a navy cap over warm skin was drawn as navy hair with a fringe of points)."""
    chroma = float(np.hypot(lab[1], lab[2]))
    warm_skin = float(np.hypot(skin_lab[1], skin_lab[2])) > 10.0 and _hair_hue(skin_lab)
    return chroma > 50.0 or (
        chroma > 12.0 and not _hair_hue(lab) and (chroma > 28.0 or lab[0] > 70.0 or warm_skin)
    )
