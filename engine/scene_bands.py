"""A scene's lightness bands with hysteresis in space and time (see `BandBorders`)."""

from __future__ import annotations

import math

import cv2
import numpy as np


def _counts(labels: np.ndarray, count: int, mask: np.ndarray) -> np.ndarray:
    """Per label (0 .. count - 1): how many of its pixels `mask` (uint8, 255 = yes) holds."""
    if count <= 256:  # 8-bit labels: a histogram, 5x quicker than numpy's indexing
        return cv2.calcHist([labels.astype(np.uint8)], [0], mask, [256], [0, 256]).ravel()[:count]
    return np.bincount(labels[mask > 0], minlength=count)[:count].astype(np.float32)


def _chosen(labels: np.ndarray, count: int, chosen: np.ndarray) -> np.ndarray:
    """uint8 mask (255) of the labelled parts whose entry in `chosen` (bool, per label) is set."""
    table = chosen.astype(np.uint8) * np.uint8(255)
    if count <= 256:
        return cv2.LUT(labels.astype(np.uint8), np.pad(table, (0, 256 - count)))
    return np.take(table, labels)


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
    `flatten` px). A seed is a pixel above (border + h), or one that was above last frame and has
    not changed; a pixel within h of the border is above it when its connected part of such pixels
    touches a seed and is either small (an island, under `island` px) or mostly above the border.
    So an island that only just passes a border joins its surroundings (a mottled wall is one tone,
    where plain posterising broke it into blotches of both, which read as a photo filter), a tone
    drifting within h of a border (the camera's exposure) keeps its band instead of crawling, and a
    large dark part joined to a light one by a soft gradient keeps its own band. Edges (a 3x3 step
    of h or more) cut the parts apart: a bright shirt coming in must not lift the whole grey wall
    beside it into its band; an edge takes the side of the parts beside it where they agree, and
    keeps its own where they differ. Every pixel is moved to its side of the border, so the tables'
    bands follow and a linear upsampling still gives crisp borders. One thread owns it (one per
    renderer).
    """

    still = 8  # a pixel that changed by less (grey levels) keeps last frame's side
    flatten = 8  # px (quarter size: 32 at 720p): the reach of the mottle flattened before deciding
    island = 100  # px (quarter size: 40 x 40 at 720p): a part this small takes its surroundings' side

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
            seeds = cv2.threshold(decide, border + reach - 1, 255, cv2.THRESH_BINARY)[1]
            if unchanged is not None:
                seeds = cv2.bitwise_or(seeds, cv2.bitwise_and(last[1][k - 1], unchanged))  # type: ignore[index]
            above = self._above(near, seeds, decide, border)
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

    def _above(
        self, near: np.ndarray, seeds: np.ndarray, decide: np.ndarray, border: int
    ) -> np.ndarray:
        """The pixels above a border: the seeds among those `near` it, and each part of the rest
        of them that touches those and is an island (under `island` px) or mostly on the border's
        upper side. Every such part was lifted before: on the table of six the whole dark table,
        its arms and chips, joined by soft gradients to the lit wall, were drawn in the wall's band
        (one orange picture, the figures lost in it)."""
        held = cv2.bitwise_and(seeds, near)
        open_ = cv2.bitwise_and(near, cv2.bitwise_not(seeds))
        count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
            open_, 8, cv2.CV_16U, cv2.CCL_SPAGHETTI
        )
        if count <= 1:
            return held
        area = stats[:, cv2.CC_STAT_AREA].astype(np.float32)
        upper = _counts(labels, count, cv2.threshold(decide, border - 1, 255, cv2.THRESH_BINARY)[1])
        touching = _counts(labels, count, cv2.dilate(held, None)) > 0
        lift = touching & ((area < self.island) | (2.0 * upper >= area))
        lift[0] = False
        return cv2.bitwise_or(held, _chosen(labels, count, lift))
