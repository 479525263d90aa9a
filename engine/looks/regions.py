"""Where things are in an aligned face crop (its FaceFrame from face_frame.py): the regions
(face skin, hair incl. caps and hats, beard, neck, clothes, background) at half resolution.

Colour alone fails on grey cameras, dim light and skin tones that match the wall, so every region
is a colour model *and* a geometric prior from the landmarks: the face is a stylised oval fitted to
the eyes and mouth (widened or narrowed to the skin seen at the cheeks), hair is what differs from
the skin inside a head-shaped prior, background what matches the crop's border. Prototype colours
are sampled at places the alignment makes reliable (cheeks, top of the head, crop corners).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .arrays import clamp, median
from .colours import (
    HEAD_AXES,
    HEAD_CENTRE,
    NOISE,
    colour_distance,
    patch_medians,
    sample_colours,
    unlike_hair,
)
from .face_frame import FaceFrame
from .masks import (
    apart_from,
    clean_mask,
    fill_holes,
    hanging_from,
    joined_to,
    keep_largest,
    reaching,
    touching_edge,
    without_slivers,
)
from .palette import Palette, steadied, steadied_mask, steadied_widths

_COLOUR_CROP = 6.0  # chroma (90th percentile of the crop) above which a crop is a colour camera's
# From this yaw on (frame.yaw: +-0.4 at three quarters) the ear on the side the nose points to is
# hidden: skin there beyond the narrowed outline is the cheek or the nose in profile, and drawn as
# an ear it stuck out of the face like a spike.
_EAR_HIDDEN_YAW = 0.15
_EAR_REACH = 1.45  # face units from the face's middle that an ear reaches at most
_CHEEKS = ((-0.48, 0.55), (0.48, 0.55), (0.0, 0.32))  # skin samples: both cheeks, nose bridge


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
    return float(median(np.asarray(means), axis=0))


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


def find_regions(
    lab: np.ndarray, frame: FaceFrame, scale: float, out_size: int, prior: Palette | None = None
) -> Regions:
    """Segments a small CIELAB copy of the crop (`scale` = its size / the crop's; a quarter is
    plenty, regions are large) into masks of out_size x out_size. `prior`: the person's palette
    from their earlier drawings, which this one's colours are steadied by (palette.py)."""
    size = lab.shape[0]
    # Grey or colourless light carries no chroma to tell skin from hair: weigh chroma by how much
    # the cheeks have (at most 3x lightness, since chroma differences are smaller).
    unit = frame.unit * scale  # a face unit in this crop's pixels
    cheeks = frame.to_pixels(np.array(_CHEEKS)) * scale
    skin_lab = median(patch_medians(lab, cheeks, max(1, int(0.12 * unit))), axis=0)
    skin_chroma = float(np.hypot(skin_lab[1], skin_lab[2]))
    chroma_weight = float(clamp(skin_chroma / 6.0, 0.3, 3.0))
    fx, fy = frame.grid(size, scale)
    forehead = (np.abs(fx) < 0.45) & (fy > -1.25) & (fy < -0.9)
    colours = sample_colours(lab, frame, scale, fx, fy, forehead, skin_lab, chroma_weight)
    hair_refs, hair_lab, cover_lab, backgrounds, scalp_like = colours
    measured = Palette(skin_lab, hair_lab, cover_lab, float(cover_lab is not None))
    palette = steadied(measured, prior)
    skin_lab, hair_lab, cover_lab = palette.skin_lab, palette.hair_lab, palette.cover_lab
    has_hair = bool(hair_refs)  # else bald, or hair like the skin or the wall
    noise = NOISE

    # Per-class cost: colour distance over a noise scale, minus the log of a geometric prior.
    d_skin = colour_distance(lab, skin_lab, chroma_weight) / noise
    d_hair = np.min([colour_distance(lab, c, chroma_weight) for c in hair_refs or [hair_lab]], axis=0) / noise
    d_bg = np.min([colour_distance(lab, b, chroma_weight) for b in backgrounds], axis=0) / noise
    # A turned head's mass lies behind its face (away from the nose) and its front is foreshortened.
    turned = (1.0 - frame.squeeze) * float(np.sign(frame.yaw))
    head_x = (fx - np.float32(HEAD_CENTRE[0] - turned)) / np.float32(HEAD_AXES[0] - 0.4 * abs(turned))
    head = head_x**2 + ((fy - HEAD_CENTRE[1]) / HEAD_AXES[1]) ** 2
    template_shape = _polygon_mask(frame.face_outline(), size, scale)
    inner_face = cv2.GaussianBlur(template_shape, (0, 0), 0.15 * unit)
    cost_skin = d_skin - 2.0 * inner_face
    cost_hair = d_hair + np.where(head < 1.0, 0.0, 1.5 + 3.0 * (head - 1.0)) + 2.5 * inner_face * (fy > -0.45)
    if not has_hair:
        cost_hair = cost_hair + 50.0
    cost_bg = d_bg + 3.0 * clamp(1.2 - head, 0.0, 1.0) + 4.0 * inner_face
    smooth = max(0.6, 0.05 * unit)  # spatial coherence: no speckled labels
    costs = np.stack(
        [cv2.GaussianBlur(c.astype(np.float32), (0, 0), smooth) for c in (cost_skin, cost_hair, cost_bg)]
    )
    label = np.argmin(costs, axis=0)

    # Bald: no hair just above the forehead. Then the dome is no hair cap, only side hair stays,
    # and the skin-coloured scalp is drawn as part of the face.
    bald = bool(scalp_like and forehead.any() and float(np.mean(label[forehead] == 1)) < 0.3)
    skin_like = (label == 0).astype(np.float32)
    widths = (_cheek_width(skin_like, frame, scale, -1.0), _cheek_width(skin_like, frame, scale, 1.0))
    widths = steadied_widths(widths, None if prior is None else prior.widths)
    out_scale = scale * out_size / size
    face_shape = _polygon_mask(frame.face_outline(widths), out_size, out_scale)
    if bald:
        scalp = clean_mask((label == 0) & (head < 1.0) & (fy < -0.6), unit)
        scalp_up = cv2.resize(scalp, (out_size, out_size), interpolation=cv2.INTER_LINEAR)
        face_shape = np.maximum(face_shape, cv2.GaussianBlur(scalp_up, (0, 0), 1.0))
    shape_small = cv2.resize(face_shape, (size, size), interpolation=cv2.INTER_AREA)
    # Ears: skin beside the face between the brows' and the nose's height, joined to its side
    # (short hair leaves them bare). They are drawn with the face and outlined with it: as hair
    # (skin-like strands inside the head are hair, below) they were a cap's flaps, as the scene a
    # pale blob by the cheek.
    # A lit ear is often redder than the cheek and matched the hair: beside a darker head of hair
    # it is told by being much lighter than that hair, and not much darker than the skin.
    light = lab[..., 0]
    ear_like = (label == 0) | (label == 1) & (light > hair_lab[0] + 20.0) & (light > skin_lab[0] - 30.0)
    # Looked for a little further out than an ear reaches: skin that goes on past it is an arm, a
    # hand or a wall (a man's arm behind his head was joined at the cheek and drawn as a spike).
    beside = ear_like & (shape_small < 0.5) & (fy > -0.7) & (fy < 0.7) & (np.abs(fx) < _EAR_REACH + 0.15)
    if abs(frame.yaw) >= _EAR_HIDDEN_YAW:  # turned: the ear on the nose's side is behind the cheek
        beside &= fx * frame.yaw <= 0.0
    # Not cleaned first: at a small crop's working size an ear is 2-3 pixels wide.
    ears = joined_to(beside, shape_small, sizes=(0.03 * unit * unit, 0.4 * unit * unit))
    ears *= 1.0 - reaching(ears, np.abs(fx) > _EAR_REACH)
    if ears.any():
        ears = (cv2.GaussianBlur(ears, (0, 0), 0.08 * unit) > 0.5).astype(np.float32)  # rounded
    # A piece's size near its bounds, or the skin's colour near the hair's, flipped an ear between
    # noisy frames: steadied like the hair (palette.py).
    remembered = {} if prior is None else prior.shares
    ears, ear_share = steadied_mask(ears, remembered.get("ears"))
    if ears.any():
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
        k = max(3, int(0.35 * unit) | 1)
        closed = cv2.morphologyEx(
            hair.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        )
        hair = hair | ((closed > 0) & (head < 1.0))
        hair = fill_holes(keep_largest(clean_mask(hair, unit))) * (1.0 - ears)
        # Long hair falls past the jaw beside the neck: below the hair zone, hair-coloured pixels
        # that hang from the hair above, row by row, are hair (a shirt or a suit by the neck is
        # reached only through skin or wall, and extending the zone down drew them as hair).
        # Only in the colour of the hair hanging there already, beside the cheeks (a dark red
        # shirt matched a brown-haired man's hair, and hung from his sideburn), and only from a
        # lock of some size there (0.3 face units square: long hair on the table of six had
        # 0.56-0.65, the short-haired men's sideburns and shadows up to 0.24, and hanging from
        # those on some noisy frames made a still man's drawing flicker 40% more).
        side = (hair > 0.5) & (np.abs(fx) > 0.9) & (fy > 0.4) & (fy < 0.9)
        if side.sum() >= 0.3 * unit * unit:
            locks = median(lab[side], axis=0)
            row = round(float(frame.to_pixels(np.array([[0.0, 0.9]]))[0, 1]) * scale)
            below = (np.abs(fx) > 1.0) & (fy >= 0.9) & (shape_small < 0.5)
            below &= colour_distance(lab, locks, chroma_weight) < 3.0 * noise
            hair = np.maximum(hair, clean_mask(hanging_from(hair, below, row), unit))
        # Below the temples, hair beside the face is a lock of some width (long hair falls there);
        # a sliver along the cheek is its shadow, or the dark frame of a window behind short hair
        # (Obama's portrait: drawn as a dark "headphone" disc by his ear).
        hair = without_slivers(hair, (fy > -0.5) & (np.abs(fx) > 0.75), int(0.3 * unit) | 1)
        # A piece above the head that touches neither the face nor the rest of the hair is the wall
        # (a pale curtain's fold over a white-haired man was drawn as a halo).
        stray = apart_from(hair, shape_small) * (fy < -1.0)
        hair = hair * (1.0 - stray)
    else:
        hair = stray = np.zeros((size, size), np.float32)
    hair, hair_share = steadied_mask(hair, remembered.get("hair"))
    palette = replace(palette, shares={"hair": hair_share, "ears": ear_share}, widths=widths)
    cover = np.zeros((size, size), np.float32)
    if cover_lab is not None:
        cap_distance = colour_distance(lab, cover_lab, chroma_weight)
        nearer = cap_distance < colour_distance(lab, hair_lab, chroma_weight)
        cover = fill_holes(keep_largest(clean_mask(nearer & (hair > 0.5) & (fy < -0.4), unit))) * (hair > 0.5)
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
    beard = clean_mask(dark & ~warm, unit)
    # Lips are dark and warm too (drawn as the mouth, features.py): with the chin under them they
    # made one pink blob over the lower face. A cast shadow lies along the jaw's edge; islands
    # inside the face (a smile's creases, a dimple) were drawn as blotches.
    corners = frame.to_face(frame.landmarks[3:])
    (mx, my), reach = corners.mean(axis=0), 0.2 + 0.5 * float(np.ptp(corners[:, 0]))
    lips = (np.abs(fy - my) < 0.3) & (np.abs(fx - mx) < reach)
    jaw_shadow = touching_edge(clean_mask(dark & warm & ~lips, unit), shape_small)
    centre = (np.abs(fx) < 0.25) & (fy > 1.3) & (fy < 1.7)
    if not centre.any() or beard[centre].mean() < 0.5:
        beard[:] = 0.0  # a beard covers the middle of the chin; a jaw's shadow does not
    # The neck is skin under the chin only: skin-coloured blobs at the sides (a hand, a wall) drew
    # an ear-shaped outline by the neck.
    below_chin = (fy > 1.5) & (np.abs(fx) < 0.9) & (shape_small < 0.5)
    neck = clean_mask((label == 0) & below_chin, unit)
    # Hair-coloured but beyond the head (and above the shoulders) is the wall, not the figure.
    wall = (label == 2) | (label == 1) & (hair < 0.5) & (head >= 1.7) & (fy < 0.9) | (stray > 0.5)
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
    hat_like = has_hair and unlike_hair(hair_lab, skin_lab)
    masks = (face, face_shape, hair, cover, beard, jaw_shadow, neck, background)
    # A grey camera's crop has no chroma anywhere; a colour camera's in a cold dim room has some
    # in its clothes and walls (90th percentile 17-23) even where the skin measures grey.
    in_colour = float(np.percentile(np.hypot(lab[..., 1], lab[..., 2]), 90)) > _COLOUR_CROP
    return Regions(*masks, widths, hat_like, in_colour, palette)
