"""Fault matrix, faces: the whole per-frame filter (track, align, style, smooth, paste) on awkward faces.

The tracker alone is tested on none / six / half-outside in test_faces.py; here every row goes through
FaceFilter with an inverting style, so any pixel it changes is visible, and the output must stay sane:
same shape, and changed only inside the crop footprint of a face found in that frame.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from animecam.core.align import apply, crop_transform, invert
from animecam.core.frames import Frame, FrameResult
from animecam.videofilter.pipeline import FaceFilter, PipelineConfig

SIZE = (480, 360)


class Invert:
    name, input_size = "invert", 128

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        return 255 - crops


@pytest.fixture(scope="module")
def head() -> np.ndarray:
    """The astronaut's head and shoulders, face about 80 px wide."""
    photo = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)[10:270, 120:330]
    return cv2.resize(photo, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)


def place(background: np.ndarray, picture: np.ndarray, x: int, y: int) -> np.ndarray:
    """`picture` pasted with its top-left at (x, y), clipped at the frame's edges."""
    frame = background.copy()
    height, width = frame.shape[:2]
    ph, pw = picture.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + pw), min(height, y + ph)
    if x0 < x1 and y0 < y1:
        frame[y0:y1, x0:x1] = picture[y0 - y:y1 - y, x0 - x:x1 - x]
    return frame


def backdrop(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(100 + rng.normal(0, 3, (SIZE[1], SIZE[0], 3)), 0, 255).astype(np.uint8)


def footprint(result: FrameResult, size: int = Invert.input_size, grow: int = 3) -> np.ndarray:
    """Pixels a paste may touch: each face's crop square mapped back into the frame, grown a little."""
    mask = np.zeros(result.output.image.shape[:2], np.uint8)
    corners = np.array([[0, 0], [size, 0], [size, size], [0, size]], np.float64)
    for face in result.faces:
        polygon = apply(invert(crop_transform(face.landmarks, size)), corners)
        cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    return cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)).astype(bool)


def run(frames: list[np.ndarray], **config: float) -> list[FrameResult]:
    # Face only: the footprint check is about where faces are pasted (the scene draws everywhere).
    face_filter = FaceFilter(Invert(), PipelineConfig(scene=False, **config))
    results = [face_filter.process(Frame(image, i, i / 30)) for i, image in enumerate(frames)]
    for result, image in zip(results, frames, strict=True):
        out = result.output.image
        assert out.shape == image.shape and out.dtype == np.uint8
        changed = np.abs(out.astype(int) - image).max(axis=2) > 0
        assert not np.any(changed & ~footprint(result)), "pixels changed away from every face"
        for face in result.faces:
            assert np.isfinite(face.landmarks).all() and np.isfinite(face.box).all()
    return results


def test_six_faces_all_tracked_and_stylised(head: np.ndarray) -> None:
    tile = cv2.resize(head, (150, 170), interpolation=cv2.INTER_AREA)
    frame = np.vstack([np.hstack([tile] * 3)] * 2)  # six faces, 450x340: a table on a call
    results = run([frame] * 6)
    assert all(len(r.faces) == 6 for r in results)
    assert len({face.id for face in results[-1].faces}) == 6
    assert np.abs(results[-1].output.image.astype(int) - frame).mean() > 5  # they were stylised


def test_tiny_face_is_ignored_or_handled(head: np.ndarray) -> None:
    tiny = cv2.resize(head, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)  # face ~20 px
    frames = [place(backdrop(i), tiny, 200 + i, 150) for i in range(10)]
    run(frames)  # found or not, nothing is pasted away from a found face


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_face_half_outside_the_frame(head: np.ndarray, side: str) -> None:
    ph, pw = head.shape[:2]
    # Slide from inside until about half of the face is past the edge.
    steps = {
        "left": lambda t: (40 - 6 * t, 80),
        "right": lambda t: (SIZE[0] - pw - 40 + 6 * t, 80),
        "top": lambda t: (130, 40 - 6 * t),
        "bottom": lambda t: (130, SIZE[1] - ph - 20 + 6 * t),
    }[side]
    frames = [place(backdrop(t), head, *steps(t)) for t in range(20)]
    results = run(frames, smoothing=0.6)
    assert sum(bool(r.faces) for r in results) >= 10


def test_profile_faces(head: np.ndarray) -> None:
    # A face turned sideways in the image plane and mirrored, then a tight half-face "profile" crop.
    turned = cv2.rotate(head, cv2.ROTATE_90_CLOCKWISE)
    mirrored = cv2.flip(head, 1)
    half = head[:, head.shape[1] // 2:]
    frames = [place(backdrop(i), picture, 150, 60) for i, picture in
              enumerate([turned] * 4 + [mirrored] * 4 + [half] * 4)]
    results = run(frames)
    assert any(r.faces for r in results[4:8])  # the mirrored face is still a face


def _jumping(head: np.ndarray) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    positions = [(20 + (100 * i) % 300, 40 + (37 * i) % 80) for i in range(24)]
    return [place(backdrop(i), head, x, y) for i, (x, y) in enumerate(positions)], positions


def test_fast_motion_jumps_of_100_px_keep_running(head: np.ndarray) -> None:
    frames, _ = _jumping(head)
    results = run(frames, smoothing=1.0)  # strongest smoothing: the most state that could lag behind
    assert sum(bool(r.faces) for r in results) >= len(frames) // 3


def test_fast_motion_reports_no_ghost_faces(head: np.ndarray) -> None:
    frames, positions = _jumping(head)
    results = run(frames, smoothing=1.0)
    ph, pw = head.shape[:2]
    for result, (x, y) in zip(results, positions, strict=True):
        for face in result.faces:  # every face reported is on the head where it is now
            cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
            assert x <= cx <= x + pw and y <= cy <= y + ph
