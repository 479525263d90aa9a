"""Flat colour: skin in two or three tones whose shadow is a stylised shape (under the fringe, one
side of the face, under the chin), never the photo's light; hair flat with darker clumps and a
highlight band; background and clothes flattened and posterised. All at half resolution.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from .arrays import clamp, mix
from .face_frame import FaceFrame
from .ink import iso_line
from .params import HairParams, LookParams
from .regions import Regions


def lab_to_bgr(lab: np.ndarray) -> np.ndarray:
    """float CIELAB (L 0..100, a/b centred) -> float32 BGR 0..255; any shape ending in 3."""
    flat = np.asarray(lab, np.float32).reshape(-1, 1, 3).copy()
    flat[..., 0] *= 2.55
    flat[..., 1:] += 128.0
    bgr = cv2.cvtColor(clamp(flat, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR)
    return bgr.reshape(np.shape(lab)).astype(np.float32)


def _shift(mask: np.ndarray, dx: float, dy: float) -> np.ndarray:
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(
        mask, matrix, mask.shape[::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _hard(mask: np.ndarray, blur: float) -> np.ndarray:
    """A crisp, anti-aliased version of a soft shape: blur away its wiggles, then a steep step."""
    smooth = cv2.GaussianBlur(mask, (0, 0), blur) if blur > 0 else mask
    return clamp((smooth - 0.5) * 4.0 + 0.5, 0.0, 1.0)


def skin_shadow(regions: Regions, frame: FaceFrame, scale: float) -> np.ndarray:
    """Where the one skin shadow tone goes: a cast shadow under the hair and a crescent on the
    face's far side from a light fixed up and to the viewer's left (not the photo's light)."""
    unit = frame.unit * scale
    light = -frame.across - 0.4 * frame.down  # the light comes from here
    under_hair = _shift(regions.hair, *(0.12 * unit * frame.down - 0.04 * unit * light))
    lit = _shift(regions.face_shape, *(0.2 * unit * light))
    crescent = clamp(regions.face_shape - lit, 0.0, 1.0)
    shapes = np.maximum(np.maximum(under_hair, crescent), regions.jaw_shadow)
    return _hard(shapes * regions.face, 0.04 * unit)


def skin_tones(params: LookParams, regions: Regions) -> tuple[np.ndarray, np.ndarray]:
    """(base, shadow) skin colours in CIELAB: the person's own hue, lifted towards anime light."""
    p = params.skin
    base = regions.skin_lab.astype(np.float32).copy()
    # Dark skin is lifted less: anime draws darker-skinned people darker, and so do we.
    base[0] += (p.target_light - base[0]) * p.lift * float(clamp(base[0] / 65.0, 0.3, 1.0))
    base[1:] *= p.saturation
    # Only a grey camera's skin stays grey: a colour camera's skin measured grey (a cold dim room's
    # blue cast) was drawn a grey-white ghost beside peach faces in the same frame.
    if regions.in_colour or np.hypot(base[1], base[2]) > 4.0:
        base[2] = max(base[2], p.warmth)
        base[1] = max(base[1], p.rosiness * base[2])
    shadow = base.copy()
    shadow[0] -= p.shadow_depth
    shadow[1:] *= 1.15  # shadows are richer, not greyer
    return base, shadow


def hair_layer(params: LookParams, regions: Regions, frame: FaceFrame, size: int, scale: float) -> np.ndarray:
    """Half-resolution float32 BGR hair: a base tone, locks and a zigzag highlight band.

    Locks are drawn, not traced: the photo's own dark strands came out as blotches with holes.
    Hair falls from the crown, so in polar coordinates around it every lock is a stripe of angle;
    the shade between two locks is a wedge that starts thin near the crown and widens to the tips."""
    p = params.hair
    base = regions.hair_lab.astype(np.float32).copy()
    # Light, coloured hair (blonde, red) is seen by its lit strands: its median read brown on a
    # golden head. Dark hair is drawn darker than its median (HairParams.dark_depth).
    chroma = float(np.hypot(base[1], base[2]))
    golden = min(max(chroma - 15.0, 0.0) * 0.4, 10.0) * float(clamp((base[0] - 30.0) / 20.0, 0.0, 1.0))
    if base[0] < p.dark_from:
        base[0] = max(p.dark_from - p.dark_depth * (p.dark_from - base[0]), 0.7 * base[0])
    base[0] = min(base[0] + p.lightness + golden, 85.0)
    # Under warm light black hair measures brown (Joey's at the table: b* 13, where its own median
    # is 8): a dark head's chroma is drawn at `dark_saturation` of the rest's, all of it from L 50.
    share = float(clamp((base[0] - 25.0) / 25.0, 0.0, 1.0))
    base[1:] *= p.saturation * (p.dark_saturation + (1.0 - p.dark_saturation) * share)
    shade = base.copy()
    # The locks' shade is a darker tone of the same hair: a light head's was brown (a share of
    # its lightness), so the share is taken of at most a mid tone's.
    shade[0] -= (1.0 - p.clump_depth) * min(base[0], 45.0)
    # The fields are smooth: found at half this size, upsampled, and only then cut into crisp shapes.
    fx, fy = frame.grid(size // 2, scale / 2)
    wave, radius = _locks(p, fx, fy)
    # The shade is the hair's lower part, cut upwards into thin spikes between locks (cel hair's
    # dark points); the top stays the base tone. Wedges from the crown read as a hat's panels.
    reach = _shade_reach(wave)
    hy = fy + 0.35  # around the head's centre
    ring = np.sqrt(fx * fx + hy * hy)
    # A band across the crown whose lower edge is a row of sharp teeth (the anime "angel ring").
    teeth = 0.09 * np.abs(((np.arctan2(hy, fx) * p.highlight_teeth / np.pi) % 2.0) - 1.0)
    inner, outer = p.highlight_band
    fields = np.dstack([radius - reach, ring - inner - teeth, np.minimum(outer - ring, -hy), wave])
    fields = cv2.resize(fields, (size, size), interpolation=cv2.INTER_LINEAR)
    locks = clamp(fields[..., 0] * 12.0, 0.0, 1.0)
    clumps = locks * regions.hair
    base_bgr, shade_bgr = lab_to_bgr(base), lab_to_bgr(shade)
    tone = mix(base_bgr, clumps, shade_bgr)
    if p.strand_lines > 0:
        box, strands = _strands(p, regions.hair, locks)
        # In a deeper tone; on black hair, where nothing is deeper, in a lighter sheen.
        line = shade.copy()
        line[0] = line[0] * 0.55 if base[0] >= 30.0 else base[0] + 16.0
        tone[box] = mix(tone[box], strands, lab_to_bgr(line))
    if p.highlight > 0 and not regions.hat_like:
        band = clamp(fields[..., 1] * 40.0, 0.0, 1.0) * clamp(fields[..., 2] * 40.0, 0.0, 1.0)
        # Broken where two locks meet: one sheen on each lock (a whole ring read as a halo).
        band *= clamp((1.0 - p.highlight_gaps - fields[..., 3]) * 12.0, 0.0, 1.0)
        glow = base.copy()
        glow[0] = min(max(base[0] + 22.0, p.highlight_light), 96.0)  # black hair's +22 was unseen
        glow[1:] *= 0.8
        alpha = p.highlight * band * (1.0 - clumps * 0.6)
        tone = mix(tone, alpha, lab_to_bgr(glow))
    return tone


def _strands(p: HairParams, hair: np.ndarray, locks: np.ndarray) -> tuple[tuple[slice, slice], np.ndarray]:
    """(box, coverage in it) of the hair's strand lines: each lock's shaded side edged, as cel
    hair is drawn (without them a head of hair was one flat helmet). Lines drawn on up from the
    shade's tips towards the crown, even short ones, read as a cap's panels on the dome. Inside
    the hair only (its outline is inked), found in the hair's box."""
    inside = cv2.erode(hair, None)
    rows, cols = np.nonzero(inside.any(axis=1))[0], np.nonzero(inside.any(axis=0))[0]
    if len(rows) == 0:
        return (slice(0, 0), slice(0, 0)), np.zeros((0, 0), np.float32)
    box = (slice(max(rows[0] - 1, 0), rows[-1] + 2), slice(max(cols[0] - 1, 0), cols[-1] + 2))
    edged = iso_line(locks[box], p.strand_lines * hair.shape[0] / 128.0)
    return box, edged * inside[box]


def _shade_reach(wave: np.ndarray) -> np.ndarray:
    """How far from the crown (face units) a lock's shade begins: lowest in its middle, and up to
    0.6 higher between two locks (the shade's spikes)."""
    return 1.4 - 0.6 * wave**6


def _locks(p: HairParams, fx: np.ndarray, fy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(wave, radius) of the locks at face coordinates: wave is 0 in the middle of a lock and 1
    between two; radius is the distance from the crown (face units)."""
    dx, dy = fx - p.crown[0], fy - p.crown[1]
    angle = np.arctan2(dx, dy)  # 0 straight down from the crown
    phase = angle * p.locks / np.pi + 0.12 * np.sin(3.0 * angle)
    wave = np.abs((phase % 2.0) - 1.0)
    return wave, np.sqrt(dx * dx + dy * dy)


def _hanging_locks(
    fx: np.ndarray, fy: np.ndarray, width: float, lean: float
) -> tuple[np.ndarray, np.ndarray]:
    """(wave, number) of locks hanging side by side at face coordinates, `width` face units apart
    and leaning `lean` units across per unit down; wave as `_locks`'. (Laid out around the crown as
    the other locks are, a short head's fringe got a few thin spikes in its middle, and its rim
    still read as a beanie's.)"""
    phase = (fx + lean * (fy + 1.0)) * (2.0 / width) + 0.5
    return np.abs((phase % 2.0) - 1.0), np.round(phase / 2.0)


def _rows_to(mask: np.ndarray, upwards: bool) -> np.ndarray:
    """Per pixel, how many rows up (or down) its column's nearest pixel of `mask` is, not counting
    itself (a large number where there is none)."""
    h = mask.shape[0]
    rows = np.arange(h, dtype=np.float32)[:, None]
    if upwards:
        last = np.maximum.accumulate(np.where(mask, rows, np.float32(-4 * h)), axis=0)
        return rows - np.vstack([np.full((1, mask.shape[1]), -4 * h, np.float32), last[:-1]])
    flipped = np.where(mask, rows, np.float32(5 * h))[::-1]
    nearest = np.minimum.accumulate(flipped, axis=0)[::-1]
    return np.vstack([nearest[1:], np.full((1, mask.shape[1]), 5 * h, np.float32)]) - rows


def _hung_locks(
    hair: np.ndarray, grow: np.ndarray, room: np.ndarray, cut_band: np.ndarray,
    wave: np.ndarray, number: np.ndarray, length: float,
) -> np.ndarray:  # fmt: skip
    """`hair` (a box of the mask) with its lower edges cut into pointed locks: each lock's middle
    hung down its column by up to `length` px where `grow` allows, and between two locks a notch
    cut up into the hair from `room` (what lies below it) where `cut_band` allows, so every lock
    ends in a point. `wave`, `number`: the locks' layout (`_hanging_locks`). Columns are the
    face's down: the crop is aligned upright."""
    # Locks of unequal length (0.6-1x), as drawn bangs are: equal ones were a comb's teeth.
    reach = length * (0.6 + 0.4 * np.abs(np.sin(2.4 * number + 0.7)))
    hang = reach * clamp(1.0 - 2.0 * wave, 0.0, 1.0)  # its reach in a lock's middle, 0 halfway out
    # Notches half as deep: cut as deep as the locks hang, short hair's thin rim was cut through.
    notch = 0.5 * length * clamp(2.0 * wave - 1.0, 0.0, 1.0)
    hung = clamp(hang + 1.0 - _rows_to(hair > 0.5, upwards=True), 0.0, 1.0)
    cut = clamp(notch + 1.0 - _rows_to(room > 0.5, upwards=False), 0.0, 1.0)
    return np.maximum(hair, hung * grow) * (1.0 - cut * cut_band)


def _box(band: np.ndarray, margin: int) -> tuple[slice, slice] | None:
    """The box of `band`'s non-zero pixels grown by `margin` (None when there are none)."""
    rows, cols = np.nonzero(band.any(axis=1))[0], np.nonzero(band.any(axis=0))[0]
    if len(rows) == 0:
        return None
    size = band.shape[0]
    return (
        slice(max(rows[0] - margin, 0), min(rows[-1] + margin + 1, size)),
        slice(max(cols[0] - margin, 0), min(cols[-1] + margin + 1, size)),
    )


def _fringe_lean(p: HairParams, hair: np.ndarray, fx: np.ndarray, fy: np.ndarray) -> float:
    """How far (face units across per unit down) the fringe's locks sweep: towards the side where
    the hair hangs lower over the forehead (a side-swept fringe, a parting on the other side),
    fully from a quarter unit's difference; over an even hairline a little away from the look's
    parting (`p.crown`). Everyone's bangs swept one way, against Jennifer's and Courteney's own."""
    over = (hair > 0.5) & (fy < -0.2) & (fy > -1.6)
    lowest = np.where(over, fy, -np.inf).max(axis=0)  # per column: how low the hair reaches
    across = fx[fx.shape[0] // 2]  # the face's x along the middle row, per column
    depth = []
    for side in (-1.0, 1.0):
        columns = (side * across > 0.15) & (side * across < 0.75) & np.isfinite(lowest)
        depth.append(float(lowest[columns].mean()) if columns.any() else np.nan)
    lower_right = depth[1] - depth[0]  # > 0: the hair hangs lower on the +x side
    if not np.isfinite(lower_right):
        lower_right = 0.0
    default = 0.5 * float(np.sign(p.crown[0]))
    return p.fringe_lean * float(clamp(default - lower_right / 0.25, -1.0, 1.0))


def _fringe(
    p: HairParams, hair: np.ndarray, face_shape: np.ndarray, grid: tuple[np.ndarray, np.ndarray], unit: float
) -> np.ndarray:
    """The hair's edge over the forehead cut into pointed locks (anime bangs, not a bowl's rim):
    each lock's middle hangs down by up to `p.fringe` face units (stopping above the brows), and
    between two locks a notch is cut up into the hair, so every lock ends in a point. `grid`: the
    masks' face coordinates; `unit`: a face unit in their pixels."""
    length = p.fringe * unit  # pixels at this size
    if length < 1.0:
        return hair
    fx, fy = grid
    band = clamp((0.95 - np.abs(fx)) / 0.15, 0.0, 1.0) * clamp((fy + 1.3) / 0.1, 0.0, 1.0)
    band *= clamp((-0.2 - fy) / 0.1, 0.0, 1.0)
    # Only the forehead's box (and the locks' reach below it) is worked on: a tenth of the mask.
    box = _box(band, int(length) + 1)
    if box is None:
        return hair
    # The locks stop a quarter unit above the brows: reaching them, they hid the forehead's shape
    # that identity is read by (bench/look's rank-1 70% -> 63%, at -0.6: 66%).
    above_brows = clamp((-0.6 - fy[box]) / 0.08, 0.0, 1.0)
    lean = _fringe_lean(p, hair, fx, fy)
    wave, number = _hanging_locks(fx[box], fy[box], p.fringe_width, lean)
    sub_hair, sub_face = hair[box], face_shape[box]
    skin = sub_face * (1.0 - sub_hair)
    out = hair.copy()
    grow = band[box] * above_brows * sub_face
    out[box] = _hung_locks(sub_hair, grow, skin, band[box], wave, number, length)
    return out


def _side_locks(
    p: HairParams, hair: np.ndarray, face_shape: np.ndarray, grid: tuple[np.ndarray, np.ndarray], unit: float
) -> np.ndarray:
    """The hair's lower edges beside and below the face (a short cut's sides, long hair's ends)
    cut into pointed locks hanging down by up to `p.side_tips` face units, into what is neither
    hair nor face: there a rounded edge read as a beret's or a bob's rim (`grid`, `unit`: as
    `_fringe`'s)."""
    length = p.side_tips * unit
    if length < 1.0:
        return hair
    fx, fy = grid
    band = clamp((np.abs(fx) - 0.8) / 0.15, 0.0, 1.0) * clamp((fy + 0.9) / 0.15, 0.0, 1.0)
    room = (1.0 - face_shape) * (1.0 - hair)
    # Worked on in a box round each side's lower edges only (hair with room right below it).
    below = np.vstack([room[1:], np.zeros((1, room.shape[1]), np.float32)])
    edges = (hair > 0.5) & (below > 0.5) & (band > 0)
    out = hair.copy()
    for side in (fx < 0, fx >= 0):
        box = _box(edges & side, int(length) + 1)
        if box is None:
            continue
        wave, number = _hanging_locks(fx[box], fy[box], p.side_tip_width, 0.0)
        grow, sub_room = band[box] * room[box], room[box]
        out[box] = _hung_locks(out[box], grow, sub_room, band[box], wave, number, length)
    return out


def lock_tips(params: LookParams, regions: Regions, frame: FaceFrame, scale: float) -> Regions:
    """The hair's edge cut into pointed lock tips (a fringe of points, not a bowl's rim): the soft
    mask grows in the middle of each lock and shrinks between locks, then is cut crisp again."""
    p = params.hair
    # A hat is not cut into locks (a red cap's rim was a jester's row of points).
    if p.tips <= 0 or not regions.hair.any() or regions.hat_like:
        return regions
    size = regions.hair.shape[0]
    fx, fy = frame.grid(size // 2, scale / 2)
    wave, radius = _locks(p, fx, fy)
    # Tips only where locks end, away from the crown (there all locks meet in a spike), and only
    # where hair falls: above the crown a tip points up (a top-knot on every head).
    falling = clamp((fy - p.crown[1] + 0.1) / 0.3, 0.0, 1.0)
    cut = (0.5 - wave) * clamp((radius - 0.55) / 0.3, 0.0, 1.0) * falling
    cut = cv2.resize(cut, (size, size), interpolation=cv2.INTER_LINEAR)
    soft = cv2.GaussianBlur(regions.hair, (0, 0), 0.1 * frame.unit * scale)
    # The step is steep (x6), so no tip reaches where the soft mask is near 0 (no stray lines).
    hair = clamp((soft - 0.5 + p.tips * cut) * 6.0 + 0.5, 0.0, 1.0) * (soft > 0.02)
    if p.fringe > 0 or p.side_tips > 0:
        grid, unit = frame.grid(size, scale), frame.unit * scale
        if p.fringe > 0:
            hair = _fringe(p, hair, regions.face_shape, grid, unit)
        if p.side_tips > 0:
            hair = _side_locks(p, hair, regions.face_shape, grid, unit)
    face = clamp(regions.face_shape - hair, 0.0, 1.0) * (1.0 - regions.beard)
    # What the cut frees beside the face is background again (else a sliver with two outlines).
    freed = clamp(regions.hair - hair, 0.0, 1.0) * (1.0 - regions.face_shape)
    background = clamp(regions.background + freed - hair, 0.0, 1.0)
    return replace(regions, hair=hair, face=face, background=background)


def _graded_background(half_bgr: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The background as a gentle gradient of its own colours: a normalised 8 x 8 average of the
    pixels the mask calls background, smoothly upsampled (posterising it left white blobs)."""
    size = half_bgr.shape[1], half_bgr.shape[0]
    weight = cv2.resize(background, (8, 8), interpolation=cv2.INTER_AREA)[..., None]
    masked = half_bgr.astype(np.float32) * background[..., None]
    colour = cv2.resize(masked, (8, 8), interpolation=cv2.INTER_AREA)
    mean = colour.reshape(-1, 3).sum(axis=0) / max(float(weight.sum()), 1e-3)
    # Cells with little background borrow the overall colour, so the head leaves no halo.
    filled = (colour + (0.05 * mean)) / (weight + 0.05)
    return cv2.resize(filled, size, interpolation=cv2.INTER_CUBIC)


def flat_scene(params: LookParams, half_bgr: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Clothes and body: edge-preserving flattening, then posterised lightness; the background
    behind them a gentle gradient in the same palette. All at half the given size again (neither
    needs detail; the ink draws their edges) and upsampled once."""
    size = half_bgr.shape[1], half_bgr.shape[0]
    small_size = (size[0] // 2, size[1] // 2)
    small = cv2.resize(half_bgr, small_size, interpolation=cv2.INTER_AREA)
    behind = cv2.resize(background, small_size, interpolation=cv2.INTER_AREA)
    flat = cv2.medianBlur(cv2.bilateralFilter(small, 5, 40.0, 3.0), 3).astype(np.float32)
    flat = mix(flat, behind, _graded_background(small, behind))
    lab = cv2.cvtColor(clamp(flat, 0, 255).astype(np.uint8), cv2.COLOR_BGR2Lab).astype(np.float32)
    levels = max(params.background_levels - 1, 1)
    light = lab[..., 0] / 255.0
    steps = np.round(light * levels) / levels * 0.8 + 0.2 * light
    # The gradient behind is already flat: posterising it would only draw bands across it.
    steps += behind * (light - steps)
    lab[..., 0] = (steps + 0.05) * 255.0
    lab[..., 1:] = (lab[..., 1:] - 128.0) * params.background_saturation + 128.0
    out = cv2.cvtColor(clamp(lab, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR)
    return cv2.resize(out, size, interpolation=cv2.INTER_LINEAR).astype(np.float32)


def colour_layer(
    params: LookParams,
    regions: Regions,
    frame: FaceFrame,
    half_bgr: np.ndarray,
    scale: float,
) -> np.ndarray:
    """The flat-colour picture at half resolution (float32 BGR), before ink and features."""
    picture = flat_scene(params, half_bgr, regions.background)
    base, shadow = skin_tones(params, regions)
    base_bgr, shadow_bgr = lab_to_bgr(base), lab_to_bgr(shadow) * np.float32(params.skin.shadow_tint)
    shade = skin_shadow(regions, frame, scale)
    picture = mix(picture, regions.face, mix(base_bgr, shade, shadow_bgr))
    picture = mix(picture, regions.neck, shadow_bgr)
    picture = mix(picture, regions.hair, hair_layer(params, regions, frame, half_bgr.shape[0], scale))
    if regions.cover.any():  # a cap: flat, its own colour, a darker band along its lower edge
        cover = lab_to_bgr(regions.cover_lab) * np.float32(1.08)
        brim = cv2.GaussianBlur(regions.cover, (0, 0), 0.06 * frame.unit * scale)
        shade = clamp((1.0 - brim) * 3.0 - 0.2, 0.0, 1.0) * regions.cover
        cap = mix(cover, 0.3 * shade, np.float32([0, 0, 0]))
        picture = mix(picture, regions.cover, cap)
    # A beard is one flat tone between the skin's shadow and the hair (strokes are drawn on top).
    beard = 0.45 * shadow_bgr + 0.55 * lab_to_bgr(regions.hair_lab)
    return mix(picture, regions.beard, beard)
