"""A scene's lightness bands with hysteresis in space and time (see `BandBorders`)."""

from __future__ import annotations

import math

import cv2
import numpy as np


def _seeded(labels: np.ndarray, count: int, seeds: np.ndarray) -> np.ndarray:
    """uint8 mask (255) of the labelled parts (label 0 is none) that hold a seed pixel (255)."""
    if count <= 256:  # 8-bit labels: a histogram and a lookup table, 5x quicker than numpy's indexing
        small = labels.astype(np.uint8)
        held = cv2.calcHist([cv2.bitwise_and(small, seeds)], [0], None, [256], [0, 256]).ravel() > 0
        held[0] = False
        return cv2.LUT(small, held.astype(np.uint8) * np.uint8(255))
    held = np.bincount(labels[seeds > 0], minlength=count) > 0
    held[0] = False
    return np.take(held.astype(np.uint8) * np.uint8(255), labels)


def _flattened(light: np.ndarray, level: float, radius: int) -> np.ndarray:
    """`light` with variation under about `level` grey levels (within `radius` px) flattened to
    its local mean and stronger edges kept: a self-guided filter (He et al. 2010) whose
    coefficients are found at half size (the "fast" guided filter: a quarter of the cost)."""
    if radius <= 0:
        return light
    height, width = light.shape
    i = light.astype(np.float32)
    small = cv2.resize(i, (max(width // 2, 1), max(height // 2, 1)), interpolation=cv2.INTER_AREA)
    box = (2 * max(radius // 2, 1) + 1,) * 2
    mean = cv2.boxFilter(small, -1, box)
    var = cv2.boxFilter(small * small, -1, box) - mean * mean
    a = var / (var + np.float32(level * level))
    b = mean - a * mean
    a, b = (cv2.resize(cv2.boxFilter(c, -1, box), (width, height), interpolation=cv2.INTER_LINEAR)
            for c in (a, b))  # fmt: skip
    return cv2.convertScaleAbs(a * i + b)


_NEAR_EDGE = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))  # covers an edge band (3x3 step)


class BandBorders:
    """Draws a look's band borders with hysteresis in space and time, on quarter-size lightness.

    Sides are decided on the lightness with its mottle flattened (variation under about h, within
    `flatten` px). A pixel is above a border when its connected part of the pixels above
    (border - h) holds a seed: a pixel above (border + h), or one that was above last frame and has
    not changed. So an island that only just passes a border joins its surroundings (a mottled
    wall is one tone, where plain posterising broke it into blotches of both, which read as a photo
    filter), and a tone drifting within h of a border (the camera's exposure) keeps its band
    instead of crawling. Edges (a 3x3 step of h or more) cut the parts apart: a bright shirt coming
    in must not lift the whole grey wall beside it into its band; an edge takes the side of the
    parts beside it where they agree, and keeps its own where they differ. Every pixel is moved to
    its side of the border, so the tables' bands follow and a linear upsampling still gives crisp
    borders. One thread owns it (one per renderer).
    """

    still = 8  # a pixel that changed by less (grey levels) keeps last frame's side
    flatten = 8  # px (quarter size: 32 at 720p): the reach of the mottle flattened before deciding

    def __init__(self) -> None:
        # The last frame's lightness, its side of each border (255 = above) and its levels.
        self._last: tuple[np.ndarray, list[np.ndarray], int] | None = None

    def settle(self, light: np.ndarray, levels: int, hysteresis: float) -> np.ndarray:
        """`light` (uint8, one channel) moved across its borders; `hysteresis` in bands (< 0.5)."""
        if hysteresis <= 0:
            return light
        levels = max(levels, 2)
        hysteresis = min(hysteresis, 0.49) * 255.0 / levels
        last = self._last
        unchanged = None  # uint8 masks (255 = yes) from here on: OpenCV's passes are the quick ones
        if last is not None and last[0].shape == light.shape and last[2] == levels:
            change = cv2.absdiff(light, last[0])
            unchanged = cv2.threshold(change, self.still - 1, 255, cv2.THRESH_BINARY_INV)[1]
        step = cv2.morphologyEx(light, cv2.MORPH_GRADIENT, None)
        free = cv2.threshold(step, hysteresis - 1, 255, cv2.THRESH_BINARY_INV)[1]  # not an edge
        # Without the flattening a wall varying by more than h, in soft clouds, still broke into
        # their shapes (the demo's dim first seconds).
        decide = _flattened(light, hysteresis, self.flatten)
        settled, sides = light.copy(), []
        for k in range(1, levels):
            border = math.ceil(255.0 * k / levels)  # band k starts here (the tables' floor(v * levels))
            # Near black the same step of grey levels is a far larger one of light: spread across
            # the lowest border by the full reach, a navy suit's lit shoulders lifted the suit down
            # to twice as dark into their band (grey blobs on Obama's suit).
            reach = hysteresis * min(1.0, border / 128.0)
            near = cv2.threshold(decide, border - reach - 1, 255, cv2.THRESH_BINARY)[1]
            near = cv2.bitwise_and(near, free)
            count, labels = cv2.connectedComponents(near, connectivity=8, ltype=cv2.CV_16U)
            seeds = cv2.threshold(decide, border + reach - 1, 255, cv2.THRESH_BINARY)[1]
            if unchanged is not None:
                seeds = cv2.bitwise_or(seeds, cv2.bitwise_and(last[1][k - 1], unchanged))  # type: ignore[index]
            above = _seeded(labels, count, seeds)
            under = cv2.bitwise_and(cv2.bitwise_not(above), free)  # off the edges, below the border
            # An edge takes the side of the parts beside it when they agree (else its own): left as
            # it was, a bright edge of a wall flattened down stayed a thin white line.
            by_above, by_under = cv2.dilate(above, _NEAR_EDGE), cv2.dilate(under, _NEAR_EDGE)
            edge = cv2.bitwise_not(free)
            up = cv2.bitwise_or(above, cv2.bitwise_and(edge, cv2.subtract(by_above, by_under)))
            down = cv2.bitwise_or(under, cv2.bitwise_and(edge, cv2.subtract(by_under, by_above)))
            below = cv2.threshold(light, border - 1, 255, cv2.THRESH_BINARY_INV)[1]
            # Raised to the border where up but below it, lowered under it where down but not:
            # max(settled, min(raise, border)), min(settled, max(255 - lower, border - 1)).
            settled = cv2.max(settled, cv2.min(cv2.bitwise_and(up, below), border))
            lower = cv2.bitwise_and(down, cv2.bitwise_not(below))
            settled = cv2.min(settled, cv2.max(cv2.bitwise_not(lower), border - 1))
            sides.append(above)
        self._last = (light, sides, levels)
        return settled


