"""Paste-back: the stylised crop goes back into the frame through the inverse of its crop transform.

Only the frame region under the warped crop square is touched (blending the whole frame costs about
5x more at 720p). A feathered mask hides the crop's square edges, and an optional colour match moves
the stylised crop's border ring part of the way towards the frame's colours there, so the seam
disappears while the style's own palette survives in the middle of the face.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from animecam.core.align import apply, invert

MASK_SHAPES = ("ellipse", "rounded")


@dataclass
class CompositorConfig:
    feather: float = 0.12  # width of the soft edge as a fraction of the crop side
    mask_shape: str = "ellipse"  # "ellipse" (the crop's inscribed circle) or "rounded" (rounded square)
    colour_match: bool = True  # pull the stylised crop's colours towards the frame's at the seam
    colour_gain: float = 0.5  # fraction of the seam's colour difference corrected (1 = match fully)
    # The outer crop pixels of a drawn figure's alpha that are its rim: grown past its outline so the
    # scene's ink of the photo's head edge (outside a head the look's warp narrowed) stays hidden.
    # The rim shows the scene's own tones without ink (`paste(under=...)`), or nothing over the
    # photo: in the figure's colours (its drawn background) it was a light halo around the hair.
    # At 720p 3 hid the halo with the outline whole; 2 left a light line, 4 thinned the outline.
    figure_rim: int = 3
    # A drawn figure's alpha is its own shape: its crop is faded out only near the square's edges.
    # In the inscribed circle the hair's upper corners (a tall or bowed head) were cut off and
    # came from the scene, drawn lighter and greyer: a cap over the drawn hair. 0.08 still faded a
    # low chin's outline and a tall head's hair top into blurs; 0.04 keeps them drawn.
    figure_mask_shape: str = "rounded"
    figure_feather: float = 0.04


@lru_cache(maxsize=8)
def feather_mask(size: int, feather: float, shape: str) -> np.ndarray:
    """size x size uint8 mask: 255 inside, a smooth ramp of `feather * size` pixels, 0 at the edges."""
    if shape not in MASK_SHAPES:
        raise ValueError(f"unknown mask shape {shape!r}; choose one of {MASK_SHAPES}")
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5  # -0.5..0.5 across the crop
    x, y = np.abs(coords)[None, :], np.abs(coords)[:, None]
    if shape == "ellipse":
        inside = 0.5 - np.hypot(x, y)  # signed distance to the inscribed circle
    else:
        radius = 0.2  # corner radius as a fraction of the crop side
        qx, qy = x - (0.5 - radius), y - (0.5 - radius)
        outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0)
        inside = radius - outside  # signed distance to the rounded square's edge
    inside -= 1.0 / size  # the outermost pixels are fully clear: no faint square edge after the warp
    ramp = np.clip(inside / max(feather, 1e-6), 0.0, 1.0)
    ramp = ramp * ramp * (3 - 2 * ramp)  # smoothstep: no visible edge where the ramp starts
    mask = np.round(ramp * 255).astype(np.uint8)
    mask.setflags(write=False)
    return mask


def mix_with_photo(drawn: np.ndarray, photo: np.ndarray, strength: float) -> np.ndarray:
    """The drawn frame mixed with the photo: `strength` 0 is the photo exactly, 1 the drawing."""
    strength = float(np.clip(strength, 0.0, 1.0))
    if strength == 0.0:
        return photo.copy()
    if strength == 1.0:
        return drawn
    return cv2.addWeighted(drawn, strength, photo, 1.0 - strength, 0.0)


class Compositor:
    def __init__(self, config: CompositorConfig | None = None) -> None:
        self.config = config or CompositorConfig()

    def paste(
        self, canvas: np.ndarray, crop: np.ndarray, matrix: np.ndarray, strength: float,
        under: np.ndarray | None = None,
    ) -> None:  # fmt: skip
        """Blends `crop` (S x S x 3 uint8, made with frame->crop `matrix`) into `canvas` in place. A
        BGRA crop (a drawn figure) is pasted where its alpha is, inside the figure's feathered mask, and
        its colours are not matched: it meets the scene's drawing of the same body, not a photo.
        Its rim (`figure_rim`) shows `under` there, the scene's tones without ink (any size in the
        canvas's proportions), or is left out when there is none (the canvas is the photo)."""
        strength = float(np.clip(strength, 0.0, 1.0))
        size = crop.shape[0]
        if strength == 0.0:
            return
        to_frame = invert(matrix)
        corners = apply(to_frame, np.array([[0, 0], [size, 0], [0, size], [size, size]], np.float64))
        height, width = canvas.shape[:2]
        x0, y0 = np.maximum(np.floor(corners.min(axis=0)).astype(int), 0)
        x1 = min(int(np.ceil(corners[:, 0].max())), width)
        y1 = min(int(np.ceil(corners[:, 1].max())), height)
        if x1 <= x0 or y1 <= y0:
            return
        cfg = self.config
        figure = crop.shape[2] == 4
        mask = (
            feather_mask(size, cfg.figure_feather, cfg.figure_mask_shape)
            if figure
            else feather_mask(size, cfg.feather, cfg.mask_shape)
        )
        # One 4-channel warp moves the crop and its mask together; contiguous copies keep the
        # OpenCV calls below on their fast paths (the ROI blend is the stage's main cost).
        if figure:
            rgba = self._figure(crop, mask, matrix, under, canvas.shape)
        else:
            if cfg.colour_match:
                crop = self._match_colours(canvas, crop, matrix)
            rgba = cv2.cvtColor(crop, cv2.COLOR_BGR2BGRA)
            rgba[..., 3] = mask
        to_roi = to_frame.copy()
        to_roi[:, 2] -= (x0, y0)
        warped = cv2.warpAffine(
            rgba, to_roi, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )
        # The alpha taken out first: numpy's conversion of the strided channel cost 0.8 ms for a big
        # face, this 0.1.
        weight = np.multiply(cv2.extractChannel(warped, 3), np.float32(strength / 255.0), dtype=np.float32)
        region = canvas[y0:y1, x0:x1]
        region[...] = cv2.blendLinear(cv2.cvtColor(warped, cv2.COLOR_BGRA2BGR), region, weight, 1.0 - weight)

    def _figure(
        self, crop: np.ndarray, mask: np.ndarray, matrix: np.ndarray, under: np.ndarray | None,
        frame_shape: tuple[int, ...],
    ) -> np.ndarray:  # fmt: skip
        """A BGRA figure made ready to paste, in crop space (cheaper than the frame's region of a
        big face): its alpha inside the feathered mask; its rim recoloured with `under` warped into
        the crop, or cut off without it."""
        figure = cv2.extractChannel(crop, 3)
        colours = cv2.cvtColor(crop, cv2.COLOR_BGRA2BGR)  # contiguous, unlike a slice of crop
        rim = self.config.figure_rim
        inner = cv2.erode(figure, _disc(rim)) if rim > 0 else figure
        # The rim is the figure's own (not the feathered mask's edge, where its outline must stay).
        if rim <= 0 or under is None:
            return cv2.merge([colours, cv2.multiply(mask, inner, scale=1.0 / 255.0)])
        size = crop.shape[0]
        # under pixel -> frame pixel (centres as cv2.resize maps them) -> crop pixel. Nearest
        # neighbours: the tones are flat, and the rim is a few pixels wide (3x quicker than linear).
        scale = under.shape[1] / frame_shape[1]
        shift = 0.5 / scale - 0.5
        to_frame = np.array([[1 / scale, 0.0, shift], [0.0, 1 / scale, shift], [0.0, 0.0, 1.0]])
        to_crop = np.asarray(matrix, np.float64)[:2] @ to_frame
        tones = cv2.warpAffine(under, to_crop, (size, size), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        # Over the rim (the figure beyond its inner part) the tones, inside it the figure's colours.
        weight = cv2.divide(inner, cv2.max(figure, 1), dtype=cv2.CV_32F)
        colours = cv2.blendLinear(colours, tones, weight, 1.0 - weight)
        return cv2.merge([colours, cv2.multiply(mask, figure, scale=1.0 / 255.0)])

    def _match_colours(self, canvas: np.ndarray, crop: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """Per channel: moves the crop's mean and spread on the seam ring part way to the frame's there.

        Statistics are taken on 64 x 64 versions in crop space, so the cost does not grow with the face.
        """
        cfg = self.config
        side = _STATS_SIDE
        ring = cv2.inRange(feather_mask(side, cfg.feather, cfg.mask_shape), 8, 247)
        to_small = np.asarray(matrix, np.float64) * (side / crop.shape[0])
        frame_small = cv2.warpAffine(
            canvas, to_small, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        crop_small = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
        crop_mean, crop_std = cv2.meanStdDev(crop_small, mask=ring)
        frame_mean, frame_std = cv2.meanStdDev(frame_small, mask=ring)
        gain = cfg.colour_gain
        ratio = np.clip(frame_std / np.maximum(crop_std, 1.0), 0.5, 2.0)
        scale = 1.0 + gain * (ratio - 1.0)
        shift = crop_mean + gain * (frame_mean - crop_mean) - scale * crop_mean
        # cv2.transform applies the per-channel affine map with saturation in one pass over uint8.
        return cv2.transform(crop, np.hstack([np.diagflat(scale), shift]))


_STATS_SIDE = 64  # resolution of the colour statistics


@lru_cache(maxsize=4)
def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
