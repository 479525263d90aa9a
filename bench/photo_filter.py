"""A photo filter for bench/unpaired.py's hidden transform (not an app look: the built-in looks are
engine/looks/). It was the app's first procedural style; the unpaired bench keeps it because it is a
cheap, deterministic, pixel-local mapping a generator can learn from unpaired crops.

The steps follow Winnemöller et al. 2006 ("Real-time video abstraction"): edge-preserving smoothing,
soft luminance quantisation in CIELAB and difference-of-Gaussians line art, plus face touches (skin
tones, eye contrast and catch lights) that the unpaired bench switches off.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from animecam.core.align import template
from animecam.core.errors import UserError

# The aligner's canonical landmarks as fractions of the crop: eyes, nose tip, mouth corners.
_TEMPLATE = template(1)
EYE_CENTRES: tuple[tuple[float, float], ...] = tuple((float(x), float(y)) for x, y in _TEMPLATE[:2])
_EYE_GAP = float(np.linalg.norm(_TEMPLATE[1] - _TEMPLATE[0]))


def _skin_patches() -> list[tuple[float, float, float, float]]:
    """Boxes (x0, y0, x1, y1, fractions of the crop) that are skin in any aligned face: both cheeks
    (below the eyes, above the mouth corners) and the bridge of the nose."""
    eyes, nose, mouth = _TEMPLATE[:2], _TEMPLATE[2], _TEMPLATE[3:]
    centres = [eye + 0.55 * (corner - eye) for eye, corner in zip(eyes, mouth, strict=True)]
    centres.append(0.5 * (eyes.mean(axis=0) + nose))
    half = 0.18 * _EYE_GAP
    return [(float(x - half), float(y - half), float(x + half), float(y + half)) for x, y in centres]


@dataclass(frozen=True)
class ProceduralParams:
    """One procedural look. Lengths are in pixels of a 256² crop and scale with the crop size."""

    smooth_passes: int = 3  # bilateral passes at half resolution (more = flatter regions)
    smooth_sigma_color: float = 28.0  # bilateral range sigma (0..255 units)
    median: int = 5  # median kernel at half resolution (odd; 0 = off): removes small blotches in hair
    auto_contrast: float = 0.8  # 0..1: stretch the crop's luminance range (dim or flat webcam light)
    tones: int = 3  # luminance levels of the cel shading
    tone_softness: float = 0.3  # width of the soft step between levels, as a fraction of one level
    tone_gamma: float = 0.9  # < 1 brightens mid tones before quantising (anime palettes are light)
    saturation: float = 1.3  # chroma gain
    shadow_lift: float = 0.0  # raises the darkest tones towards mid grey (pastel looks)
    skin_lift: float = 4.0  # L units added to skin (0..100 scale)
    skin_smooth: float = 0.8  # 0..1: how much extra blur skin gets
    skin_shadow: float = 14.0  # skin gets two flat tones, its own median and this many L units darker
    # (0 = skin is quantised like everything else)
    skin_max: float = 88.0  # L cap of the skin's base tone: light, never chalk white
    line_sigma: float = 1.0  # inner Gaussian of the difference-of-Gaussians
    line_threshold: float = 1.0  # DoG response (L units) below which ink starts
    line_sharpness: float = 0.9  # steepness of the soft ink threshold (higher = crisper lines)
    line_strength: float = 0.85  # 0..1 darkness of the ink
    eye_contrast: float = 0.5  # extra local contrast inside the eye regions
    eye_saturation: float = 1.5  # extra chroma gain inside the eye regions
    eye_highlight: float = 0.8  # 0..1 brightness of the catch light on the iris
    monochrome: bool = False  # ink-and-paper output
    screentone: float = 0.0  # 0..1 strength of the halftone dots in mid greys (with monochrome)
    paper_tint: tuple[float, float, float] = (1.0, 1.0, 1.0)  # BGR multiplier of the final image


FILTERS: dict[str, ProceduralParams] = {
    # Clean anime cel: flat bright tones, thin dark lines, glossy eyes.
    "cel": ProceduralParams(),
    # Manga page: ink lines, white/black with screentone dots for the mid greys.
    "manga": ProceduralParams(
        tones=4, tone_softness=0.2, tone_gamma=0.6, saturation=0.0, skin_lift=14.0, skin_shadow=0.0,
        line_sigma=0.9, line_threshold=0.3, line_sharpness=1.2, line_strength=1.0, eye_contrast=0.7,
        eye_saturation=1.0, eye_highlight=1.0, monochrome=True, screentone=0.45,
    ),
    # Soft watercolour: many gently blended tones, light lines, lifted shadows, warm paper.
    "pastel": ProceduralParams(
        smooth_passes=4, smooth_sigma_color=32.0, tones=6, tone_softness=0.9, tone_gamma=0.8,
        saturation=1.0, shadow_lift=0.25, skin_lift=8.0, skin_smooth=1.0, line_sigma=1.2,
        line_threshold=1.2, line_sharpness=0.7, line_strength=0.6, eye_contrast=0.3, eye_saturation=1.3,
        eye_highlight=0.6, paper_tint=(0.96, 1.0, 1.03),
    ),
}


class _Geometry:
    """Masks that depend only on the crop size (full and half resolution), computed once."""

    def __init__(self, size: int) -> None:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
        eye = np.zeros((size, size), np.float32)
        for ex, ey in EYE_CENTRES:
            # A soft ellipse about as wide as the eye socket.
            rx, ry = 0.3 * _EYE_GAP, 0.18 * _EYE_GAP
            eye = np.maximum(eye, np.exp(-(((xx - ex) / rx) ** 2 + ((yy - ey) / ry) ** 2)))
        self.scale = size / 256.0
        self.eye = eye
        self.eye_half = cv2.resize(eye, (size // 2, size // 2), interpolation=cv2.INTER_AREA)
        # Screentone: a 45° dot grid, period ~4 px at 256 (fine enough to read as grey).
        period = max(3.0, 4.0 * self.scale)
        u, v = (xx + yy) * size / period, (xx - yy) * size / period
        self.dots = (0.5 + 0.25 * (np.cos(2 * np.pi * u) + np.cos(2 * np.pi * v))).astype(np.float32)
        self.skin_slices = [
            (slice(int(y0 * size) // 2, int(y1 * size) // 2), slice(int(x0 * size) // 2, int(x1 * size) // 2))
            for x0, y0, x1, y1 in _skin_patches()
        ]


class ProceduralStyle:
    """A `Style` (videofilter/style.py) drawing one `ProceduralParams` look; stateless, so thread-safe."""

    def __init__(self, params: ProceduralParams, name: str = "procedural", input_size: int = 256) -> None:
        if input_size < 32:
            raise UserError(f"crop size {input_size} is too small for the procedural style; use 32 or more")
        self.params = params
        self.name = name
        self.input_size = input_size
        self._geometry = _Geometry(input_size)

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        size = self.input_size
        if crops.ndim != 4 or crops.shape[1:] != (size, size, 3) or crops.dtype != np.uint8:
            raise ValueError(f"expected (N, {size}, {size}, 3) uint8 crops, got {crops.shape} {crops.dtype}")
        return np.stack([self._stylize_one(np.ascontiguousarray(crop)) for crop in crops])

    def _stylize_one(self, crop: np.ndarray) -> np.ndarray:
        # Regions and colours are worked out at half resolution (flat areas need no more, and it is
        # 4x cheaper); bilinear upsampling then gives the tone boundaries a free anti-aliased edge.
        # Only the ink, which must stay thin, is drawn at full resolution.
        p, g, size = self.params, self._geometry, self.input_size
        detail, flat = self._abstract(crop)
        lab = cv2.cvtColor(flat, cv2.COLOR_BGR2Lab).astype(np.float32)
        light = lab[..., 0] * (100.0 / 255.0)  # CIELAB L in 0..100
        chroma_a, chroma_b = lab[..., 1] - 128.0, lab[..., 2] - 128.0
        # Ink follows the less flattened image, so small features (eyes, lips) keep their outline.
        ink_light = cv2.cvtColor(detail, cv2.COLOR_BGR2Lab)[..., 0].astype(np.float32) * (100.0 / 255.0)
        if p.auto_contrast > 0:
            gain, offset = self._levels(light)
            for plane in (light, ink_light):
                plane *= gain
                plane += offset

        skin = self._skin_mask(chroma_a, chroma_b)
        if p.skin_smooth > 0:
            # Skin without freckles or wrinkles: blur it, in the tones and in what the ink sees.
            amount = skin * p.skin_smooth
            for plane in (light, ink_light):
                plane += (cv2.GaussianBlur(plane, (0, 0), 1.5 * g.scale) - plane) * amount
        light += skin * p.skin_lift
        ink_full = cv2.resize(ink_light, (size, size), interpolation=cv2.INTER_LINEAR)
        lines = self._line_art(ink_full, g)

        light = self._eyes(light, g)
        shade = self._quantise(light)
        if p.skin_shadow > 0:
            shade += (self._skin_tones(light) - shade) * skin
        if p.monochrome:
            grey = cv2.resize(shade, (size, size), interpolation=cv2.INTER_LINEAR)
            if p.screentone > 0:
                # Soft halftone: mid greys become dots, white and black stay clean.
                tone = np.clip((grey - g.dots) * 4.0 + 0.5, 0.0, 1.0)
                grey = grey + (tone - grey) * (p.screentone * 4.0 * grey * (1.0 - grey))
            grey *= lines
            self._catch_lights(grey[..., None], ink_light, 1.0)
            return cv2.cvtColor(np.clip(grey * 255.0, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)

        # Chroma follows the tone change (a shadow tone keeps its hue without turning neon), times
        # the look's saturation and the eyes' extra.
        gain = np.clip((shade * 100.0 + 5.0) / (np.maximum(light, 0.0) + 5.0), 0.6, 1.4)
        gain *= p.saturation * (1.0 + (p.eye_saturation - 1.0) * g.eye_half)
        lab[..., 0] = shade * 255.0
        lab[..., 1] = chroma_a * gain + 128.0
        lab[..., 2] = chroma_b * gain + 128.0
        cel = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR)
        bgr = cv2.resize(cel, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        bgr *= (lines[..., None] * np.asarray(p.paper_tint, np.float32))
        self._catch_lights(bgr, ink_light, 255.0)
        return np.clip(bgr, 0, 255).astype(np.uint8)

    def _abstract(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Half-resolution (detail, flat): bilateral passes flatten texture but keep edges; the
        median on top removes the small blotches that cel steps would otherwise turn into spots."""
        p, size = self.params, self.input_size
        detail = cv2.resize(crop, (size // 2, size // 2), interpolation=cv2.INTER_AREA)
        for _ in range(p.smooth_passes):
            detail = cv2.bilateralFilter(detail, 5, p.smooth_sigma_color, 3.0)
        flat = cv2.medianBlur(detail, p.median) if p.median > 1 else detail
        return detail, flat

    def _catch_lights(self, image: np.ndarray, half_light: np.ndarray, white: float) -> None:
        """Adds, in place, a small soft highlight up and out of each pupil (the darkest blob near the
        template's eye centre), only where the pixels underneath are dark enough to be an iris."""
        p, size = self.params, self.input_size
        if p.eye_highlight <= 0:
            return
        radius = 0.042 * _EYE_GAP * size
        full_light = cv2.resize(half_light, (size, size), interpolation=cv2.INTER_LINEAR)
        for (ex, ey), side in zip(EYE_CENTRES, (-1.0, 1.0), strict=True):
            rx, ry = 0.23 * _EYE_GAP, 0.13 * _EYE_GAP
            x0, x1 = int((ex - rx) * size / 2), int((ex + rx) * size / 2) + 1
            y0, y1 = int((ey - ry) * size / 2), int((ey + ry) * size / 2) + 1
            window = half_light[y0:y1, x0:x1]
            weight = np.clip(window.mean() - window, 0.0, None) ** 2
            total = float(weight.sum())
            if total <= 0:
                continue
            ys, xs = np.mgrid[y0:y1, x0:x1]
            px = 2.0 * float((weight * xs).sum()) / total + 0.5
            py = 2.0 * float((weight * ys).sum()) / total + 0.5
            # Light from the upper outer side, mirrored between the eyes like drawn anime eyes.
            hx, hy = px + side * 0.7 * radius, py - 0.8 * radius
            bx0, by0 = max(int(hx - 2 * radius), 0), max(int(hy - 2 * radius), 0)
            bx1, by1 = min(int(hx + 2 * radius) + 2, size), min(int(hy + 2 * radius) + 2, size)
            yy, xx = np.mgrid[by0:by1, bx0:bx1].astype(np.float32)
            disc = np.clip(radius + 0.5 - np.hypot(xx + 0.5 - hx, yy + 0.5 - hy), 0.0, 1.0)
            under = window.mean() - full_light[by0:by1, bx0:bx1]
            # Only over pixels clearly darker than the eye region around them: the iris.
            alpha = (disc * np.clip((under - 6.0) / 10.0, 0.0, 1.0) * p.eye_highlight)[..., None]
            patch = image[by0:by1, bx0:bx1]
            patch += (white - patch) * alpha

    def _levels(self, light: np.ndarray) -> tuple[float, float]:
        """Gain and offset that stretch the 2nd..98th percentile of L towards 4..96, limited to 2.5x
        so a dark room brightens without its noise turning into tones."""
        lo, hi = np.percentile(light[::3, ::3], (2.0, 98.0))
        gain = min(92.0 / max(float(hi - lo), 1e-3), 2.5)
        strength = self.params.auto_contrast
        gain = 1.0 + (max(gain, 1.0) - 1.0) * strength
        centre = 0.5 * float(lo + hi)
        # The range is centred half way towards mid grey: a dark scene stays a little darker.
        target = centre + (50.0 - centre) * 0.5 * strength
        return gain, target - centre * gain

    def _skin_tones(self, light: np.ndarray) -> np.ndarray:
        """Anime skin: one flat base tone at the face's own median lightness (a cel grid would put
        it at the nearest level: chalk white or grey) and one shadow tone where it is clearly darker."""
        p = self.params
        base = min(self._cheek_median(light), p.skin_max)
        shadow = np.clip((base - 0.7 * p.skin_shadow - light) / 6.0 + 0.5, 0.0, 1.0)
        shadow = shadow * shadow * (3.0 - 2.0 * shadow)
        tone = np.clip((base - p.skin_shadow * shadow) * 0.01, 0.0, 1.0) ** p.tone_gamma
        return p.shadow_lift + (1.0 - p.shadow_lift) * tone

    def _cheek_median(self, plane: np.ndarray) -> float:
        """Median of a half-resolution plane over the patches that are skin in any aligned face."""
        return float(np.median(np.concatenate([plane[s].ravel() for s in self._geometry.skin_slices])))

    def _skin_mask(self, chroma_a: np.ndarray, chroma_b: np.ndarray) -> np.ndarray:
        """Soft mask of pixels whose chroma is near the cheeks' (adapts to any skin tone and light)."""
        ref_a, ref_b = self._cheek_median(chroma_a), self._cheek_median(chroma_b)
        dist2 = ((chroma_a - ref_a) ** 2 + (chroma_b - ref_b) ** 2) * (1.0 / 36.0)
        # Chroma-less references (grey light, monochrome input) make every grey pixel "skin": damp it.
        confidence = min(1.0, np.hypot(ref_a, ref_b) / 6.0)
        return np.exp(-dist2) * confidence

    def _line_art(self, light: np.ndarray, g: _Geometry) -> np.ndarray:
        """XDoG ink: 1 on paper, falling smoothly to 1 - strength on dark edges; finer near the eyes."""
        p = self.params
        sigma = p.line_sigma * g.scale
        inner = cv2.GaussianBlur(light, (0, 0), sigma)
        outer = cv2.GaussianBlur(light, (0, 0), 1.6 * sigma)
        response = outer - inner  # positive on the dark side of an edge
        threshold = p.line_threshold * (1.0 - 0.6 * g.eye)
        ink = np.clip(np.tanh((response - threshold) * p.line_sharpness), 0.0, 1.0)
        return 1.0 - p.line_strength * ink

    def _eyes(self, light: np.ndarray, g: _Geometry) -> np.ndarray:
        """Local contrast inside the eye regions: darker iris and lashes, brighter whites."""
        p = self.params
        if p.eye_contrast <= 0:
            return light
        local = cv2.GaussianBlur(light, (0, 0), 2.0 * g.scale)
        return light + (light - local) * (p.eye_contrast * g.eye_half)

    def _quantise(self, light: np.ndarray) -> np.ndarray:
        """Soft cel steps of L (0..100) -> tone in 0..1: flat within a level, a smooth ramp between."""
        p = self.params
        x = np.clip(light * 0.01, 0.0, 1.0) ** p.tone_gamma
        levels = max(p.tones - 1, 1)
        scaled = x * levels
        floor = np.floor(scaled)
        frac = scaled - floor
        ramp = np.clip((frac - 0.5) / max(p.tone_softness, 1e-3) + 0.5, 0.0, 1.0)
        ramp = ramp * ramp * (3.0 - 2.0 * ramp)
        tone = (floor + ramp) / levels
        return p.shadow_lift + (1.0 - p.shadow_lift) * tone
