"""Fault matrix, engine under load: slider storms and style switches at 100/s while running, and a
style that is valid but far too slow for live use."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
from skimage.data import astronaut

from animecam.core.frames import Frame, FrameResult, FrameSink, FrameSource, SourceInfo
from animecam.engine.styles import list_styles, load_style
from animecam.videofilter.pipeline import Pipeline, PipelineConfig


class _Portrait(FrameSource):
    """A live source showing the astronaut, as fast as it is read."""

    def __init__(self) -> None:
        photo = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
        self.image = cv2.resize(photo, (320, 320), interpolation=cv2.INTER_AREA)
        self.info = SourceInfo("portrait", 320, 320, 30.0, live=True)
        self.index = 0

    def read(self) -> Frame | None:
        time.sleep(0.001)
        self.index += 1
        return Frame(self.image, self.index, self.index / 30)


class _Check(FrameSink):
    def __init__(self) -> None:
        self.frames = 0
        self.bad = 0
        self.closed = False

    def write(self, result: FrameResult) -> None:
        image = result.output.image
        self.bad += image.shape != (320, 320, 3) or image.dtype != np.uint8
        self.frames += 1

    def close(self) -> None:
        self.closed = True


def test_slider_storm_and_style_switches_while_running() -> None:
    styles = [load_style(info.name) for info in list_styles()]
    sink = _Check()
    pipeline = Pipeline(_Portrait(), styles[0], [sink])
    pipeline.start()
    stop = threading.Event()
    rng = np.random.default_rng(0)

    def sliders() -> None:  # about 1000 changes per second from another thread
        while not stop.is_set():
            pipeline.configure(strength=float(rng.random()), smoothing=float(rng.random()),
                               mirror=bool(rng.random() < 0.5), draw_faces=bool(rng.random() < 0.5))
            time.sleep(0.001)

    storm = threading.Thread(target=sliders)
    storm.start()
    started = time.monotonic()
    switches = 0
    while time.monotonic() - started < 2.0:  # style switches at 100 per second
        pipeline.set_style(styles[switches % len(styles)])
        switches += 1
        time.sleep(0.01)
    stop.set()
    storm.join()
    assert pipeline.running
    t = time.monotonic()
    pipeline.stop()
    assert time.monotonic() - t < 2.0
    assert switches >= 100 and sink.frames > 5 and sink.bad == 0 and sink.closed
    assert not pipeline.errors


class _Slow:
    """A valid style that takes 300 ms per batch (a big model on a small CPU)."""

    name, input_size = "slow", 128

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        time.sleep(0.3)
        return crops.copy()


def test_valid_but_slow_style_drops_frames_and_stops_promptly() -> None:
    sink = _Check()
    config = PipelineConfig(redraw_every=1)  # every frame waits for its drawing: no carried frames
    pipeline = Pipeline(_Portrait(), _Slow(), [sink], config)
    pipeline.start()
    time.sleep(1.5)
    stats = pipeline.stats
    t = time.monotonic()
    pipeline.stop()
    assert time.monotonic() - t < 1.0  # at most one stylize call to finish
    assert stats.dropped > 50 and 1 <= sink.frames <= 8  # live: the newest frames, not a backlog
    assert sink.closed and not pipeline.errors
