"""Line art: the closed outline of the face, hair and body, and XDoG inner lines, both of constant
width and without specks.

Outlines are iso-lines of the soft region masks: the distance of a pixel to the mask's 0.5 level
is |m - 0.5| / |grad m|, so "distance < width / 2" draws a line of the same width everywhere,
anti-aliased, with no contour tracing. XDoG lines come from the photo's smoothed lightness; small
connected blobs (skin texture, sensor noise) are dropped.
"""

from __future__ import annotations

import cv2
import numpy as np

from .arrays import clamp, mix
from .params import InkParams


def iso_line(mask: np.ndarray, width: float) -> np.ndarray:
    """Ink coverage (0..1) of a constant-width line along the 0.5 level of a soft mask."""
    gx = cv2.Sobel(mask, cv2.CV_32F, 1, 0, ksize=3) * 0.125
    gy = cv2.Sobel(mask, cv2.CV_32F, 0, 1, ksize=3) * 0.125
    gradient = np.sqrt(gx * gx + gy * gy) + 1e-4
    distance = np.abs(mask - 0.5) / gradient
    line = clamp(0.5 * width + 0.5 - distance, 0.0, 1.0)
    return line * (gradient > 0.02)  # flat areas (gradient ~ 0) have no level line


def outlines(masks: list[np.ndarray], width: float, size: int) -> np.ndarray:
    """Constant-width outlines of soft masks, found at the masks' resolution (4x cheaper than at
    full size) and upsampled to size x size; bilinear upsampling keeps them anti-aliased."""
    scale = masks[0].shape[0] / size
    ink = np.zeros(masks[0].shape, np.float32)
    for mask in masks:
        smooth = cv2.GaussianBlur(mask, (0, 0), 0.9)  # a smooth ramp for the distance estimate
        np.maximum(ink, iso_line(smooth, width * scale), out=ink)
    return clamp(cv2.resize(ink, (size, size), interpolation=cv2.INTER_LINEAR) * 1.3, 0.0, 1.0)


def xdog(light: np.ndarray, params: InkParams, threshold: np.ndarray | float, size: int) -> np.ndarray:
    """XDoG ink coverage (0..1, size x size) from a lightness plane (L 0..100) of any smaller size.

    The difference of Gaussians is found at the plane's size (the look's flattened colour is half
    size anyway) and upsampled before the hard step, so lines stay crisp at full size. `threshold`
    may vary per pixel (a higher one inside the face keeps only strong edges)."""
    scale = light.shape[0] / 256.0
    sigma = params.xdog_sigma * scale
    inner = cv2.GaussianBlur(light, (0, 0), sigma)
    outer = cv2.GaussianBlur(light, (0, 0), 1.6 * sigma)
    response = outer - inner  # positive on the dark side of an edge
    ink = clamp((response - threshold) * 0.8, 0.0, 1.0)
    solid = (ink > 0.35).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    if count > 1:
        keep = stats[:, cv2.CC_STAT_AREA] >= params.min_blob * scale * scale
        keep[0] = False
        ink *= keep[labels]
    # A hard-ish step: lines are solid, with a one-pixel anti-aliased rim.
    full = cv2.resize(ink, (size, size), interpolation=cv2.INTER_LINEAR)
    return clamp((full - 0.2) * 3.0, 0.0, 1.0)


def stroke(
    canvas: np.ndarray, points: np.ndarray, widths: np.ndarray, colour: np.ndarray, alpha: float = 1.0
) -> None:
    """Draws, in place, a tapered brush stroke through (K, 2) points with per-point widths."""
    if len(points) >= 2:
        paint(canvas, [stroke_outline(points, widths)], colour, alpha)


def stroke_outline(points: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """The closed outline of a tapered brush stroke through (K >= 2, 2) points (for `paint`)."""
    points = np.asarray(points, np.float64)
    tangent = np.empty_like(points)  # np.gradient's differences, without its overhead
    tangent[1:-1] = 0.5 * (points[2:] - points[:-2])
    tangent[0], tangent[-1] = points[1] - points[0], points[-1] - points[-2]
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-6)
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) * (0.5 * np.asarray(widths))[:, None]
    return np.vstack([points + normal, (points - normal)[::-1]])


def paint(canvas: np.ndarray, polygons: list[np.ndarray], colour: np.ndarray, alpha: float = 1.0) -> None:
    """Fills anti-aliased polygons into a float32 BGR canvas, in place, touching only their box.
    Each polygon is filled on its own, so overlapping ones (a lash and its flick) leave no hole."""
    allpts = np.vstack(polygons)
    h, w = canvas.shape[:2]
    x0, y0 = np.floor(allpts.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(allpts.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for polygon in polygons:
        cv2.fillPoly(mask, [np.round((polygon - (x0, y0)) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    cover = mask.astype(np.float32) * np.float32(alpha / 255.0)
    canvas[y0:y1, x0:x1] = mix(canvas[y0:y1, x0:x1], cover, colour)
