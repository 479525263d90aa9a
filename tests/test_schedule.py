"""The drawing schedule shared by the pipeline and bench/temporal.py (videofilter/schedule.py)."""

from __future__ import annotations

from animecam.videofilter.schedule import scheduled_drawings


def never(_: int) -> bool:
    return False


def test_due_faces_are_drawn_a_share_at_a_time_the_longest_carried_first() -> None:
    # Due from 2 frames after a drawing (every 3); of three faces one a frame, of six two.
    assert scheduled_drawings([2, 5, 0], 3, 4, 0, never) == {1}
    assert scheduled_drawings([2, 5, 0, 3, 2, 1], 3, 4, 0, never) == {1, 3}
    assert scheduled_drawings([2, 5, 0, 3, 2, 1], 3, 1, 0, never) == {1}  # the budget
    assert scheduled_drawings([0, 1], 3, 4, 0, never) == set()  # none due


def test_a_face_unchanged_since_its_drawing_waits_up_to_still_every() -> None:
    still = lambda _: True  # noqa: E731
    assert scheduled_drawings([2], 3, 1, 10, still) == set()
    assert scheduled_drawings([8], 3, 1, 10, still) == set()
    assert scheduled_drawings([9], 3, 1, 10, still) == {0}  # drawn on the 10th frame after
    assert scheduled_drawings([2], 3, 1, 10, never) == {0}  # changed: drawn on schedule
