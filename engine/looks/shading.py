"""Flat colour: skin in two or three tones whose shadow is a stylised shape (under the fringe, one
side of the face, under the chin), never the photo's light; hair flat with darker clumps and a
highlight band; background and clothes flattened and posterised. All at half resolution.
"""

from __future__ import annotations

import cv2
import numpy as np

from .params import LookParams
from .regions import FaceFrame, Regions


def lab_to_bgr(lab: np.ndarray) -> np.ndarray:
    """float CIELAB (L 0..100, a/b centred) -> float32 BGR 0..255; any shape ending in 3."""
    flat = np.asarray(lab, np.float32).reshape(-1, 1, 3).copy()
    flat[..., 0] *= 2.55
    flat[..., 1:] += 128.0
    bgr = cv2.cvtColor(np.clip(flat, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR)
    return bgr.reshape(np.shape(lab)).astype(np.float32)


def _shift(mask: np.ndarray, dx: float, dy: float) -> np.ndarray:
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(
        mask, matrix, mask.shape[::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _hard(mask: np.ndarray, blur: float) -> np.ndarray:
    """A crisp, anti-aliased version of a soft shape: blur away its wiggles, then a steep step."""
    smooth = cv2.GaussianBlur(mask, (0, 0), blur) if blur > 0 else mask
    return np.clip((smooth - 0.5) * 4.0 + 0.5, 0.0, 1.0)


def skin_shadow(regions: Regions, frame: FaceFrame, scale: float) -> np.ndarray:
    """Where the one skin shadow tone goes: a cast shadow under the hair and a crescent on the
    face's far side from a light fixed up and to the viewer's left (not the photo's light)."""
    unit = frame.unit * scale
    light = -frame.across - 0.4 * frame.down  # the light comes from here
    under_hair = _shift(regions.hair, *(0.12 * unit * frame.down - 0.04 * unit * light))
    lit = _shift(regions.face_shape, *(0.2 * unit * light))
    crescent = np.clip(regions.face_shape - lit, 0.0, 1.0)
    return _hard(np.maximum(under_hair, crescent) * regions.face, 0.04 * unit)


def skin_tones(params: LookParams, regions: Regions) -> tuple[np.ndarray, np.ndarray]:
    """(base, shadow) skin colours in CIELAB: the person's own hue, lifted towards anime light."""
    p = params.skin
    base = regions.skin_lab.astype(np.float32).copy()
    base[0] += (p.target_light - base[0]) * p.lift
    base[1:] *= p.saturation
    shadow = base.copy()
    shadow[0] -= p.shadow_depth
    shadow[1:] *= 1.15  # shadows are richer, not greyer
    return base, shadow


def hair_layer(
    params: LookParams, regions: Regions, frame: FaceFrame, light_plane: np.ndarray, scale: float
) -> np.ndarray:
    """Half-resolution float32 BGR hair: base tone, darker clumps from the photo's own strands
    (smoothed into clean shapes) and a zigzag highlight band around the crown."""
    p = params.hair
    unit = frame.unit * scale
    base = regions.hair_lab.astype(np.float32).copy()
    base[0] = min(base[0] + p.lightness, 85.0)
    base[1:] *= p.saturation
    shade = base.copy()
    shade[0] *= p.clump_depth
    inside = regions.hair > 0.5
    if inside.any():
        reference = float(np.median(light_plane[inside]))
        # Blurred more along the fall of the hair than across it, so clumps are locks, not spots.
        strands = cv2.GaussianBlur(light_plane, (0, 0), sigmaX=0.04 * unit, sigmaY=0.16 * unit)
        clumps = _hard((strands < reference - 7.0).astype(np.float32), 0.05 * unit) * regions.hair
    else:
        clumps = np.zeros_like(regions.hair)
    tone = clumps[..., None] * (lab_to_bgr(shade) - lab_to_bgr(base)) + lab_to_bgr(base)
    if p.highlight > 0 and not regions.hat_like:
        size = light_plane.shape[0]
        fx, fy = frame.grid(size, scale)
        fx, fy = fx, fy + 0.35  # around the head's centre
        radius = np.hypot(fx, fy)
        angle = np.arctan2(fy, fx)
        # A band across the crown whose lower edge is a row of sharp teeth (the anime "angel ring").
        teeth = 0.09 * np.abs(((angle * p.highlight_teeth / np.pi) % 2.0) - 1.0)
        band = (radius > 1.02 + teeth) & (radius < 1.22) & (fy < -0.35)
        glow = base.copy()
        glow[0] = min(base[0] + 22.0, 96.0)
        glow[1:] *= 0.8
        alpha = p.highlight * _hard(band.astype(np.float32), 0.5) * (1.0 - clumps * 0.5)
        tone += alpha[..., None] * (lab_to_bgr(glow) - tone)
    return tone


def flat_scene(params: LookParams, half_bgr: np.ndarray) -> np.ndarray:
    """Background and clothes: edge-preserving flattening, then posterised lightness."""
    # At half the given size again: a background needs no detail, and this is the costly filter.
    size = half_bgr.shape[1], half_bgr.shape[0]
    small = cv2.resize(half_bgr, (size[0] // 2, size[1] // 2), interpolation=cv2.INTER_AREA)
    flat = cv2.medianBlur(cv2.bilateralFilter(small, 5, 40.0, 3.0), 3)
    flat = cv2.resize(flat, size, interpolation=cv2.INTER_LINEAR)
    lab = cv2.cvtColor(flat, cv2.COLOR_BGR2Lab).astype(np.float32)
    levels = max(params.background_levels - 1, 1)
    light = lab[..., 0] / 255.0
    lab[..., 0] = (np.round(light * levels) / levels * 0.8 + 0.2 * light + 0.05) * 255.0
    lab[..., 1:] = (lab[..., 1:] - 128.0) * params.background_saturation + 128.0
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR).astype(np.float32)


def colour_layer(
    params: LookParams,
    regions: Regions,
    frame: FaceFrame,
    half_bgr: np.ndarray,
    light_plane: np.ndarray,
    scale: float,
) -> np.ndarray:
    """The flat-colour picture at half resolution (float32 BGR), before ink and features."""
    picture = flat_scene(params, half_bgr)
    base, shadow = skin_tones(params, regions)
    base_bgr, shadow_bgr = lab_to_bgr(base), lab_to_bgr(shadow) * np.float32(params.skin.shadow_tint)
    shade = skin_shadow(regions, frame, scale)
    skin = base_bgr + shade[..., None] * (shadow_bgr - base_bgr)
    face = regions.face[..., None]
    picture += face * (skin - picture)
    neck = regions.neck[..., None]
    picture += neck * (shadow_bgr - picture)
    hair = hair_layer(params, regions, frame, light_plane, scale)
    covered = np.maximum(regions.hair, regions.beard)[..., None]
    picture += covered * (hair - picture)
    return picture
