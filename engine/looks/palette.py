"""What a look remembers of one person between drawings: their colours, their cap, their glasses and
their hair's shape.

A crop's colours are measured afresh on every drawing, and on a noisy camera a measurement near
one of its decisions flips between frames: a crown zone of two colours gave the hair one, then the
other (a man's dark hair drawn mid-brown every few frames), and a cap seen on most frames was
missed on some (Grace Hopper's whole head went from a cap over dark hair to one colour and back).
A person's colours do not change from frame to frame, so the drawing follows a running mean of
them and keeps its cap decision until most recent drawings disagree. The pipeline keeps one memory
per tracked face (the Style protocol's `memories`) and drops it with the face.

The hair's and the ears' masks are steadied too: the crop is aligned to the face, so the hair keeps
its place in it while the head moves, and a mask pixel on the noisy border of hair and wall flipped
between frames (a still dark-haired man's ragged top flickered). The drawing follows a running
share of recent drawings that found hair at each pixel. The face outline's widths follow a running
mean, as the colours do. Glasses are kept through a drawing that misses their rims, as the cap is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from .face_frame import FaceFrame

_Value = TypeVar("_Value", float, np.ndarray)

# Weight of a new drawing's colours: about the last five drawings count (with the pipeline's
# redraw every 3rd frame, half a second), so a hat put on shows within a second.
FOLLOW = 0.3
# Weight of a new drawing's cap decision in the running share: a single contrary drawing leaves
# the share past 0.5 (0.6), two in a row flip it.
CAP_FOLLOW = 0.4
# A colour this far from the remembered one (CIELAB units) is a new person or light, taken at once.
JUMP = 30.0
# Weight of a new drawing's hair mask in the running share (as the colours': about five drawings);
# a share over 0.5 is drawn. bench/photos --noise 4, the table of six: a bowed woman's flicker
# 1.66 -> 1.39 grey levels a frame (0.4: 1.64, 0.25: 1.28); a turning head's hair follows later.
MASK_FOLLOW = 0.3
# A mask differing from the remembered one in more than this share of its pixels is taken at once.
MASK_JUMP = 0.25


@dataclass(frozen=True)
class Palette:
    """A person's colours (CIELAB floats) as one drawing saw them, or as remembered."""

    skin_lab: np.ndarray
    hair_lab: np.ndarray
    cover_lab: np.ndarray | None  # a cap's or hat's, None without one
    capped: float  # 0..1: the running share of drawings that found a cap
    # Per mask ("hair", "ears"): per pixel of the regions' working size, the running share (0..1)
    # of recent drawings that found it there, as `capped` for the cap.
    shares: Mapping[str, np.ndarray] = field(default_factory=dict)
    widths: tuple[float, float] | None = None  # the face outline's cheek widths, followed as the colours

    @property
    def has_cover(self) -> bool:
        return self.capped >= 0.5


def _toward(before: _Value, now: _Value, weight: float) -> _Value:
    """A running mean's step (floats or arrays): `weight` of the way from `before` to `now`."""
    return before + weight * (now - before)


def _follow(before: np.ndarray, now: np.ndarray, weight: float) -> np.ndarray:
    if float(np.linalg.norm(now - before)) > JUMP:
        return now
    return _toward(before, now, weight).astype(np.float32)


def steadied(now: Palette, prior: Palette | None) -> Palette:
    """The palette to draw with: `now` (this drawing's measurement) folded into `prior` (the
    person's memory; None on their first drawing). When the cap decision of this drawing
    disagrees with the remembered one, the remembered colours are drawn and not updated (a drawing
    that missed the cap measured the cap as the hair)."""
    if prior is None:
        return now
    capped = _toward(prior.capped, now.capped, CAP_FOLLOW)
    skin = _follow(prior.skin_lab, now.skin_lab, FOLLOW)
    if (now.cover_lab is not None) != prior.has_cover:
        if (capped >= 0.5) == prior.has_cover:  # the memory holds: this drawing was the odd one
            return Palette(skin, prior.hair_lab, prior.cover_lab, capped)
        return Palette(skin, now.hair_lab, now.cover_lab, capped)  # the decision flips: start anew
    cover = None
    if now.cover_lab is not None and prior.cover_lab is not None:
        cover = _follow(prior.cover_lab, now.cover_lab, FOLLOW)
    return Palette(skin, _follow(prior.hair_lab, now.hair_lab, FOLLOW), cover, capped)


def steadied_widths(now: tuple[float, float], before: tuple[float, float] | None) -> tuple[float, float]:
    """The face outline's cheek widths to draw: a running mean (the skin's reach at the cheek is
    measured in steps, and on a noisy camera it stepped back and forth: the outline beside a
    still man's cheek flickered)."""
    if before is None:
        return now
    return (_toward(before[0], now[0], FOLLOW), _toward(before[1], now[1], FOLLOW))


@dataclass(frozen=True)
class Glasses:
    """Whether a person wears glasses, as their drawings found it: the running share (0..1) of
    recent drawings that found rims (as `Palette.capped` for a cap), and the last rims found, in
    face units (so they follow the face into the next crop)."""

    share: float
    rims: tuple[np.ndarray, ...] | None


def steadied_glasses(
    found: list[np.ndarray] | None, frame: FaceFrame, prior: Glasses | None
) -> tuple[list[np.ndarray] | None, Glasses]:
    """(the rims to draw, the memory to keep) from this drawing's rims (`found`, crop pixels; None
    without glasses) and the person's memory (None on a first drawing). In a dim, noisy room one
    drawing in about 30 missed a man's thin rims, and his glasses vanished for the frames that
    drawing was carried (up to ten): a miss while most recent drawings found them draws the last
    rims found; a single drawing that finds rims on a face without glasses draws none."""
    now = float(found is not None)
    share = now if prior is None else _toward(prior.share, now, CAP_FOLLOW)
    if found is not None:
        return (found if share >= 0.5 else None), Glasses(share, tuple(frame.to_face(rim) for rim in found))
    kept = Glasses(share, None if prior is None else prior.rims)
    if share >= 0.5 and kept.rims is not None:
        return [frame.to_pixels(rim) for rim in kept.rims], kept
    return None, kept


def steadied_mask(now: np.ndarray, share: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(the hard mask to draw, the running share to remember) from this drawing's hard mask `now`
    (0/1) and the remembered share (None on a first drawing, or a crop of another size)."""
    if share is None or share.shape != now.shape:
        return now, now
    if float(np.mean(np.abs(now - (share > 0.5)))) > MASK_JUMP:
        return now, now  # a new head of hair (a hat put on, another person): no blending of the two
    share = _toward(share, now, MASK_FOLLOW).astype(np.float32)
    return (share > 0.5).astype(np.float32), share
