"""`LookStyle`: one `LookParams` drawn over aligned face crops (the Style protocol of
animecam/core/style.py, with the crop's landmarks when the pipeline has them).

Order per crop: warp to anime proportions -> regions at a quarter of the size -> flat colour at
half size -> ink at full size -> drawn features on top (eyes, brows, nose, mouth, blush, glasses)
-> manga halftone when the look is black and white. Deterministic: the same crop and landmarks
give the same picture, so a still face is a still drawing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import fields, replace

import cv2
import numpy as np

from animecam.core.align import AlignConfig, template
from animecam.core.errors import UserError

from .arrays import clamp, percentiles, scale
from .eye_measure import lowered_lids, measure_eye, together
from .eyes import draw_eyes, tone_eye_area
from .face_frame import FaceFrame
from .features import draw_blush, draw_mouth, draw_nose
from .glasses import draw_glasses, glasses_frames
from .ink import outlines, xdog
from .palette import Palette, steadied_glasses
from .params import LookParams
from .proportions import apply_warp
from .regions import Regions, find_regions, lab_planes, light_plane, skin_lightness
from .shading import colour_layer, lab_to_bgr, lock_tips

MIN_SIZE = 64
_PROFILE_SQUEEZE = 0.45  # FaceFrame.squeeze under which a head is in profile (one eye shows)
_RIM_COVER = 0.14  # width (eye units) of the band painted over a found rim before the eyes are measured
_EYE_CORE = (0.3, 0.13)  # half axes (eye units) around each eye the rims' paint leaves as it is
_RIM_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))  # the figure's rim, half-size px
_PALETTE = "look.palette"  # the key of a person's Palette in their memory
_GLASSES = "look.glasses"  # and of their Glasses (palette.py)


class _Clock:
    """Adds each stage's seconds to a dict, or does nothing without one."""

    def __init__(self, split: dict[str, float] | None) -> None:
        self.split = split
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        if self.split is not None:
            now = time.perf_counter()
            self.split[stage] = self.split.get(stage, 0.0) + now - self.last
            self.last = now


# The looks draw the whole head: framed a little wider and lower than FFHQ's crop (eyes 0.25 of the
# side apart, at 0.47 of its height), the crown and the hair's sides fall inside the pasted oval;
# with FFHQ's framing the hair beyond it came from the scene stage, posterised into blotches.
HEAD_FRAMING = AlignConfig(eye_distance=0.21, eye_line_y=0.54)


class LookStyle:
    """A built-in anime look; stateless between calls (what it remembers of a person lives in the
    memory the caller passes), so safe to share between threads."""

    def __init__(self, params: LookParams, name: str, input_size: int = 256) -> None:
        if input_size < MIN_SIZE:
            raise UserError(
                f"crop size {input_size} is too small for the built-in looks; use {MIN_SIZE} or more"
            )
        self.params = params
        self.name = name
        self.input_size = input_size
        self.align = HEAD_FRAMING
        self._template = template(input_size, self.align)
        # A crop-sized plane of the ink colour for the blend (read-only, shared by calls).
        self._ink = np.full((input_size, input_size, 3), params.ink.colour, np.float32)
        period = params.manga.screentone_period * input_size / 256.0
        ys, xs = np.mgrid[0:input_size, 0:input_size].astype(np.float32)
        u, v = (xs + ys) / period, (xs - ys) / period
        # Screentone threshold map: round dots on a 45 degree grid.
        self._dots = (0.5 + 0.25 * (np.cos(2 * np.pi * u) + np.cos(2 * np.pi * v))).astype(np.float32)

    def stylize(
        self, crops: np.ndarray, landmarks: np.ndarray | None = None, strength: float = 1.0,
        memories: Sequence[dict] | None = None,
    ) -> np.ndarray:  # fmt: skip
        """(N, S, S, 3) uint8 BGR crops -> the same, drawn. `landmarks` (N, 5, 2) are the crops'
        YuNet points in crop pixels (smoothed by the tracker); None = the template of its framing.
        `strength` < 1 scales the proportion warp and mixes the drawing with the photo warped the
        same way, so no feature is outlined twice at half strength (the pipeline passes its slider).
        `memories`: one dict per crop that this look keeps the person's palette in between
        drawings (the pipeline keeps one per tracked face); None draws each crop on its own."""
        batch = self._batch(crops, landmarks, memories)
        return np.stack([self.draw(c, p, strength=strength, memory=m) for c, p, m in batch])

    def stylize_figure(
        self, crops: np.ndarray, landmarks: np.ndarray | None = None, strength: float = 1.0,
        memories: Sequence[dict] | None = None,
    ) -> np.ndarray:  # fmt: skip
        """`stylize`'s drawings as (N, S, S, 4) BGRA, alpha = the drawn figure (FigureStyle)."""
        out = np.empty((len(crops), self.input_size, self.input_size, 4), np.uint8)
        for i, (crop, points, memory) in enumerate(self._batch(crops, landmarks, memories)):
            drawing, out[i, ..., 3] = self.draw_figure(crop, points, strength=strength, memory=memory)
            out[i, ..., :3] = drawing
        return out

    def _batch(
        self, crops: np.ndarray, landmarks: np.ndarray | None, memories: Sequence[dict] | None
    ) -> list[tuple[np.ndarray, np.ndarray, dict | None]]:
        """Checked (crop, its landmarks, its memory) triples of a batch."""
        size = self.input_size
        if crops.ndim != 4 or crops.shape[1:] != (size, size, 3) or crops.dtype != np.uint8:
            raise ValueError(f"expected (N, {size}, {size}, 3) uint8 crops, got {crops.shape} {crops.dtype}")
        if landmarks is not None and np.shape(landmarks) != (len(crops), 5, 2):
            raise ValueError(f"expected landmarks of shape ({len(crops)}, 5, 2), got {np.shape(landmarks)}")
        if memories is not None and len(memories) != len(crops):
            raise ValueError(f"expected {len(crops)} memories (one per crop), got {len(memories)}")
        points = (
            [self._template] * len(crops) if landmarks is None else list(np.asarray(landmarks, np.float64))
        )
        kept = list(memories) if memories is not None else [None] * len(crops)
        return [(np.ascontiguousarray(c), p, m) for c, p, m in zip(crops, points, kept, strict=True)]

    def draw(
        self,
        crop: np.ndarray,
        landmarks: np.ndarray,
        split: dict[str, float] | None = None,
        strength: float = 1.0,
        memory: dict | None = None,
    ) -> np.ndarray:
        """One crop (S, S, 3) uint8 BGR with its (5, 2) landmarks -> the drawn crop. `split`, when
        given, collects the seconds each stage took (bench/look.py reports them); `memory`, when
        given, is the person's between drawings (read, then updated)."""
        return self.draw_figure(crop, landmarks, split, strength, memory)[0]

    def draw_figure(
        self,
        crop: np.ndarray,
        landmarks: np.ndarray,
        split: dict[str, float] | None = None,
        strength: float = 1.0,
        memory: dict | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(the drawn crop, the figure's (S, S) uint8 coverage): see `draw`."""
        strength = float(np.clip(strength, 0.0, 1.0))
        p, size = self.params, self.input_size
        clock = _Clock(split)
        frame = FaceFrame.from_landmarks(landmarks)
        if not np.isfinite(frame.landmarks).all():
            frame = FaceFrame.from_landmarks(self._template)
        warp = (
            p.warp
            if strength >= 1.0
            else replace(p.warp, **{f.name: getattr(p.warp, f.name) * strength for f in fields(p.warp)})
        )
        crop, frame = apply_warp(crop, frame, warp)
        clock.lap("warp")
        half_size = size // 2
        half, regions = self._segment(crop, frame, None if memory is None else memory.get(_PALETTE))
        if memory is not None:
            memory[_PALETTE] = regions.palette
        regions = lock_tips(p, regions, frame, half_size / size)
        clock.lap("regions")
        flat = cv2.bilateralFilter(half, 5, 25.0, 3.0)
        flat_light = light_plane(flat)
        picture = colour_layer(p, regions, frame, flat, half_size / size)
        clock.lap("colour")

        photo_light = light_plane(crop)
        # Inside the face and hair only strong edges ink (glasses, a beard's edge, a cap's brim):
        # the face's own eyes, brows, nose and mouth are toned and drawn below, the hair's locks are
        # drawn shapes (its photo texture inked as stray dashes).
        inner = np.maximum(regions.face_shape, regions.hair)
        threshold = p.ink.xdog_threshold + (p.ink.face_threshold - p.ink.xdog_threshold) * inner
        lines = xdog(flat_light, p.ink, threshold, size)
        rims = glasses_frames(lines, frame, photo_light)
        if memory is not None:
            rims, memory[_GLASSES] = steadied_glasses(rims, frame, memory.get(_GLASSES))
        unit_px = size / 256.0
        # The figure is the face, the hair and the neck. As "all but the wall" it took in whatever
        # the regions called neither (a window's frame beside a head, a collar, a turned woman's
        # shoulder), drawn over the scene as the crop's blurred canvas in an outline of its own.
        silhouette = np.maximum(np.maximum(regions.face_shape, regions.hair), regions.neck)
        # The visible face (not the outline under a fringe), the hair and the whole figure.
        masks = [regions.face, regions.hair, regions.cover, silhouette]
        edges = outlines(masks, p.ink.outline_width * unit_px, size)
        canvas = cv2.resize(picture, (size, size), interpolation=cv2.INTER_LINEAR)
        face_full = cv2.resize(regions.face_shape, (size, size), interpolation=cv2.INTER_LINEAR)
        if p.photo_detail > 0:
            self._photo_detail(canvas, photo_light, regions.face_shape * self._detail_zone(frame, half_size))
        ink_colour = np.float32(p.ink.colour)
        # Inner lines outside the face only: glasses are redrawn as clean frames below.
        coverage = np.maximum(lines * (1.0 - face_full) * np.float32(0.9), edges)
        canvas = cv2.blendLinear(canvas, self._ink, 1.0 - coverage, coverage)
        clock.lap("ink")

        skin_light = skin_lightness(photo_light, frame)
        # Brows in the ink lightened towards the hair's colour (blond brows stay warm).
        brow_colour = 0.6 * ink_colour + 0.4 * lab_to_bgr(regions.hair_lab)
        # Behind glasses YuNet's eye points slide towards the bridge and the lower rims (seen: 0.2
        # face units in, the eyes measured shut on the rims): there the rims' centres are the eyes.
        eye_frame, eye_light = frame, photo_light
        if rims is not None:
            eye_frame = frame.with_eyes(np.array([rim.mean(axis=0) for rim in rims]))
            # The rims painted out in the cheek's tone: their black set the eyes' darkest (an open
            # eye then measured shut) and was toned into a dark mask around them.
            kept = np.vstack([eye_frame.landmarks[:2], frame.landmarks[:2]])
            eye_light = self._rims_painted_out(photo_light, rims, kept, eye_frame, skin_light)
        # A profile's far eye is behind its nose: not drawn (its point is on the bridge).
        far = 1 if frame.yaw > 0 else 0
        shown = [i for i in (0, 1) if i != far or frame.squeeze >= _PROFILE_SQUEEZE]
        eyes = [measure_eye(eye_light, crop, eye_frame, index) for index in shown]
        if rims is not None:
            # A thin rim fitted a little low puts its centre, and the eye's measuring window, under
            # the eye (it was measured shut): the landmark's own window where it finds it more open.
            at_points = [measure_eye(eye_light, crop, frame, index) for index in shown]
            eyes = [max(pair, key=lambda eye: eye.openness) for pair in zip(eyes, at_points, strict=True)]
        eyes = together(lowered_lids(eyes))
        visible_face = cv2.resize(regions.face, (size, size), interpolation=cv2.INTER_LINEAR)
        # First, so that lashes and the rest are drawn over the toned area.
        tone_eye_area(canvas, eye_light, eyes, eye_frame, p.eyes, skin_light, brow_colour, visible_face)
        line_w = p.ink.line_width * frame.unit / 64.0
        draw_blush(canvas, frame, p, ink_colour, visible_face)
        draw_nose(canvas, frame, ink_colour, line_w)
        draw_mouth(canvas, photo_light, crop, frame, p, skin_light, ink_colour)
        draw_eyes(canvas, eyes, eye_frame, p.eyes, ink_colour)
        if rims is not None:
            draw_glasses(canvas, rims, 1.4 * line_w, ink_colour)
        clock.lap("features")
        if p.manga.enabled:
            zone = cv2.resize(regions.face, (size, size))
            out = self._halftone(canvas, zone)
        else:
            if p.paper_tint != (1.0, 1.0, 1.0):
                canvas *= np.float32(p.paper_tint)
            out = cv2.convertScaleAbs(canvas)  # rounds and saturates; the canvas is never negative
        if strength < 1.0:
            out = cv2.addWeighted(out, strength, crop, 1.0 - strength, 0.0)
        figure = self._figure(silhouette)
        clock.lap("finish")
        return out, figure

    def regions(self, crop: np.ndarray, landmarks: np.ndarray) -> Regions:
        """The half-resolution regions this look draws one (S, S, 3) crop with (before the warp)."""
        return self._segment(crop, FaceFrame.from_landmarks(landmarks))[1]

    def _segment(
        self, crop: np.ndarray, frame: FaceFrame, prior: Palette | None = None
    ) -> tuple[np.ndarray, Regions]:
        """(levelled half-size crop, regions found at a quarter of the size, steadied by `prior`)."""
        size = self.input_size
        half = self._levels(cv2.resize(crop, (size // 2, size // 2), interpolation=cv2.INTER_AREA))
        small = cv2.resize(half, (size // 4, size // 4), interpolation=cv2.INTER_AREA)
        return half, find_regions(lab_planes(small), frame, 0.25, size // 2, prior)

    @staticmethod
    def _rims_painted_out(
        light: np.ndarray, rims: list[np.ndarray], kept: np.ndarray, eye_frame: FaceFrame, skin_light: float
    ) -> np.ndarray:
        """`light` with the rims' band in the cheek's lightness, except around the `kept` eye points
        (K, 2): a thin rim fitted a little small passed over an upper lid, and that eye was measured
        shut."""
        mask = np.zeros(light.shape, np.uint8)
        rings = [np.round(rim * 16).astype(np.int32) for rim in rims]
        width = int(_RIM_COVER * eye_frame.eye_unit) + 1
        cv2.polylines(mask, rings, True, 255, width, cv2.LINE_AA, shift=4)
        axes = (round(_EYE_CORE[0] * eye_frame.eye_unit), round(_EYE_CORE[1] * eye_frame.eye_unit))
        angle = float(np.degrees(np.arctan2(eye_frame.across[1], eye_frame.across[0])))
        for eye in kept:
            cv2.ellipse(mask, (round(eye[0]), round(eye[1])), axes, angle, 0, 360, 0, -1, cv2.LINE_AA)
        cover = mask.astype(np.float32) * np.float32(1 / 255)
        return light + cover * (np.float32(skin_light) - light)

    def _figure(self, silhouette: np.ndarray) -> np.ndarray:
        """The figure's coverage at full size (uint8): the half-size silhouette grown past its drawn
        outline (which reaches about 1.2 half-size pixels out) by a rim of the crop's background,
        so the scene's own ink of the photo's head edge (outside a head the warp narrowed, or the
        mask missed by a pixel or two) stays hidden; a wider rim read as a halo."""
        grown = cv2.dilate(silhouette, _RIM_KERNEL)
        # Blurred with sigma 1.75, the grown edge is at 0.21 about 1.4 half-pixels outside it, at
        # 0.07 about 2.6: opaque to the first, clear from the second.
        spread = cv2.GaussianBlur(grown, (0, 0), 1.75)
        alpha = cv2.convertScaleAbs(clamp(spread, 0.07, 0.21) - 0.07, alpha=255.0 / 0.14)
        return cv2.resize(alpha, (self.input_size, self.input_size), interpolation=cv2.INTER_LINEAR)

    def _detail_zone(self, frame: FaceFrame, size: int) -> np.ndarray:
        """Where the photo's fine shading is kept: an oval over eyes, nose and mouth (size x size)."""
        fx, fy = frame.grid(size, size / self.input_size)
        return clamp(1.6 - (fx / 0.85) ** 2 - ((fy - 0.55) / 0.8) ** 2, 0.0, 1.0)

    def _photo_detail(self, canvas: np.ndarray, photo_light: np.ndarray, zone_half: np.ndarray) -> None:
        """The photo's fine shading (high-pass lightness) in the zone, in place: SFace, and people,
        recognise a face by it; at low amounts it reads as drawn shading. A textured forehead or
        jaw would read as a photo, so the zone stops short of them. Only the zone's box is touched."""
        rows, cols = np.nonzero(zone_half.any(axis=1))[0], np.nonzero(zone_half.any(axis=0))[0]
        if len(rows) == 0:
            return
        k = self.input_size // zone_half.shape[0]
        y0, y1, x0, x1 = rows[0] * k, (rows[-1] + 1) * k, cols[0] * k, (cols[-1] + 1) * k
        zone = cv2.resize(zone_half, (self.input_size, self.input_size), interpolation=cv2.INTER_LINEAR)
        sigma = 3.0 * self.input_size / 256.0
        # The wide blur only over the box and the margin its kernel reaches (a third of the crop).
        m = int(3 * sigma) + 1
        py0, px0 = max(y0 - m, 0), max(x0 - m, 0)
        blurred = cv2.GaussianBlur(photo_light[py0 : y1 + m, px0 : x1 + m], (0, 0), sigma)
        blurred = blurred[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]
        fine = cv2.GaussianBlur(photo_light[y0:y1, x0:x1], (0, 0), 1.2 * self.input_size / 256.0)
        # Clipped at 12 L (was 30): deep wrinkles and creases drew an older face as a textured
        # photo; bench/look's rank-1 was the same (at 6 it lost a face).
        detail = clamp(fine - blurred, -12.0, 12.0)
        gain = 1.0 + np.float32(self.params.photo_detail / 40.0) * detail * zone[y0:y1, x0:x1]
        scale(canvas[y0:y1, x0:x1], gain)

    def _levels(self, half: np.ndarray) -> np.ndarray:
        """Stretches a dim or flat crop's lightness (at most 2.5x) so regions and tones have contrast;
        a median first keeps a dark room's sensor noise from turning into speckle."""
        lab = cv2.cvtColor(cv2.medianBlur(half, 3), cv2.COLOR_BGR2Lab)
        light = lab[..., 0].astype(np.float32)
        lo, hi = percentiles(light[::2, ::2], (2.0, 98.0))
        gain = float(clamp(225.0 / max(hi - lo, 1.0), 1.0, 2.5))
        target = 0.5 * (lo + hi) + (128.0 - 0.5 * (lo + hi)) * 0.6
        lab[..., 0] = clamp((light - 0.5 * (lo + hi)) * gain + target, 0, 255).astype(np.uint8)
        return cv2.cvtColor(lab, cv2.COLOR_Lab2BGR)

    def _halftone(self, canvas: np.ndarray, flat_zone: np.ndarray) -> np.ndarray:
        """Black-and-white: paper white, ink black, mid tones as round screentone dots; in
        `flat_zone` (0..1, the visible face) flat grey in `MangaParams.face_steps` steps instead,
        as digital manga tones a face: dots over the eyes' and cheeks' tones took most of the
        person away (room rank-1 40% with dots everywhere, 63% with a flat face, bench/look.py)."""
        grey = (
            cv2.cvtColor(clamp(canvas, 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY).astype(np.float32)
            / 255.0
        )
        # Lights go to paper, darks to solid ink; only the middle is screened.
        tone = clamp((grey - 0.25) / 0.55, 0.0, 1.0)
        dots = clamp((tone - self._dots) * 6.0 + 0.5, 0.0, 1.0)
        screened = np.where(tone > 0.92, 1.0, np.where(tone < 0.08, 0.0, dots))
        steps = float(self.params.manga.face_steps)
        flat = np.round(tone * steps) / steps
        out = screened + flat_zone * (flat - screened)
        return cv2.cvtColor((out * 255.0 + 0.5).astype(np.uint8), cv2.COLOR_GRAY2BGR)
