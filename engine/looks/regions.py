"""Where things are in an aligned face crop (its FaceFrame from face_frame.py): the regions
(face skin, hair incl. caps and hats, beard, neck, clothes, background) at half resolution.

Colour alone fails on grey cameras, dim light and skin tones that match the wall, so every region
is a colour model *and* a geometric prior from the landmarks: the face is a stylised oval fitted to
the eyes and mouth (widened or narrowed to the skin seen at the cheeks), hair is what differs from
the skin inside a head-shaped prior, background what matches the crop's border. Prototype colours
are sampled at places the alignment makes reliable (cheeks, top of the head, crop corners).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from .arrays import clamp
from .face_frame import FaceFrame
from .masks import clean_mask, fill_holes, joined_to, keep_largest, touching_edge
from .palette import Palette, steadied

_HEAD_CENTRE, _HEAD_AXES = (0.0, -0.35), (1.45, 1.5)  # head (hair) prior ellipse, face units
_COLOUR_CROP = 6.0  # chroma (90th percentile of the crop) above which a crop is a colour camera's
_CHEEKS = ((-0.48, 0.55), (0.48, 0.55), (0.0, 0.32))  # skin samples: both cheeks, nose bridge
_HAIR_SAMPLES = ((0.0, -1.45), (-1.15, -0.85), (1.15, -0.85))  # top of the head, both temples
# The crop's top edge and upper sides (fractions of its size): mostly wall in a head-framed crop.
_RING = np.array(
    [(x, 0.05) for x in (0.1, 0.3, 0.5, 0.7, 0.9)] + [(x, y) for x in (0.05, 0.95) for y in (0.2, 0.35)]
)
_NOISE = 9.0**2  # squared colour distance (`_distance`) within which two samples are alike
_COVER_CONTRAST = 30.0  # colour distance (in noise units) of a cap from the hair below it
_COVER_CHROMA = 15.0  # and its chroma difference (a, b units)


@dataclass(frozen=True)
class Regions:
    """Soft masks (float32 0..1, half resolution) and the colour of each region (CIELAB floats)."""

    face: np.ndarray  # facial skin inside the outline (fringe and beard excluded)
    face_shape: np.ndarray  # the whole face outline, filled (what the outline ink follows)
    hair: np.ndarray  # hair, caps and hats
    cover: np.ndarray  # the part of `hair` that is a cap or hat over the hair (zeros if none)
    beard: np.ndarray
    jaw_shadow: np.ndarray  # a shadow under the jaw on the face (drawn in the skin's shadow tone)
    neck: np.ndarray  # skin below the face (neck, shoulders)
    background: np.ndarray
    widths: tuple[float, float]
    hat_like: bool  # the head covering is too saturated or uniform to be hair: no hair highlight band
    in_colour: bool  # the crop has colour somewhere (not a grey camera): the skin is drawn in a hue
    palette: Palette  # the colours drawn, as the person's memory keeps them (palette.py)

    @property
    def skin_lab(self) -> np.ndarray:
        """(3,) L 0..100, a, b."""
        return self.palette.skin_lab

    @property
    def hair_lab(self) -> np.ndarray:
        return self.palette.hair_lab

    @property
    def cover_lab(self) -> np.ndarray:
        """The cap's colour (the hair's when there is none)."""
        cover = self.palette.cover_lab
        return self.palette.hair_lab if cover is None else cover


def lab_planes(bgr: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 CIELAB with L in 0..100 and a, b centred on 0."""
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    return lab


def light_plane(bgr: np.ndarray) -> np.ndarray:
    """Lightness 0..100 (luma, float32): cheaper than CIELAB L and as good for lines and measures."""
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32) * np.float32(100.0 / 255.0)


def skin_lightness(light: np.ndarray, frame: FaceFrame) -> float:
    """Median lightness of the cheeks in a full-resolution lightness plane."""
    # Box means, not medians: when landmark noise moves a patch by a pixel, a mean moves by a
    # fraction of a level, a median by whole levels (and every tone border follows it).
    points = frame.to_pixels(np.array(_CHEEKS))
    radius = max(2.0, 0.12 * frame.unit)
    side = (int(2 * radius) | 1,) * 2
    means = [cv2.getRectSubPix(light, side, (float(x), float(y))).mean() for x, y in points]
    return float(np.median(means))


def _patch_medians(lab: np.ndarray, centres: np.ndarray, radius: int) -> np.ndarray:
    """(K, C) medians of the square patches around (K, 2) centres, moved inside the image so all
    have one size: a single median over the stack (each np.median call costs ~50 us)."""
    h, w = lab.shape[:2]
    side_y, side_x = min(2 * radius + 1, h), min(2 * radius + 1, w)
    patches = []
    for x, y in np.asarray(centres, np.float64).reshape(-1, 2):
        x0 = int(clamp(int(clamp(x, 0, w - 1)) - radius, 0, w - side_x))
        y0 = int(clamp(int(clamp(y, 0, h - 1)) - radius, 0, h - side_y))
        patches.append(lab[y0 : y0 + side_y, x0 : x0 + side_x].reshape(-1, lab.shape[2]))
    return np.median(np.stack(patches), axis=1)


def _distance(lab: np.ndarray, ref: np.ndarray, chroma_weight: float) -> np.ndarray:
    d = lab - ref
    return d[..., 0] ** 2 + chroma_weight * (d[..., 1] ** 2 + d[..., 2] ** 2)


def _polygon_mask(points: np.ndarray, size: int, scale: float) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.round(points * scale * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) / 255.0


def _cheek_width(skin_like: np.ndarray, frame: FaceFrame, scale: float, side: float) -> float:
    """How far (face units) skin reaches at cheek height on one side, between 0.85 and 1.2."""
    steps = np.linspace(0.6, 1.35, 16)
    points = frame.to_pixels(np.column_stack([side * steps, np.full_like(steps, 0.45)])) * scale
    h = skin_like.shape[0]
    xs = clamp(points[:, 0].astype(int), 0, h - 1)
    ys = clamp(points[:, 1].astype(int), 0, h - 1)
    outside = np.nonzero(skin_like[ys, xs] < 0.5)[0]
    reach = steps[outside[0]] if len(outside) else steps[-1]
    return float(clamp(0.5 + 0.5 * reach / 0.98, 0.85, 1.2))


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
    noise = _NOISE

    def wall_like(c: np.ndarray) -> bool:
        return float(np.mean(_distance(ring, c, chroma_weight) < noise)) >= 0.5

    kept = [c for c in candidates if not wall_like(c)]
    if kept or chroma_weight <= 0.5:
        return kept or candidates
    down = np.column_stack([np.zeros(8), np.linspace(-1.4, -0.7, 8)])
    line = [c for c in _patch_medians(lab, frame.to_pixels(down) * scale, radius)
            if _distance(c, skin_lab, chroma_weight) > 2.0 * noise]  # fmt: skip
    off_wall = [float(_distance(ring, c, chroma_weight).min()) for c in line]
    best = sorted(range(len(line)), key=lambda i: -off_wall[i])[:2]
    return [line[i] for i in best if off_wall[i] > noise]


class _Colours(NamedTuple):
    """The colour prototypes a crop is segmented by (CIELAB floats)."""

    hair_refs: list[np.ndarray]  # the hair's (empty: bald, or hair like the skin or the wall)
    hair_lab: np.ndarray  # the hair's colour
    cover_lab: np.ndarray | None  # a cap's or hat's over the hair
    backgrounds: list[np.ndarray]  # the wall's, sampled at the crop's border
    scalp_like: bool  # skin-coloured just above the forehead (bald, unless hair is found there)


def _colours(
    lab: np.ndarray, frame: FaceFrame, scale: float, fx: np.ndarray, fy: np.ndarray, forehead: np.ndarray,
    skin_lab: np.ndarray, chroma_weight: float,
) -> _Colours:  # fmt: skip
    """The hair's, a cap's and the wall's colours of a small CIELAB crop (see find_regions)."""
    size = lab.shape[0]
    radius = max(1, int(0.1 * frame.unit * scale))
    hair_candidates = list(_patch_medians(lab, frame.to_pixels(np.array(_HAIR_SAMPLES)) * scale, radius))
    # The crown's colour is the median of the not-skin pixels above the forehead, not of one small
    # patch: real hair's highlights and shadows put a patch anywhere between (a black-haired head's
    # top patch was lit brown, and the rest of her hair taken for the wall).
    zone = (np.abs(fx) < 0.7) & (fy > -1.6) & (fy < -1.15)
    # Not-skin by the cheeks and by the forehead's own colour (lit and paler than the cheeks, it
    # mixed a dark-haired man's crown to mid-brown), when the forehead is skin-like at all.
    brow_mid = _patch_medians(lab, frame.to_pixels(np.array([[0.0, -0.7]])) * scale, radius)[0]
    crown = zone & (_distance(lab, skin_lab, chroma_weight) > 2.0 * _NOISE)
    forehead_like = _distance(brow_mid, skin_lab, chroma_weight) < 6.0 * _NOISE
    if forehead_like:
        crown &= _distance(lab, brow_mid, chroma_weight) > 2.0 * _NOISE
    crowned = bool(crown.sum() >= 0.25 * zone.sum() > 0)
    if crowned:
        hair_candidates[0] = np.median(lab[crown], axis=0)
    # A high forehead is lit paler and yellower towards its top (a laughing man's bowed head: half
    # the zone, and his dark hair was drawn light brown): when a fifth of the zone is clearly
    # darker than the forehead, that is the hair. Faded in from 15% to 25%, so a still face's noise
    # near the bar does not flip the hair's colour between frames.
    darker = crown & (lab[..., 0] < brow_mid[0] - 15.0)
    share = float(darker.sum()) / max(float(zone.sum()), 1.0)
    if crowned and forehead_like and share > 0.15:
        weight = min((share - 0.15) / 0.1, 1.0)
        whole = hair_candidates[0]
        hair_candidates[0] = whole + weight * (np.median(lab[darker], axis=0) - whole)
    noise = _NOISE
    border = max(1, size // 20)
    corners = [(border, border), (size - border, border), (border, size * 0.45), (size - border, size * 0.45)]
    ring = _patch_medians(lab, _RING * size, border)
    samples = [*_patch_medians(lab, np.array(corners), border), *ring]
    hair_like = _off_the_wall(lab, hair_candidates, ring, frame, scale, radius, skin_lab, chroma_weight)
    # Just above the forehead is hair or, on a bald head, skin: a sample there that is clearly not
    # skin is hair too (in a dim room the temples' samples are shadow, far darker than the fringe).
    above_lab = np.median(lab[forehead], axis=0) if forehead.any() else skin_lab
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
        or _distance(above_lab, skin_lab, chroma_weight) < 2.0 * noise
    ):
        above_lab = top
    if not trusted and _distance(above_lab, skin_lab, chroma_weight) > 2.0 * noise:
        trusted.append(above_lab)

    # Hair varies, lit and shadowed strands by 10-15 units of chroma: a border sample within 9
    # noise of its crown is hair. A dark one's chroma is mostly noise (black hair at the crop's top
    # edge differed from its lit crown by 13 units of it), so chroma counts as much as it is lit.
    def hair_distance(b: np.ndarray, c: np.ndarray) -> float:
        if not crowned:
            return _distance(b, c, chroma_weight)
        lit = float(clamp(min(b[0], c[0]) / 60.0, 0.1, 1.0))
        return _distance(b, c, chroma_weight * lit * lit)

    hair_likeness = [min(hair_distance(b, c) for c in trusted or hair_like or [above_lab]) for b in samples]
    reach = (9.0 if crowned else 1.0) * noise
    # A dark sample far outside the head (the crop's corners and upper sides) of another hue than
    # the crown is the wall: dark, its chroma hardly counts above, and a navy flag behind black
    # hair was taken for hair and drawn as a black mass around the head. (Light hair there, long
    # blonde hair spread to the crop's corners, is told by its colour; dark hair of the crown's hue
    # reaching a corner stays hair.)
    places = frame.to_face(np.vstack([np.array(corners), _RING * size]) / scale)
    far = (places[:, 0] / _HEAD_AXES[0]) ** 2 + ((places[:, 1] - _HEAD_CENTRE[1]) / _HEAD_AXES[1]) ** 2 > 2.5
    wall = [
        bool(f and b[0] < 30.0 and chroma_weight * float(np.sum((b[1:] - top[1:]) ** 2)) > 2.0 * noise)
        for b, f in zip(samples, far, strict=True)
    ]
    backgrounds = [b for b, d, w in zip(samples, hair_likeness, wall, strict=True) if d > reach or w] or [
        samples[int(np.argmax(hair_likeness))]
    ]
    # Every sample unlike the skin and unlike the wall is a hair prototype (blonde tops over darker
    # temples are common); a sample that matches the wall is the wall above a bald or cropped head.
    scalp_like = _distance(above_lab, skin_lab, chroma_weight) < 1.2 * noise
    hair_refs = [
        c for c in [*hair_like, above_lab]
        if _distance(c, skin_lab, chroma_weight) > (2.0 if c is not above_lab else 1.2) * noise
        and min(_distance(c, b, chroma_weight) for b in backgrounds) > noise
    ]  # fmt: skip
    # A cap or hat over the hair: the top of the head unlike the hair at both temples (it is then
    # drawn in its own colour, with its own outline, instead of dyeing the hair). Hair differs from
    # itself in lightness (a blonde top over shadowed temples: 50 L units), a cap from the hair in
    # colour: only a clear difference of chroma makes the top a cap. A single temple unlike the top
    # is the wall or a curtain beside the head (a redhead's, a dark-haired man's), not hair.
    cover_lab = None
    sides = [
        c for c in hair_like
        if c is not top and _distance(c, skin_lab, chroma_weight) > 2.0 * noise
    ]  # fmt: skip
    unlike_top = [
        c for c in sides
        if _distance(top, c, chroma_weight) > _COVER_CONTRAST * noise
        and float(np.hypot(*(top[1:] - c[1:]))) > _COVER_CHROMA
    ]  # fmt: skip
    capped = len(unlike_top) == len(sides) == 2 and any(c is top for c in hair_refs)
    if not capped:
        hair_refs = [c for c in hair_refs if not any(c is u for u in unlike_top)]
    # The hair's colour is the middle of its samples: the most skin-unlike one is often a shadow.
    hair_lab = (
        np.median(np.stack(hair_refs), axis=0)
        if hair_refs
        else max(hair_candidates, key=lambda c: _distance(c, skin_lab, chroma_weight))
    )
    if capped:
        cover_lab, hair_lab = top, np.median(np.stack(unlike_top), axis=0)
    return _Colours(hair_refs, hair_lab, cover_lab, backgrounds, scalp_like)


def _unlike_hair(lab: np.ndarray) -> bool:
    """A colour no hair has: vivid (a red cap), or coloured in a hue hair never takes (blue, green,
    pink) or light and coloured (a pastel hat). Hair's hues run from red-brown to yellow-blonde:
    warm light makes brown hair as chroma-rich (28-36) as a dull cap, so only its hue tells them."""
    chroma = float(np.hypot(lab[1], lab[2]))
    hue = float(np.degrees(np.arctan2(lab[2], lab[1])))
    hair_hue = 25.0 <= hue <= 100.0
    return chroma > 50.0 or (chroma > 12.0 and not hair_hue and (chroma > 28.0 or lab[0] > 70.0))


def find_regions(
    lab: np.ndarray, frame: FaceFrame, scale: float, out_size: int, prior: Palette | None = None
) -> Regions:
    """Segments a small CIELAB copy of the crop (`scale` = its size / the crop's; a quarter is
    plenty, regions are large) into masks of out_size x out_size. `prior`: the person's palette
    from their earlier drawings, which this one's colours are steadied by (palette.py)."""
    size = lab.shape[0]
    # Grey or colourless light carries no chroma to tell skin from hair: weigh chroma by how much
    # the cheeks have (at most 3x lightness, since chroma differences are smaller).
    cheeks = frame.to_pixels(np.array(_CHEEKS)) * scale
    skin_lab = np.median(_patch_medians(lab, cheeks, max(1, int(0.12 * frame.unit * scale))), axis=0)
    skin_chroma = float(np.hypot(skin_lab[1], skin_lab[2]))
    chroma_weight = float(clamp(skin_chroma / 6.0, 0.3, 3.0))
    fx, fy = frame.grid(size, scale)
    forehead = (np.abs(fx) < 0.45) & (fy > -1.25) & (fy < -0.9)
    colours = _colours(lab, frame, scale, fx, fy, forehead, skin_lab, chroma_weight)
    hair_refs, hair_lab, cover_lab, backgrounds, scalp_like = colours
    measured = Palette(skin_lab, hair_lab, cover_lab, float(cover_lab is not None))
    palette = steadied(measured, prior)
    skin_lab, hair_lab, cover_lab = palette.skin_lab, palette.hair_lab, palette.cover_lab
    has_hair = bool(hair_refs)  # else bald, or hair like the skin or the wall
    noise = _NOISE

    # Per-class cost: colour distance over a noise scale, minus the log of a geometric prior.
    d_skin = _distance(lab, skin_lab, chroma_weight) / noise
    d_hair = np.min([_distance(lab, c, chroma_weight) for c in hair_refs or [hair_lab]], axis=0) / noise
    d_bg = np.min([_distance(lab, b, chroma_weight) for b in backgrounds], axis=0) / noise
    # A turned head's mass lies behind its face (away from the nose) and its front is foreshortened.
    turned = (1.0 - frame.squeeze) * float(np.sign(frame.yaw))
    head_x = (fx - np.float32(_HEAD_CENTRE[0] - turned)) / np.float32(_HEAD_AXES[0] - 0.4 * abs(turned))
    head = head_x**2 + ((fy - _HEAD_CENTRE[1]) / _HEAD_AXES[1]) ** 2
    template_shape = _polygon_mask(frame.face_outline(), size, scale)
    inner_face = cv2.GaussianBlur(template_shape, (0, 0), 0.15 * frame.unit * scale)
    cost_skin = d_skin - 2.0 * inner_face
    cost_hair = d_hair + np.where(head < 1.0, 0.0, 1.5 + 3.0 * (head - 1.0)) + 2.5 * inner_face * (fy > -0.45)
    if not has_hair:
        cost_hair = cost_hair + 50.0
    cost_bg = d_bg + 3.0 * clamp(1.2 - head, 0.0, 1.0) + 4.0 * inner_face
    smooth = max(0.6, 0.05 * frame.unit * scale)  # spatial coherence: no speckled labels
    costs = np.stack(
        [cv2.GaussianBlur(c.astype(np.float32), (0, 0), smooth) for c in (cost_skin, cost_hair, cost_bg)]
    )
    label = np.argmin(costs, axis=0)

    # Bald: no hair just above the forehead. Then the dome is no hair cap, only side hair stays,
    # and the skin-coloured scalp is drawn as part of the face.
    bald = bool(scalp_like and forehead.any() and float(np.mean(label[forehead] == 1)) < 0.3)
    skin_like = (label == 0).astype(np.float32)
    widths = (_cheek_width(skin_like, frame, scale, -1.0), _cheek_width(skin_like, frame, scale, 1.0))
    out_scale = scale * out_size / size
    face_shape = _polygon_mask(frame.face_outline(widths), out_size, out_scale)
    if bald:
        scalp = clean_mask((label == 0) & (head < 1.0) & (fy < -0.6), frame.unit * scale)
        scalp_up = cv2.resize(scalp, (out_size, out_size), interpolation=cv2.INTER_LINEAR)
        face_shape = np.maximum(face_shape, cv2.GaussianBlur(scalp_up, (0, 0), 1.0))
    shape_small = cv2.resize(face_shape, (size, size), interpolation=cv2.INTER_AREA)
    # Ears: skin beside the face between the brows' and the nose's height, joined to its side
    # (short hair leaves them bare). They are drawn with the face and outlined with it: as hair
    # (skin-like strands inside the head are hair, below) they were a cap's flaps, as the scene a
    # pale blob by the cheek.
    unit = frame.unit * scale
    # A lit ear is often redder than the cheek and matched the hair: beside a darker head of hair
    # it is told by being much lighter than that hair, and not much darker than the skin.
    light = lab[..., 0]
    ear_like = (label == 0) | (label == 1) & (light > hair_lab[0] + 20.0) & (light > skin_lab[0] - 30.0)
    beside = ear_like & (shape_small < 0.5) & (fy > -0.7) & (fy < 0.7) & (np.abs(fx) < 1.45)
    # Not cleaned first: at a small crop's working size an ear is 2-3 pixels wide.
    ears = joined_to(beside, shape_small, sizes=(0.03 * unit * unit, 0.4 * unit * unit))
    if ears.any():
        ears = (cv2.GaussianBlur(ears, (0, 0), 0.08 * unit) > 0.5).astype(np.float32)  # rounded
        shape_small = np.maximum(shape_small, ears)
        ears_up = cv2.resize(ears, (out_size, out_size), interpolation=cv2.INTER_LINEAR)
        face_shape = np.maximum(face_shape, cv2.GaussianBlur(ears_up, (0, 0), 1.0))
    # Above and beside the face, inside the head, whatever is not background is hair (light
    # strands look like skin); further out only hair-coloured pixels are, down to the shoulders.
    in_head = (head < 1.0) & (shape_small < 0.5) & (fy < 0.6)
    # Long hair hangs beside the face; right under the jaw a dark patch is a collar or a shadow.
    hair_zone = (head < 1.7) & ((fy < 0.9) | ((np.abs(fx) > 1.05) & (fy < 1.6)))
    # Over the forehead a fringe is hair although it lies inside the outline; nowhere is hair far
    # outside the head (a dark flag or wall behind dark hair drew a black mass up to the crop's top).
    fringe = (fy < -0.3) & (head < 1.7)
    hair = (label == 1) & ((shape_small < 0.5) & hair_zone | fringe) | in_head & (label != 2)
    if bald:
        hair &= ~((fy < -0.7) & (np.abs(fx) < 1.0))
    if has_hair:
        # Light strands that match a pale wall leave bays in the hair: a wide closing inside the
        # head bridges them before the holes are filled.
        k = max(3, int(0.35 * frame.unit * scale) | 1)
        closed = cv2.morphologyEx(
            hair.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        )
        hair = hair | ((closed > 0) & (head < 1.0))
        hair = fill_holes(keep_largest(clean_mask(hair, frame.unit * scale))) * (1.0 - ears)
    else:
        hair = np.zeros((size, size), np.float32)
    cover = np.zeros((size, size), np.float32)
    if cover_lab is not None:
        nearer = _distance(lab, cover_lab, chroma_weight) < _distance(lab, hair_lab, chroma_weight)
        cover = keep_largest(clean_mask(nearer & (hair > 0.5) & (fy < -0.4), frame.unit * scale))
    # A beard: inside the outline below the lower lip or along the jaw, clearly darker than the
    # skin and not skin-coloured, whatever it matched (a bald man can have one; a beard next to
    # dark hair at the crop's edge can match that "background").
    # Along the jaw only hair-coloured pixels: a shadow under the jaw is dark too.
    dark = (label != 0) & (lab[..., 0] < skin_lab[0] - 18.0)
    chin = (fy > 1.25) & (np.abs(fx) < 0.7)
    jaw = (np.abs(fx) > 0.55) & (fy > 0.7) & (label == 1)
    dark &= (chin | jaw) & (shape_small > 0.5)
    # In warm light a shadow is richer than the lit skin (1.2-2x its chroma: a woman's shadowed
    # chin was drawn as a grey-brown beard); beard hair is greyer than the skin it grows on. Such
    # a shadow is drawn as the skin's own shadow tone (a cel shadow under the jaw).
    # Under grey light (a grey camera, a cold dim room: skin chroma near 0) a dark patch with a
    # hue of its own is still a shadow (a cold dim room drew stubble shadows as beards); only an
    # achromatic one can be told for a beard.
    warm = np.hypot(lab[..., 1], lab[..., 2]) >= max(0.9 * skin_chroma, 8.0)
    beard = clean_mask(dark & ~warm, frame.unit * scale)
    # Lips are dark and warm too (drawn as the mouth, features.py): with the chin under them they
    # made one pink blob over the lower face. A cast shadow lies along the jaw's edge; islands
    # inside the face (a smile's creases, a dimple) were drawn as blotches.
    corners = frame.to_face(frame.landmarks[3:])
    (mx, my), reach = corners.mean(axis=0), 0.2 + 0.5 * float(np.ptp(corners[:, 0]))
    lips = (np.abs(fy - my) < 0.3) & (np.abs(fx - mx) < reach)
    jaw_shadow = touching_edge(clean_mask(dark & warm & ~lips, frame.unit * scale), shape_small)
    centre = (np.abs(fx) < 0.25) & (fy > 1.3) & (fy < 1.7)
    if not centre.any() or beard[centre].mean() < 0.5:
        beard[:] = 0.0  # a beard covers the middle of the chin; a jaw's shadow does not
    # The neck is skin under the chin only: skin-coloured blobs at the sides (a hand, a wall) drew
    # an ear-shaped outline by the neck.
    below_chin = (fy > 1.5) & (np.abs(fx) < 0.9) & (shape_small < 0.5)
    neck = clean_mask((label == 0) & below_chin, frame.unit * scale)
    # Hair-coloured but beyond the head (and above the shoulders) is the wall, not the figure.
    wall = (label == 2) | (label == 1) & (hair < 0.5) & (head >= 1.7) & (fy < 0.9)
    background = cv2.GaussianBlur(wall.astype(np.float32), (0, 0), 0.7)

    up = (out_size, out_size)
    hair, cover, beard, jaw_shadow, neck, background = (
        cv2.resize(m, up, interpolation=cv2.INTER_LINEAR)
        for m in (hair, cover, beard, jaw_shadow, neck, background)
    )
    cover *= hair
    neck *= 1.0 - face_shape
    background = clamp(background - face_shape - hair - neck, 0.0, 1.0)
    face = clamp(face_shape - hair, 0.0, 1.0) * (1.0 - beard)
    hat_like = has_hair and _unlike_hair(hair_lab)
    masks = (face, face_shape, hair, cover, beard, jaw_shadow, neck, background)
    # A grey camera's crop has no chroma anywhere; a colour camera's in a cold dim room has some
    # in its clothes and walls (90th percentile 17-23) even where the skin measures grey.
    in_colour = float(np.percentile(np.hypot(lab[..., 1], lab[..., 2]), 90)) > _COLOUR_CROP
    return Regions(*masks, widths, hat_like, in_colour, palette)
