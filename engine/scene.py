"""The scene: everything outside the faces (background, body, clothes) drawn in the face's look.

Cheap by design, so the face keeps the frame's CPU budget: the colour is flattened at a quarter of
the frame's size (a 5x5 median: edges stay, texture goes), its lightness posterised into a few flat
tones and its colour pushed to the look's saturation at half size; the ink is the half-size
picture's edges (Canny: thin, and continuous by its hysteresis, so an object's outline is one
closed line) drawn at a constant width, short strokes (texture) removed; one resize brings the
picture to the frame's size. The manga scene is monochrome: paper, ink and round screentone.

A camera's sensor noise would make tone borders and thin lines shimmer on a still background, so
the inputs (half-size grey, quarter-size colour) are smoothed over time where the picture did not
change (a recursive filter whose weight rises to 1 wherever the frame moved: no ghosting). With no
change it converges, and a still scene is a still drawing.

Band borders have hysteresis (`scene_bands.BandBorders`): a mottled wall is one tone, not blotches
of two, and a tone drifting near a border keeps its band. A dim frame is lifted first (`_Exposure`):
anime is drawn bright, and the ink's threshold is in grey levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import cv2
import numpy as np

from .scene_bands import BandBorders


@dataclass(frozen=True)
class SceneLook:
    """One look's palette and ink for the scene. Values follow engine/looks/params.py's look of the
    same name (its background and ink), so the face's drawn edge meets the same drawing."""

    levels: int = 4  # posterised lightness levels
    # Band borders have hysteresis (`scene_bands.BandBorders`): lightness within this share of a band's span
    # of a border takes the side of the region it belongs to, and keeps last frame's side while it
    # is still. 0.44 (28 grey levels at 4 levels) cleared a mottled wall's blotches; 0.25 did not.
    band_hysteresis: float = 0.44
    saturation: float = 1.25  # colour gain around grey (anime backgrounds are vivid)
    lift: float = 0.05  # lightness added, as a fraction of white
    ink_colour: tuple[int, int, int] = (40, 28, 34)  # BGR
    # The ink follows the edges of the half-size grey blurred by `line_sigma` px: a line starts
    # where its gradient (Sobel, L2) passes `ink_high` and goes on while it passes `ink_low`.
    # Thresholded difference-of-Gaussians lines (XDoG) were drawn before: a soft edge passed its
    # threshold in places only, and the table of six's glasses, chips and table edge were broken
    # dashes; with the hysteresis they are closed outlines.
    # 30/70 at 1.4 px also outlined every curl of hair and wrinkle (scribbles on a missed face).
    ink_low: float = 55.0
    ink_high: float = 130.0
    line_sigma: float = 1.4
    line_width: int = 2  # half-size px
    # Ink strokes whose box is shorter than this on its longer side (half-size px) are texture
    # (fur, wood grain, fabric), not lines: they read as a filter's speckle, so they are dropped.
    min_stroke: int = 20
    paper_tint: tuple[float, float, float] = (1.0, 1.0, 1.0)  # BGR gain of the finished picture
    monochrome: bool = False  # black-and-white page with screentone mid tones
    screentone_period: float = 4.0  # dot grid period in frame pixels (monochrome only)


SCENE_LOOKS: dict[str, SceneLook] = {
    "anime": SceneLook(),
    "shoujo": SceneLook(
        levels=6, saturation=0.85, lift=0.08, ink_colour=(60, 60, 100), ink_low=60.0, ink_high=140.0,
        line_width=1, paper_tint=(0.97, 1.0, 1.03),
    ),
    "manga": SceneLook(
        levels=3, lift=0.12, ink_colour=(20, 20, 20), ink_low=40.0, ink_high=100.0, monochrome=True
    ),
}
DEFAULT_SCENE_LOOK = "anime"


def scene_look_for(style_name: str) -> SceneLook:
    """The scene look matching a style: a built-in look by its name, a pack's style by its last
    part ("twingan-anime/shoujo" -> shoujo); anything else (a mix, an unknown model) -> anime."""
    return SCENE_LOOKS.get(style_name.rsplit("/", 1)[-1], SCENE_LOOKS[DEFAULT_SCENE_LOOK])


@dataclass(frozen=True)
class SceneConfig:
    """How the scene is steadied over time (see the module docstring)."""

    still_weight: float = 0.2  # weight of the new frame where the picture did not change
    change_low: float = 1.5  # grey-level change still taken for noise (5x5 mean of the signed change)
    change_high: float = 6.0  # change at and above which the new frame is taken as it is
    # A dim frame is lifted before it is drawn (anime is drawn bright and clear, and the ink's
    # threshold is in grey levels: a dim room had almost no lines): its 98th lightness percentile
    # towards 200, by at most `max_gain`, from none for a frame that would need less than 1.25 (a
    # brighter frame is drawn as it is). The gain follows the frame over about `exposure_frames`
    # frames, so it never flickers.
    max_gain: float = 2.5
    exposure_frames: float = 15.0
    look: SceneLook = field(default_factory=SceneLook)


@lru_cache(maxsize=16)
def _tables(look: SceneLook) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lookup tables of a look: YCrCb (Y posterised like the looks' background, Cr/Cb scaled
    around grey), the BGR paper tint, and the manga tone (lights to paper, darks to ink)."""
    value = np.arange(256, dtype=np.float32) / 255.0
    # Each band's centre (never pure white or black, where colour would be lost), with a fifth of
    # the original lightness kept so a band is not dead flat.
    levels = max(look.levels, 2)
    band = (np.minimum(np.floor(value * levels), levels - 1) + 0.5) / levels
    light = band * 0.8 + 0.2 * value + look.lift
    colour = (value - 0.5) * look.saturation + 0.5
    tint = value[:, None] * np.asarray(look.paper_tint, np.float32)
    # As the manga look's halftone: only the middle of the tone range is screened.
    tone = (light - 0.25) / 0.55
    return tuple(
        np.clip(table * 255.0 + 0.5, 0, 255).astype(np.uint8).reshape(1, 256, -1)
        for table in (np.stack([light, colour, colour], axis=-1), tint, tone[:, None])
    )  # type: ignore[return-value]


def _antialiased(small: np.ndarray) -> np.ndarray:
    """A slight blur of hard-edged pixels before upsampling: quarter-size tone borders were 4 px
    stairs along slanted edges (a blurred helmet), the half-size ink's solid lines 2 px stairs."""
    return cv2.GaussianBlur(small, (3, 3), 0.8)


@lru_cache(maxsize=4)
def _pen(width: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))


def _long_strokes(ink: np.ndarray, min_stroke: int) -> np.ndarray:
    """`ink` (uint8 coverage) without its strokes shorter than `min_stroke` px: connected solid
    parts whose box's longer side is shorter, with their soft rims. ~1 ms at 640 x 360."""
    solid = cv2.threshold(ink, 96, 255, cv2.THRESH_BINARY)[1]
    try:  # 16-bit labels are twice as quick; a frame with more strokes than that needs 32
        found = cv2.connectedComponentsWithStatsWithAlgorithm(solid, 8, cv2.CV_16U, cv2.CCL_SPAGHETTI)
    except cv2.error:
        found = cv2.connectedComponentsWithStatsWithAlgorithm(solid, 8, cv2.CV_32S, cv2.CCL_SPAGHETTI)
    _, labels, stats, _ = found
    keep = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) >= min_stroke
    keep[0] = False  # the paper
    kept = np.take((keep * np.uint8(255)).astype(np.uint8), labels)
    return cv2.min(ink, cv2.dilate(kept, None))  # a kept stroke's rim is within a pixel of it


class _SteadyEdges:
    """Keeps the edges found where the picture has not changed since they were found.

    An edge's line is one pixel wide, and on a still edge lying between two pixels the camera's
    noise picked the pixel anew on each frame: the line jumped by two pixels of the frame back and
    forth (a still dim room's outlines shimmered). A pixel keeps its decided edge while the grey
    around it stays within `still` grey levels of what it was when decided. Edges found another way
    (`how`: another look's thresholds, after a style switch) are not kept.
    """

    still = 4
    _around = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))  # a line's neighbourhood

    def __init__(self) -> None:
        self._decided: tuple[np.ndarray, np.ndarray] | None = None  # (grey, edges) as decided
        self._how: object = None

    def update(self, grey: np.ndarray, edges: np.ndarray, how: object) -> np.ndarray:
        decided = self._decided
        if decided is None or decided[0].shape != grey.shape or how != self._how:
            self._decided, self._how = (grey, edges), how
            return edges
        changed = cv2.threshold(cv2.absdiff(grey, decided[0]), self.still, 255, cv2.THRESH_BINARY)[1]
        changed = cv2.dilate(changed, self._around)
        kept = cv2.bitwise_not(changed)
        edges = cv2.bitwise_or(cv2.bitwise_and(edges, changed), cv2.bitwise_and(decided[1], kept))
        grey = cv2.bitwise_or(cv2.bitwise_and(grey, changed), cv2.bitwise_and(decided[0], kept))
        self._decided = (grey, edges)
        return edges


class _Steadier:
    """A recursive filter over one picture: strong where it did not change, none where it did."""

    def __init__(self, config: SceneConfig) -> None:
        span = max(config.change_high - config.change_low, 1e-3)
        ramp = np.clip((np.arange(256, dtype=np.float32) - config.change_low) / span, 0.0, 1.0)
        weight = config.still_weight + (1.0 - config.still_weight) * ramp
        self._weight = np.round(weight * 255.0).astype(np.uint8)  # change (grey levels) -> weight
        self._state: np.ndarray | None = None  # float32, the filter's state
        self._shown: np.ndarray | None = None  # the state rounded: what was returned last time

    def update(self, picture: np.ndarray) -> np.ndarray:
        current = picture.astype(np.float32)
        if self._state is None or self._shown is None or self._state.shape != current.shape:
            self._state, self._shown = current, picture
            return picture
        now, before = picture, self._shown
        if picture.ndim == 3:
            now, before = cv2.cvtColor(now, cv2.COLOR_BGR2GRAY), cv2.cvtColor(before, cv2.COLOR_BGR2GRAY)
        # The signed change averaged over 5x5 pixels: noise cancels out (sigma / 5), while content
        # that moved changes a whole neighbourhood the same way and keeps its size.
        change = cv2.blur(cv2.subtract(now, before, dtype=cv2.CV_16S), (5, 5))
        change = cv2.convertScaleAbs(change)
        weight = np.multiply(cv2.LUT(change, self._weight), np.float32(1 / 255), dtype=np.float32)
        self._state = cv2.blendLinear(current, self._state, weight, 1.0 - weight)
        self._shown = cv2.convertScaleAbs(self._state)
        return self._shown


_EXPOSED = 200.0  # the 98th lightness percentile (quarter size) a lifted frame is taken towards
_KNEE = 1.25  # a frame that would need less lift than this gets none


class _Exposure:
    """The lift of a dim frame (see SceneConfig.max_gain), followed slowly."""

    def __init__(self, config: SceneConfig) -> None:
        self.config = config
        self._gain: float | None = None  # followed; None before the first frame

    @property
    def gain(self) -> float:
        """The last frame's lift (1.0: none; within 2% of none is bright enough as it is)."""
        return self._gain if self._gain is not None and self._gain > 1.02 else 1.0

    def update(self, grey: np.ndarray) -> float:
        """The gain for this frame (pixel * gain), from a small grey copy of it."""
        cfg = self.config
        if cfg.max_gain <= 1.0:
            return 1.0
        counts = np.cumsum(cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel())
        high = float(np.searchsorted(counts, 0.98 * counts[-1]))
        # No lift for a frame that is only a little dim (a lift of 1.15 moved walls onto band
        # borders for nothing), then rising to the full one: (knee .. max_gain) -> (1 .. max_gain).
        wanted, top = _EXPOSED / max(high, 1.0), max(cfg.max_gain, _KNEE + 0.01)
        now = float(np.clip(1.0 + (wanted - _KNEE) * (top - 1.0) / (top - _KNEE), 1.0, top))
        follow = 1.0 / max(cfg.exposure_frames, 1.0)
        self._gain = now if self._gain is None else self._gain + (now - self._gain) * follow
        return self.gain


class ScenePicture(NamedTuple):
    """A drawn scene: the picture, and its tones without the ink (half the frame's size; the
    manga page's at full size). A drawn figure's rim shows the tones, so the scene's ink of the
    photo's head edge is hidden without a halo of another colour."""

    drawn: np.ndarray  # (H, W, 3) uint8 BGR
    tones: np.ndarray  # (h, w, 3) uint8 BGR, h / H = w / W


class SceneRenderer:
    """Draws whole frames in a `SceneLook`. Keeps the previous frame's state: one thread owns it."""

    def __init__(self, config: SceneConfig | None = None) -> None:
        self.config = config or SceneConfig()
        self.look = self.config.look  # may be replaced between frames (a style switch)
        self.reset()
        self._dots: dict[tuple[int, int, float], np.ndarray] = {}
        self._ink_colour: dict[tuple[tuple[int, int, int], tuple[int, ...]], np.ndarray] = {}

    def reset(self) -> None:
        self._grey = _Steadier(self.config)  # half size, for the ink
        self._colour = _Steadier(self.config)  # quarter size, for the flat colour
        self._bands = BandBorders()
        self._edges = _SteadyEdges()
        self._exposure = _Exposure(self.config)

    @property
    def gain(self) -> float:
        """The lift of the last frame drawn (1.0: none); the faces drawn over it take it too."""
        return self._exposure.gain

    def draw(self, image: np.ndarray) -> np.ndarray:
        """The frame (H, W, 3) uint8 BGR drawn as a scene, same shape; a new array."""
        return self.draw_layers(image).drawn

    def draw_layers(self, image: np.ndarray) -> ScenePicture:
        """`draw`'s picture and the same without its ink (see ScenePicture)."""
        look = self.look
        height, width = image.shape[:2]
        half_size = (max(width // 2, 1), max(height // 2, 1))
        half = cv2.resize(image, half_size, interpolation=cv2.INTER_AREA)
        quarter = cv2.resize(half, (max(width // 4, 1), max(height // 4, 1)), interpolation=cv2.INTER_AREA)
        gain = self._exposure.update(cv2.cvtColor(quarter, cv2.COLOR_BGR2GRAY))
        # Lifted after steadying, so the steadier tells noise from change in the camera's own levels.
        grey = self._lift(self._grey.update(cv2.cvtColor(half, cv2.COLOR_BGR2GRAY)), gain)
        ink = self._ink(grey, look)
        # A bilateral filter first (the looks' crop background) changed nothing visible after the
        # median at this size, for twice the cost.
        flat = cv2.medianBlur(self._lift(self._colour.update(quarter), gain), 5)
        colour_lut, tint_lut, tone_lut = _tables(look)
        # Converted at quarter size (linear maps commute with the upsampling), posterised after it
        # so the tone borders are crisp at half size.
        if look.monochrome:
            light = cv2.cvtColor(flat, cv2.COLOR_BGR2GRAY)
            light = self._bands.settle(light, look.levels, look.band_hysteresis)
            light = cv2.resize(_antialiased(light), half_size, interpolation=cv2.INTER_LINEAR)
            return self._page(cv2.LUT(light, tone_lut), ink, look, (width, height))
        ycc = cv2.cvtColor(flat, cv2.COLOR_BGR2YCrCb)
        light = self._bands.settle(cv2.extractChannel(ycc, 0), look.levels, look.band_hysteresis)
        ycc = cv2.insertChannel(light, ycc, 0)
        ycc = cv2.resize(_antialiased(ycc), half_size, interpolation=cv2.INTER_LINEAR)
        tones = cv2.cvtColor(cv2.LUT(ycc, colour_lut), cv2.COLOR_YCrCb2BGR)
        # Dark ink over the tones as max(min(tones, 255 - ink), min(ink colour, ink)): solid ink is
        # the ink colour, no ink leaves the tones, and a line's soft rim is within a few grey levels
        # of a linear mix, in uint8 passes that cost a quarter of one (blendLinear and its weights).
        ink_bgr = cv2.cvtColor(ink, cv2.COLOR_GRAY2BGR)
        darkened = cv2.min(tones, cv2.bitwise_not(ink_bgr))
        drawn = cv2.max(darkened, cv2.min(self._solid(look.ink_colour, tones.shape), ink_bgr))
        if look.paper_tint != (1.0, 1.0, 1.0):
            drawn, tones = cv2.LUT(drawn, tint_lut), cv2.LUT(tones, tint_lut)
        return ScenePicture(cv2.resize(drawn, (width, height), interpolation=cv2.INTER_LINEAR), tones)

    @staticmethod
    def _lift(picture: np.ndarray, gain: float) -> np.ndarray:
        return picture if gain == 1.0 else cv2.convertScaleAbs(picture, alpha=gain)

    def _ink(self, grey: np.ndarray, look: SceneLook) -> np.ndarray:
        """Half-size ink coverage (uint8, 255 = solid): the edges as lines of constant width."""
        blurred = cv2.GaussianBlur(grey, (0, 0), look.line_sigma)
        found = cv2.Canny(blurred, look.ink_low, look.ink_high, L2gradient=True)
        edges = self._edges.update(blurred, found, (look.line_sigma, look.ink_low, look.ink_high))
        if look.min_stroke > 1:
            edges = _long_strokes(edges, look.min_stroke)
        if look.line_width > 1:
            edges = cv2.dilate(edges, _pen(look.line_width))
        return _antialiased(edges)

    def _solid(self, colour: tuple[int, int, int], shape: tuple[int, ...]) -> np.ndarray:
        key = (colour, shape)
        if key not in self._ink_colour:
            self._ink_colour = {key: np.full(shape, colour, np.uint8)}  # one frame size at a time
        return self._ink_colour[key]

    def _page(
        self, tone: np.ndarray, ink: np.ndarray, look: SceneLook, size: tuple[int, int]
    ) -> ScenePicture:
        """Black and white at the frame's `size`: paper, solid ink, and screentone dots for the mid tones."""
        tone = cv2.resize(tone, size, interpolation=cv2.INTER_LINEAR)
        # 8 * (tone - dots) + 128, saturated: a dot's edge is two pixels of grey; 0 and 255 stay solid.
        page = cv2.addWeighted(tone, 8.0, self._screen(size, look.screentone_period), -8.0, 128.0)
        ink_full = cv2.resize(ink, size, interpolation=cv2.INTER_LINEAR)
        inked = cv2.subtract(page, cv2.multiply(ink_full, 1.0 - look.ink_colour[0] / 255.0))
        return ScenePicture(cv2.cvtColor(inked, cv2.COLOR_GRAY2BGR), cv2.cvtColor(page, cv2.COLOR_GRAY2BGR))

    def _screen(self, size: tuple[int, int], period: float) -> np.ndarray:
        """Threshold map of round dots on a 45 degree grid, 20..235 so tones 0 and 255 stay solid."""
        key = (*size, period)
        if key not in self._dots:
            ys, xs = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
            u, v = (xs + ys) / period, (xs - ys) / period
            dots = 0.5 + 0.25 * (np.cos(2 * np.pi * u) + np.cos(2 * np.pi * v))
            self._dots = {key: (20.0 + 215.0 * dots).astype(np.uint8)}  # one frame size at a time
        return self._dots[key]
