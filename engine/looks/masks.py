"""Hard masks cleaned up the way the regions need: specks and pinholes gone, holes filled, stray
islands dropped (float32 0/1 in, float32 0/1 out)."""

from __future__ import annotations

import cv2
import numpy as np


def clean_mask(mask: np.ndarray, unit: float) -> np.ndarray:
    """A hard mask with specks and pinholes removed (float32 0/1)."""
    k = max(3, int(0.1 * unit) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    m = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    return cv2.morphologyEx(m, cv2.MORPH_CLOSE, kernel).astype(np.float32)


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Hair has no holes: skin-coloured strands inside it are still hair."""
    contours, _ = cv2.findContours((mask > 0.5).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled.astype(np.float32)


def keep_largest(mask: np.ndarray) -> np.ndarray:
    """Hair is one connected piece: drop stray islands (a brown sofa, a shadow) apart from it."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0.5).astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.nonzero(areas >= 0.08 * areas.max())[0]
    return mask * np.isin(labels, keep)


def apart_from(mask: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """The pieces of `mask` that neither are its largest nor touch `shape` (0..1)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0.5).astype(np.uint8), connectivity=8)
    if count <= 2:
        return np.zeros(mask.shape, np.float32)
    apart = np.ones(count, bool)
    apart[0] = False  # not a piece
    apart[1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))] = False
    near = cv2.dilate((shape > 0.5).astype(np.uint8), None, iterations=2)
    apart[np.unique(labels[near > 0])] = False
    return apart[labels].astype(np.float32)


def without_slivers(mask: np.ndarray, where: np.ndarray, width: int) -> np.ndarray:
    """`mask` with its parts in `where` that are narrower across than `width` px removed (and any
    island that leaves cut off from the largest piece)."""
    across = cv2.getStructuringElement(cv2.MORPH_RECT, (max(width, 1), 1))
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, across)
    return keep_largest(np.where(where, opened, mask).astype(np.float32))


def hanging_from(mask: np.ndarray, candidates: np.ndarray, row: int) -> np.ndarray:
    """The pixels of `candidates` below `row` that hang from `mask`'s pixels in it: reached row by
    row downwards, at most a pixel sideways per row (0/1)."""
    out = np.zeros(mask.shape, np.float32)
    if not 0 <= row < mask.shape[0] - 1:
        return out
    current = mask[row] > 0.5
    for r in range(row + 1, mask.shape[0]):
        reach = current.copy()
        reach[1:] |= current[:-1]
        reach[:-1] |= current[1:]
        current = reach & (candidates[r] > 0.5)
        if not current.any():
            break
        out[r] = current
    return out


def touching_edge(mask: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """The pieces of `mask` that reach the inner rim of `shape` (0..1): a shadow cast by the jaw
    lies along the face's edge, a crease inside it does not."""
    inside = (shape > 0.5).astype(np.uint8)
    rim = cv2.subtract(inside, cv2.erode(inside, None))  # its inner edge, a pixel wide
    return _pieces_on(mask, rim)


def joined_to(mask: np.ndarray, shape: np.ndarray, sizes: tuple[float, float]) -> np.ndarray:
    """The pieces of `mask` (outside `shape`) that touch `shape`, each of a size (pixels) in `sizes`."""
    near = cv2.dilate((shape > 0.5).astype(np.uint8), None, iterations=2)
    return _pieces_on(mask, near, sizes)


def reaching(mask: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The pieces of `mask` with a pixel in `where` (0..1)."""
    return _pieces_on(mask, where.astype(np.uint8))


def _pieces_on(mask: np.ndarray, where: np.ndarray, sizes: tuple[float, float] = (0, np.inf)) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0.5).astype(np.uint8), connectivity=8)
    keep = np.zeros(count, bool)
    keep[np.unique(labels[where > 0])] = True
    area = stats[:, cv2.CC_STAT_AREA]
    keep &= (area >= sizes[0]) & (area <= sizes[1])
    keep[0] = False
    return keep[labels].astype(np.float32)
