"""Which tracked faces are drawn afresh on a frame; the rest carry their last drawing (smoothing.py).

One rule, used by the pipeline (frame_filter.FaceFilter) and by bench/temporal.py's live row, so
the bench measures the schedule the app runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence


def scheduled_drawings(
    ages: Sequence[int], every: int, budget: int, still_every: int, unchanged: Callable[[int], bool]
) -> set[int]:
    """The faces (indices into `ages`, each face's frames since its last drawing) drawn this frame.

    A face is due `every` frames after its drawing; at most a 1/`every` share of the faces, and at
    most `budget`, is drawn each frame, the longest-carried first, so faces that appeared together
    fall out of step and every frame costs about the same. A due face for which `unchanged(index)`
    holds (it still looks as it did when drawn: the drawing would be the same) waits instead, up to
    `still_every` frames after its drawing."""
    due = sorted((i for i, age in enumerate(ages) if age >= every - 1), key=lambda i: -ages[i])
    chosen = due[: min(math.ceil(len(ages) / max(every, 1)), max(budget, 1))]
    return {i for i in chosen if not (ages[i] < still_every - 1 and unchanged(i))}
