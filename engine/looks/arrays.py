"""Small array helpers the looks call many times per crop (numpy's own have a fixed cost per call
that dominates on arrays this small)."""

from __future__ import annotations

import cv2
import numpy as np


def clamp(values: np.ndarray | float, low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    """np.clip without its wrapper: a look calls it ~140 times per crop, mostly on small arrays,
    where np.clip's dtype checks cost more than the clipping (~25 us a call)."""
    return np.minimum(np.maximum(values, low), high)


def window(plane: np.ndarray, centre: np.ndarray, half: tuple[float, float]) -> tuple[np.ndarray, int, int]:
    """(the view of a 2-D `plane` within `half` (x, y) px of `centre`, clipped to it; its x0, y0)."""
    h, w = plane.shape
    x0, y0 = int(max(centre[0] - half[0], 0)), int(max(centre[1] - half[1], 0))
    x1, y1 = int(min(centre[0] + half[0] + 1, w)), int(min(centre[1] + half[1] + 1, h))
    return plane[y0:y1, x0:x1], x0, y0


def plane(colour: np.ndarray | tuple[float, ...], shape: tuple[int, ...]) -> np.ndarray:
    """An (H, W, 3) float32 picture of one colour. np.full broadcasting a colour costs ~10x this
    (its inner loop runs over the three channels); one row tiled, then repeated, is two copies."""
    row = np.tile(np.asarray(colour, np.float32).reshape(3), shape[1]).reshape(1, shape[1], 3)
    return np.repeat(row, shape[0], axis=0)


def mix(picture: np.ndarray, weight: np.ndarray, target: np.ndarray) -> np.ndarray:
    """picture + weight * (target - picture) as a new float32 array: `picture` an (H, W, 3) image or
    a BGR colour, `weight` (H, W) float32, `target` an image or a colour. cv2.blendLinear does it in
    one pass, 3-7x quicker than numpy's broadcasting of the (H, W, 1) weight against a colour."""
    weight = np.asarray(weight, np.float32)
    shape = (*weight.shape, 3)

    def image(value: np.ndarray) -> np.ndarray:
        value = np.asarray(value, np.float32)
        return value if value.shape == shape else plane(value, shape)

    return cv2.blendLinear(image(target), image(picture), weight, 1.0 - weight)


def scale(picture: np.ndarray, gain: np.ndarray) -> None:
    """Multiplies an (H, W, 3) float32 picture (or a view into one) by an (H, W) gain, in place, in
    one OpenCV pass: 3x quicker than numpy's broadcasting of gain[..., None]."""
    gain = np.asarray(gain, np.float32)
    cv2.multiply(picture, cv2.merge([gain, gain, gain]), dst=picture)


def median(values: np.ndarray, axis: int) -> np.ndarray:
    """np.median along `axis` (the two middle values' mean for an even count) by one sort: np.median
    costs ~50 us a call on the few patches and pixels the looks take medians of, mostly overhead."""
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float64)  # as np.median: a mean of two uint8 would wrap around
    ordered = np.sort(values, axis=axis)
    n = ordered.shape[axis]
    if n == 0:  # as np.median: NaN, not an IndexError
        return np.full(np.delete(ordered.shape, axis), np.nan, ordered.dtype)
    upper = np.take(ordered, n // 2, axis=axis)
    if n % 2:
        return upper
    return (np.take(ordered, n // 2 - 1, axis=axis) + upper) / 2


def percentiles(values: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """np.percentile's (linear) values for `qs` from one partial sort: np.percentile costs ~100 us
    a call on a small patch, mostly overhead."""
    flat = values.reshape(-1)
    spots = [q / 100.0 * (flat.size - 1) for q in qs]
    ranks = sorted({min(int(i) + k, flat.size - 1) for i in spots for k in (0, 1)})
    ordered = np.partition(flat, ranks)
    found = []
    for spot in spots:
        low, high = ordered[int(spot)], ordered[min(int(spot) + 1, flat.size - 1)]
        found.append(float(low + (spot - int(spot)) * (high - low)))
    return found
