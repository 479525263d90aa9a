"""What one anime look is: typed parameters with every default in one place, and the built-in looks.

Lengths are in pixels of a 256 px crop (they scale with the crop), colours BGR 0..255, tones in
CIELAB L (0..100). A look is pure data; engine/looks/style.py draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class InkParams:
    colour: tuple[int, int, int] = (40, 28, 34)  # warm near-black, like printed anime line art
    outline_width: float = 2.6  # closed face, hair and body outline
    line_width: float = 1.6  # inner lines (XDoG, brows, nose, mouth)
    xdog_sigma: float = 1.3  # inner Gaussian of the difference of Gaussians
    xdog_threshold: float = 2.2  # DoG response (L units) where ink starts
    face_threshold: float = 6.0  # inside the face only strong edges (glasses, beard) ink
    min_blob: int = 24  # ink blobs smaller than this many pixels are noise, not lines


@dataclass(frozen=True)
class SkinParams:
    lift: float = 0.45  # 0..1: skin L moved this far towards `target_light` (anime skin is light)
    target_light: float = 88.0
    saturation: float = 1.1
    # Anime skin is peach: at least this b* (yellow) and a* (red) per unit of b*. Pale, neutral
    # photo skin (a* 1-2, b* 11-16) was drawn grey-white, and beside a warm scene read as grey.
    # Grey cameras (no chroma to go by) keep their grey.
    warmth: float = 14.0
    rosiness: float = 0.4
    shadow_depth: float = 13.0  # L units of the one flat shadow tone
    shadow_tint: tuple[float, float, float] = (1.0, 0.96, 1.08)  # BGR gain: shadows lean warm/rosy
    blush: float = 0.45  # 0..1 opacity of the cheek blush
    blush_colour: tuple[int, int, int] = (120, 110, 240)
    blush_hatching: bool = True


@dataclass(frozen=True)
class HairParams:
    saturation: float = 1.2
    lightness: float = 4.0  # L units added to the hair's base tone
    # Dark hair is drawn darker than the photo's median: below `dark_from` L its distance from it
    # is multiplied by `dark_depth` (at most down to 0.7x its L). A photo's black hair has lit
    # strands and sheen in its median (L 32-39 on the table of six, Obama's 34): drawn at that,
    # it was a mid-brown or grey cap, where anime draws black hair near black.
    dark_from: float = 50.0
    dark_depth: float = 1.6
    dark_saturation: float = 0.5  # share of `saturation` a head drawn at L 25 or darker gets (see shading)
    clump_depth: float = 0.62  # shade tone = base L times this (0..1, lower = darker locks)
    locks: float = 7.0  # locks per half turn around the crown
    crown: tuple[float, float] = (0.12, -1.25)  # where the hair falls from (face units; off-centre parting)
    tips: float = 0.6  # how far lock tips cut into the hair's edge (0 = smooth; above 0.66 they tear off)
    fringe: float = 0.4  # how far the locks over the forehead hang down in points (face units; 0 = none)
    fringe_width: float = 0.36  # face units from one lock of the fringe to the next
    fringe_lean: float = 0.35  # how far (face units across per unit down) the fringe sweeps from the parting
    side_tips: float = 0.4  # how far the locks of the hair's lower edges beside the face hang in points
    side_tip_width: float = 0.3  # face units from one of those locks to the next
    highlight: float = 0.6  # 0..1 strength of the highlight band
    # The band's reach from the head's middle (face units): from 1.06 to 1.17 it was 1-3 px wide at
    # the looks' working size and no one saw it (strength 0.4).
    highlight_band: tuple[float, float] = (0.93, 1.15)
    highlight_teeth: int = 9  # zigzags along the band
    highlight_gaps: float = 0.3  # share of each lock, at its borders, left without the band
    highlight_light: float = 40.0  # the band's lightness at least (L): on black hair a sheen, not a shadow
    strand_lines: float = 1.3  # width (half-size px at 256) of the line along each lock's shade; 0 = none


@dataclass(frozen=True)
class EyeParams:
    # Toned oval around each eye, brow and socket (face units). Its size carries identity most:
    # 0.6 x 0.45 -> 0.95 x 0.7 took "room" rank-1 43% -> 97% (bench/look.py), as a soft shading.
    zone: tuple[float, float] = (0.95, 0.7)
    tone_step: float = 16.0  # L units between the eye area's tones (12: blotchier, no more identity)
    tone_residual: float = 0.6  # 0..1 of the photo's tone kept between steps (identity lives there)
    iris_colour: float = 0.6  # 0..1 tint of the iris with the person's own hue, saturated
    sclera: float = 0.85  # 0..1 lift of the white of the eye towards white
    brow_threshold: float = 10.0  # L units darker than the cheek where the brow is inked flat
    brow_ink: float = 0.85  # 0..1 opacity of the inked brow
    lid_width: float = 3.0  # thickness of the upper lash line at its middle
    lash_length: float = 1.05  # the lash line's length vs the measured eye
    lash_drop: float = 0.3  # lash line centre below the lid's top edge, in lash widths (on the lashes)
    catch_lights: int = 2
    # A drawn anime iris over the toned one: 0..1 opacity, its half width (face units), and how much
    # taller (face units) the drawn opening is than the real one.
    iris_drawn: float = 0.9
    iris_size: float = 0.16
    taller: float = 0.1
    lower_lid: bool = True
    shadow_warmth: float = 1.0  # 0..1: the toned socket darkens like warm skin (0: an even grey gain)
    # The least a toned pixel under the lower lid keeps of the skin's lightness: anime draws no bags
    # (0: as dark as the photo's; the manga page keeps them as grey tones, rank-1 38% -> 34% without).
    under_lid: float = 0.85


@dataclass(frozen=True)
class WarpParams:
    # Anime proportions cost identity (SFace keys on face shape): the default warp is mild.
    eyes: float = 0.06  # radial growth of the eye regions (0 = off)
    nose: float = 0.06  # shrink of the nose region
    mouth: float = 0.06  # shrink of the mouth towards its centre
    chin: float = 0.05  # narrowing of the jaw


@dataclass(frozen=True)
class MangaParams:
    enabled: bool = False
    screentone_period: float = 4.0  # dot grid period in pixels
    # Grey steps of the face's flat tones (paper to ink). With 4 a light face was paper white but
    # for its lines, its drawn shadow and eye tones rounded away: bench/look's manga room rank-1
    # 57% (6: 67%, 8: 77%; over all faces 36%, 43%, 46%), and the face still reads as flat greys.
    face_steps: int = 8


@dataclass(frozen=True)
class LookParams:
    ink: InkParams = field(default_factory=InkParams)
    skin: SkinParams = field(default_factory=SkinParams)
    hair: HairParams = field(default_factory=HairParams)
    eyes: EyeParams = field(default_factory=EyeParams)
    warp: WarpParams = field(default_factory=WarpParams)
    manga: MangaParams = field(default_factory=MangaParams)
    photo_detail: float = 0.0  # 0..1: the photo's fine shading kept over the drawn face (identity)
    background_levels: int = 4  # posterised lightness levels of the flattened background and clothes
    background_saturation: float = 1.25
    mouth_colour: tuple[int, int, int] = (62, 52, 125)  # inside of an open mouth: dark, not lipstick
    paper_tint: tuple[float, float, float] = (1.0, 1.0, 1.0)  # BGR gain of the finished picture


_BASE = LookParams()

LOOKS: dict[str, LookParams] = {
    # Bright TV-anime cel: light skin with one hard shadow, bold lines, big glossy eyes.
    # A mild proportion warp (a smaller nose, a narrower chin) costs no measurable identity. Bigger
    # eyes by the warp would, but the magnification moved a still face's drawn eyes by 0.6-0.8 px
    # under landmark noise (tests/test_looks.py allows 0.35), so the lash lines carry the eyes.
    # The photo's fine shading at 0.5 (was 0.8): less skin texture (smile lines read as a photo)
    # for 3% rank-1 over bench/look.py's faces, none in the room.
    "anime": replace(_BASE, photo_detail=0.5, warp=WarpParams(eyes=0.0, nose=0.04, mouth=0.0, chin=0.04)),
    # Soft shoujo: rosier and lighter, thin brown lines, sparkling eyes (three catch lights), pastel palette.
    "shoujo": replace(
        _BASE,
        ink=replace(_BASE.ink, colour=(60, 60, 100), outline_width=1.9, line_width=1.2),
        skin=replace(
            _BASE.skin,
            lift=0.6,
            target_light=92.0,
            shadow_depth=8.0,
            blush=0.6,
            blush_colour=(150, 130, 250),
            shadow_tint=(1.04, 0.95, 1.1),
        ),
        hair=replace(_BASE.hair, saturation=1.0, lightness=10.0, clump_depth=0.72, highlight=0.75),
        eyes=replace(_BASE.eyes, lid_width=2.6, catch_lights=3, sclera=0.8),
        warp=replace(_BASE.warp, eyes=0.0, chin=0.08),  # an eye warp moved a still face's eyes 0.6 px
        background_levels=6,
        background_saturation=0.85,
        paper_tint=(0.97, 1.0, 1.03),
        photo_detail=0.4,  # was 0.6: rank-1 69 -> 68%, room 100% either way
    ),
    # Black-and-white manga page: ink on paper, screentone for shadows and mid tones.
    "manga": replace(
        _BASE,
        ink=replace(_BASE.ink, colour=(20, 20, 20), outline_width=2.8, xdog_threshold=1.8),
        # Grey on paper: the skin's hue would only shift its grey (warmth / rosiness off).
        skin=replace(_BASE.skin, blush=0.5, blush_hatching=True, warmth=0.0, rosiness=0.0),
        eyes=replace(_BASE.eyes, shadow_warmth=0.0, under_lid=0.0),
        # A finer screen (3 px, was 4) keeps more of the face's tones: room rank-1 30% -> 53%.
        manga=MangaParams(enabled=True, screentone_period=3.0),
        background_levels=3,
    ),
}
