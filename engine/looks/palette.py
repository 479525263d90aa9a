"""What a look remembers of one person between drawings: their colours and their cap.

A crop's colours are measured afresh on every drawing, and on a noisy camera a measurement near
one of its decisions flips between frames: a crown zone of two colours gave the hair one, then the
other (a man's dark hair drawn mid-brown every few frames), and a cap seen on most frames was
missed on some (Grace Hopper's whole head went from a cap over dark hair to one colour and back).
A person's colours do not change from frame to frame, so the drawing follows a running mean of
them and keeps its cap decision until most recent drawings disagree. The pipeline keeps one memory
per tracked face (the Style protocol's `memories`) and drops it with the face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Weight of a new drawing's colours: about the last five drawings count (with the pipeline's
# redraw every 3rd frame, half a second), so a hat put on shows within a second.
FOLLOW = 0.3
# Weight of a new drawing's cap decision in the running share: a single contrary drawing leaves
# the share past 0.5 (0.6), two in a row flip it.
CAP_FOLLOW = 0.4
# A colour this far from the remembered one (CIELAB units) is a new person or light, taken at once.
JUMP = 30.0


@dataclass(frozen=True)
class Palette:
    """A person's colours (CIELAB floats) as one drawing saw them, or as remembered."""

    skin_lab: np.ndarray
    hair_lab: np.ndarray
    cover_lab: np.ndarray | None  # a cap's or hat's, None without one
    capped: float  # 0..1: the running share of drawings that found a cap

    @property
    def has_cover(self) -> bool:
        return self.capped >= 0.5


def _follow(before: np.ndarray, now: np.ndarray, weight: float) -> np.ndarray:
    if float(np.linalg.norm(now - before)) > JUMP:
        return now
    return (before + weight * (now - before)).astype(np.float32)


def steadied(now: Palette, prior: Palette | None) -> Palette:
    """The palette to draw with: `now` (this drawing's measurement) folded into `prior` (the
    person's memory; None on their first drawing). When the cap decision of this drawing
    disagrees with the remembered one, the remembered colours are drawn and not updated (a drawing
    that missed the cap measured the cap as the hair)."""
    if prior is None:
        return now
    capped = prior.capped + CAP_FOLLOW * (now.capped - prior.capped)
    skin = _follow(prior.skin_lab, now.skin_lab, FOLLOW)
    if (now.cover_lab is not None) != prior.has_cover:
        if (capped >= 0.5) == prior.has_cover:  # the memory holds: this drawing was the odd one
            return Palette(skin, prior.hair_lab, prior.cover_lab, capped)
        return Palette(skin, now.hair_lab, now.cover_lab, capped)  # the decision flips: start anew
    cover = None
    if now.cover_lab is not None and prior.cover_lab is not None:
        cover = _follow(prior.cover_lab, now.cover_lab, FOLLOW)
    return Palette(skin, _follow(prior.hair_lab, now.hair_lab, FOLLOW), cover, capped)
