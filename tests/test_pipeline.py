"""The Pipeline's threading contract and FaceFilter's per-frame behaviour, with fake sources and sinks."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from animecam.core.frames import Frame, FrameResult, FrameSink, FrameSource, SourceInfo
from animecam.videofilter.pipeline import FaceFilter, Pipeline, PipelineConfig, style_thumbnail


def _portrait(width: int = 480, height: int = 360) -> np.ndarray:
    """The astronaut's face on a grey canvas, so pixels far from the face are known."""
    photo = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)[0:300, 100:350]
    canvas = np.full((height, width, 3), 90, np.uint8)
    canvas[30:330, 115:365] = photo
    return canvas


class FakeSource(FrameSource):
    def __init__(self, image: np.ndarray, count: int, live: bool = False, delay: float = 0.0) -> None:
        h, w = image.shape[:2]
        self.info = SourceInfo("fake", w, h, 30.0, None if live else count, live=live)
        self.image, self.count, self.delay, self.index = image, count, delay, 0

    def read(self) -> Frame | None:
        if self.index >= self.count:
            return None
        time.sleep(self.delay)
        frame = Frame(self.image, self.index, self.index / 30.0)
        self.index += 1
        return frame


class ListSink(FrameSink):
    def __init__(self, delay: float = 0.0, fail_at: int | None = None) -> None:
        self.results: list[FrameResult] = []
        self.delay, self.fail_at, self.closed = delay, fail_at, False

    def write(self, result: FrameResult) -> None:
        if self.fail_at is not None and len(self.results) == self.fail_at:
            raise OSError("disk full")
        time.sleep(self.delay)
        self.results.append(result)

    def close(self) -> None:
        self.closed = True


class Invert:
    name, input_size = "invert", 128

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        return 255 - crops


class Keep:
    name, input_size = "keep", 128

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        return crops.copy()


def test_face_only_without_a_face_passes_the_frame_through() -> None:
    image = np.full((120, 160, 3), 40, np.uint8)
    result = FaceFilter(Invert(), PipelineConfig(scene=False)).process(Frame(image, 0, 0.0))
    assert result.faces == []
    assert np.array_equal(result.output.image, image)


def test_face_only_changes_the_face_region_and_not_far_pixels() -> None:
    image = _portrait()
    result = FaceFilter(Invert(), PipelineConfig(smoothing=0.0, scene=False)).process(Frame(image, 0, 0.0))
    assert len(result.faces) == 1
    x0, y0, x1, y1 = (round(v) for v in result.faces[0].box)
    out = result.output.image.astype(int)
    face_change = np.abs(out[y0:y1, x0:x1] - image[y0:y1, x0:x1]).mean()
    assert face_change > 40
    assert np.array_equal(out[:, :60], image[:, :60])  # far left margin untouched
    assert set(result.stage_ms) >= {"track", "align", "style", "smooth", "compose"}


def test_strength_zero_leaves_the_frame_as_it_was() -> None:
    image = _portrait()
    result = FaceFilter(Invert(), PipelineConfig(strength=0.0, smoothing=0.0)).process(Frame(image, 0, 0.0))
    assert np.abs(result.output.image.astype(int) - image).max() <= 1


def test_lossless_file_mode_keeps_every_frame_in_order() -> None:
    sink = ListSink(delay=0.002)
    stats = Pipeline(FakeSource(np.zeros((48, 64, 3), np.uint8), 40), Keep(), [sink]).run()
    assert [r.output.index for r in sink.results] == list(range(40))
    assert stats.frames == 40 and stats.dropped == 0
    assert sink.closed


def test_lossless_end_of_stream_waits_for_a_slow_sink() -> None:
    sink = ListSink(delay=0.15)  # slower than the end marker's wait, with the queues full
    Pipeline(FakeSource(np.zeros((48, 64, 3), np.uint8), 14), Keep(), [sink]).run()
    assert [r.output.index for r in sink.results] == list(range(14))


def test_live_mode_drops_oldest_instead_of_lagging() -> None:
    source = FakeSource(np.zeros((48, 64, 3), np.uint8), 60, live=True, delay=0.001)
    sink = ListSink(delay=0.01)
    stats = Pipeline(source, Keep(), [sink]).run()
    indices = [r.output.index for r in sink.results]
    assert indices == sorted(indices)
    assert stats.dropped > 0 and len(indices) < 60
    assert indices[-1] >= 55  # the newest frames get through


def test_max_frames_stops_the_run() -> None:
    sink = ListSink()
    config = PipelineConfig(max_frames=7)
    Pipeline(FakeSource(np.zeros((48, 64, 3), np.uint8), 100), Keep(), [sink], config).run()
    assert len(sink.results) == 7 and sink.closed


def test_a_failing_sink_is_dropped_and_the_others_carry_on() -> None:
    good, bad = ListSink(), ListSink(fail_at=3)
    errors: list[BaseException] = []
    pipeline = Pipeline(
        FakeSource(np.zeros((48, 64, 3), np.uint8), 20), Keep(), [bad, good], on_error=errors.append
    )
    with pytest.raises(OSError, match="disk full"):
        pipeline.run()
    assert len(good.results) == 20 and bad.closed and len(bad.results) == 3
    assert [str(e) for e in errors] == ["disk full"]


def test_source_error_reaches_the_caller_and_sinks_are_closed() -> None:
    class Broken(FakeSource):
        def read(self) -> Frame | None:
            if self.index == 5:
                raise RuntimeError("decoder exploded")
            return super().read()

    sink = ListSink()
    with pytest.raises(RuntimeError, match="decoder exploded"):
        Pipeline(Broken(np.zeros((48, 64, 3), np.uint8), 20), Keep(), [sink]).run()
    assert len(sink.results) == 5 and sink.closed


def test_style_switch_while_running_changes_output() -> None:
    source = FakeSource(cv2.resize(_portrait(), (320, 240)), 400, delay=0.002)
    sink = ListSink()
    pipeline = Pipeline(source, Keep(), [sink], PipelineConfig(smoothing=0.0, scene=False))
    pipeline.start()
    while len(sink.results) < 5:
        time.sleep(0.01)
    pipeline.set_style(Invert())
    before = len(sink.results)
    while len(sink.results) < before + 10:
        time.sleep(0.01)
    pipeline.stop()
    first, last = sink.results[0], sink.results[-1]
    assert first.faces and last.faces

    def face_change(result: FrameResult) -> float:
        x0, y0, x1, y1 = (max(0, round(v)) for v in result.faces[0].box)
        diff = result.output.image.astype(int) - result.original.image
        return float(np.abs(diff[y0:y1, x0:x1]).mean())

    assert face_change(first) < 3
    assert face_change(last) > 30
    assert sink.closed and not pipeline.running


def test_stop_from_another_thread_finalises_sinks() -> None:
    sink = ListSink()
    pipeline = Pipeline(FakeSource(np.zeros((48, 64, 3), np.uint8), 10**6, live=True), Keep(), [sink])
    threading.Timer(0.3, pipeline.stop).start()
    pipeline.run()
    assert sink.closed and sink.results


def test_mirror_and_face_overlay() -> None:
    image = _portrait()
    config = PipelineConfig(mirror=True, draw_faces=True, strength=0.0)
    result = FaceFilter(Keep(), config).process(Frame(image, 0, 0.0))
    assert np.array_equal(result.original.image, image[:, ::-1])
    assert not np.array_equal(result.output.image, result.original.image)  # boxes drawn


def test_style_thumbnail_is_a_small_picture() -> None:
    thumb = style_thumbnail(Invert(), 64)
    assert thumb.shape == (64, 64, 3) and thumb.dtype == np.uint8


class CountingInvert(Invert):
    """Invert that counts the crops it drew."""

    def __init__(self) -> None:
        self.drawn = 0

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        self.drawn += len(crops)
        return 255 - crops


def _run(face_filter: FaceFilter, frames: list[np.ndarray]) -> list[np.ndarray]:
    return [face_filter.process(Frame(image, i, i / 30.0)).output.image for i, image in enumerate(frames)]


def test_a_face_is_drawn_every_other_frame_and_carried_between() -> None:
    image = _portrait()
    style = CountingInvert()
    config = PipelineConfig(scene=False, redraw_every=2, redraw_still_every=0)
    outputs = _run(FaceFilter(style, config), [image] * 10)
    assert style.drawn == 5
    # A carried frame shows the same drawing as the frames around it (a still face).
    assert np.abs(outputs[-1].astype(int) - outputs[-2].astype(int)).mean() < 1.0
    every = CountingInvert()
    _run(FaceFilter(every, PipelineConfig(scene=False, redraw_every=1)), [image] * 10)
    assert every.drawn == 10


def _noisy(image: np.ndarray, frames: int, gain_per_frame: float = 0.0) -> list[np.ndarray]:
    """`frames` copies of `image` with fresh camera noise (sigma 3) and a light that changes by
    `gain_per_frame` a frame."""
    rng = np.random.default_rng(7)
    return [
        np.clip(image * (1.0 + gain_per_frame * i) + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)
        for i in range(frames)
    ]


def test_a_still_face_that_looks_as_drawn_waits_longer_for_its_next_drawing() -> None:
    """The same drawing again costs a drawing and buys nothing: a still face in a steady light (its
    camera's noise aside) is redrawn every `redraw_still_every` frames, not every `redraw_every`."""
    style = CountingInvert()
    frames = _noisy(_portrait(), 21)
    _run(FaceFilter(style, PipelineConfig(scene=False, redraw_every=3, redraw_still_every=10)), frames)
    assert style.drawn == 3  # frames 0, 10 and 20 (7 when drawn every third frame)
    # A change of light is a change: the face is drawn on the usual schedule again.
    lit = CountingInvert()
    frames = _noisy(_portrait(), 21, gain_per_frame=0.02)
    _run(FaceFilter(lit, PipelineConfig(scene=False, redraw_every=3, redraw_still_every=10)), frames)
    assert lit.drawn >= 7


def test_a_face_that_changes_is_drawn_at_once_even_between_redraws() -> None:
    image = _portrait()
    changed = image.copy()
    cv2.ellipse(changed, (240, 205), (26, 14), 0, 0, 360, (40, 30, 60), -1)  # the mouth opens
    style = CountingInvert()
    face_filter = FaceFilter(style, PipelineConfig(scene=False, redraw_every=4))
    results = [face_filter.process(Frame(im, i, i / 30.0)) for i, im in enumerate([image, changed])]
    assert [face.id for face in results[0].faces] == [face.id for face in results[1].faces]  # one track
    assert style.drawn == 2


def test_a_style_or_strength_change_draws_the_next_frame_in_it() -> None:
    image = _portrait()
    face_filter = FaceFilter(CountingInvert(), PipelineConfig(scene=False, smoothing=0.0, redraw_every=8))
    _run(face_filter, [image])
    keep = CountingInvert()
    face_filter.set_style(keep)
    face_filter.process(Frame(image, 1, 1 / 30.0))
    assert keep.drawn == 1
    face_filter.config.strength = 0.5
    face_filter.process(Frame(image, 2, 2 / 30.0))
    assert keep.drawn == 2


def test_two_faces_take_turns_so_every_frame_draws_one() -> None:
    face = _portrait()[20:340, 105:375]
    image = np.full((360, 640, 3), 90, np.uint8)
    image[20:340, 20:290], image[20:340, 350:620] = face, face[:, ::-1]
    style = CountingInvert()
    face_filter = FaceFilter(style, PipelineConfig(scene=False, redraw_every=2, redraw_still_every=0))
    per_frame = []
    for i in range(10):
        before = style.drawn
        result = face_filter.process(Frame(image, i, i / 30.0))
        assert len(result.faces) == 2
        per_frame.append(style.drawn - before)
    assert per_frame[0] == 2  # both new
    assert per_frame[3:] == [1] * 7  # then one each frame, not two and none in turn


def test_a_style_gets_its_crops_in_the_framing_it_asks_for() -> None:
    from animecam.core.align import DEFAULT_ALIGN, AlignConfig, template

    class Framed:
        name, input_size = "framed", 128

        def __init__(self, align: AlignConfig | None) -> None:
            if align is not None:
                self.align = align
            self.seen: list[np.ndarray] = []

        def stylize(self, crops: np.ndarray, landmarks: np.ndarray | None = None) -> np.ndarray:
            assert landmarks is not None
            self.seen.append(landmarks[0])
            return crops.copy()

    wide = AlignConfig(eye_distance=0.2, eye_line_y=0.55)
    for align, expected in ((wide, wide), (None, DEFAULT_ALIGN)):
        style = Framed(align)
        FaceFilter(style, PipelineConfig(scene=False)).process(Frame(_portrait(), 0, 0.0))
        # The crop's landmarks sit where that framing's template puts them (within a few pixels).
        assert np.abs(style.seen[0] - template(128, expected)).max() < 4.0


def test_the_scene_drawn_on_its_own_thread_is_the_same_picture() -> None:
    from animecam.engine.looks import procedural_style

    frames = [_portrait(), np.roll(_portrait(), 3, axis=1), _portrait()]
    outputs = []
    for threaded in (True, False):
        config = PipelineConfig(scene_thread=threaded, redraw_every=1, strength=0.7)
        outputs.append(_run(FaceFilter(procedural_style("anime", 128), config), frames))
    for a, b in zip(*outputs, strict=True):
        assert np.array_equal(a, b)


def test_a_drawn_figure_leaves_the_scene_around_it() -> None:
    """A FigureStyle's background (alpha 0) is not pasted: the scene shows there, the figure elsewhere."""

    class HalfFigure:
        name, input_size = "anime", 128  # the anime scene

        def stylize(self, crops: np.ndarray, landmarks: np.ndarray | None = None) -> np.ndarray:
            return np.zeros_like(crops)

        def stylize_figure(
            self, crops: np.ndarray, landmarks: np.ndarray | None = None, strength: float = 1.0
        ) -> np.ndarray:
            out = np.zeros((*crops.shape[:3], 4), np.uint8)
            out[:, :, :64, 3] = 255  # a black figure on the crop's left half, nothing on the right
            return out

    from animecam.engine.scene import SceneRenderer

    frame = Frame(_portrait(), 0, 0.0)
    drawn = FaceFilter(HalfFigure(), PipelineConfig()).process(frame)
    scene = SceneRenderer().draw(frame.image).astype(int)  # the anime scene, as the filter draws it
    x0, _, x1, _ = (round(v) for v in drawn.faces[0].box)
    nose_x, nose_y = (round(v) for v in drawn.faces[0].landmarks[2])
    rows = slice(nose_y - 5, nose_y + 5)
    out = drawn.output.image.astype(int)
    assert out[rows, x0 + 5 : nose_x - 8].max() < 20  # the black figure left of the nose
    right = slice(nose_x + 8, x1 - 5)
    assert np.abs(out[rows, right] - scene[rows, right]).max() <= 2  # the scene right of it


def test_many_faces_draw_at_most_the_budget_per_frame() -> None:
    tile = cv2.resize(_portrait()[20:340, 105:375], (180, 214), interpolation=cv2.INTER_AREA)
    image = np.vstack([np.hstack([tile] * 3)] * 2)  # a table of six
    rng = np.random.default_rng(0)
    style = CountingInvert()
    face_filter = FaceFilter(style, PipelineConfig(scene=False, redraw_every=2, max_drawings=2))
    per_frame = []
    for i in range(8):
        before = style.drawn
        # Fresh noise each frame: faces that "changed" would each ask to be drawn at once.
        noisy = cv2.add(image, rng.integers(0, 40, image.shape, dtype=np.uint8))
        result = face_filter.process(Frame(noisy, i, i / 30.0))
        assert len(result.faces) == 6
        per_frame.append(style.drawn - before)
    assert per_frame[0] == 6  # all new
    assert max(per_frame[1:]) <= 2 and sum(per_frame[1:]) >= 6  # within the budget, all in turn


class Recorder:
    """Keeps the crops it is given (their mean brightness)."""

    name, input_size = "recorder", 128

    def __init__(self) -> None:
        self.means: list[float] = []

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        self.means.append(float(crops.mean()))
        return crops.copy()


def test_a_dim_frames_faces_are_lifted_with_its_scene() -> None:
    """The scene lifts a dim frame (SceneConfig.max_gain); a face drawn from the unlifted crop
    was a dark face in a bright drawing. In face-only mode, or in a bright frame, crops are as taken."""
    dim = (_portrait().astype(np.float32) * 0.35).astype(np.uint8)
    means = {}
    cases = [("dim", dim, True), ("dim face only", dim, False)]
    cases += [("lit", _portrait(), True), ("lit face only", _portrait(), False)]
    for name, image, scene in cases:
        style = Recorder()
        face_filter = FaceFilter(style, PipelineConfig(scene=scene, scene_thread=False, redraw_every=1))
        for index in range(3):
            face_filter.process(Frame(image, index, index / 30))
        assert style.means
        means[name] = style.means[-1]
    assert means["dim"] > 1.8 * means["dim face only"]
    assert means["lit"] == pytest.approx(means["lit face only"])


def test_each_tracked_face_keeps_one_memory_until_it_leaves() -> None:
    """A style that takes `memories` gets the same dict for the same person on every drawing, and a
    fresh one when a face comes back after leaving (a new person may stand there)."""

    class Remembering(Invert):
        def __init__(self) -> None:
            self.seen: list[list[dict]] = []

        def stylize(self, crops: np.ndarray, memories: list[dict] | None = None) -> np.ndarray:
            assert memories is not None and len(memories) == len(crops)
            self.seen.append(list(memories))
            for memory in memories:
                memory["drawings"] = memory.get("drawings", 0) + 1
            return super().stylize(crops)

    style = Remembering()
    face_filter = FaceFilter(style, PipelineConfig(scene=False, redraw_every=1))
    empty = np.full_like(_portrait(), 90)
    # The tracker looks for new faces every few frames: the face is found again within eight.
    for index, image in enumerate([_portrait()] * 3 + [empty] + [_portrait()] * 8):
        face_filter.process(Frame(image, index, index / 30.0))
    memories = [drawn[0] for drawn in style.seen]
    first, returned = memories[0], memories[-1]
    assert all(m is first for m in memories[:3]) and first["drawings"] == 3
    assert returned is not first and all(m is returned for m in memories[3:])
    assert returned["drawings"] == len(memories) - 3
