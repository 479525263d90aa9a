from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from animecam.videofilter.demo import FACE_BOX_IN_PHOTO, PHOTO_CROP, DemoSource, write_demo_clip
from animecam.videofilter.sources import VideoFileSource


def test_demo_is_deterministic_and_moves() -> None:
    a, b = DemoSource(seconds=1, size=(320, 180), fps=30), DemoSource(seconds=1, size=(320, 180), fps=30)
    assert np.array_equal(a.render(17), b.render(17))
    assert np.abs(a.render(0).astype(int) - a.render(10)).mean() > 2
    frames = list(a)
    assert len(frames) == a.info.frame_count == 30
    assert [f.index for f in frames] == list(range(30)) and frames[-1].pts == pytest.approx(29 / 30)
    assert frames[0].image.shape == (180, 320, 3) and frames[0].image.dtype == np.uint8


def _as_photo_crop(source: DemoSource, image: np.ndarray, motion: np.ndarray) -> np.ndarray:
    """Warps a frame back into the coordinates of the shown photo crop using `motion`."""
    x0, y0, side = PHOTO_CROP
    crop_to_frame = motion @ np.array([[1.0, 0, x0], [0, 1.0, y0], [0, 0, 1.0]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    back = cv2.warpAffine(image, crop_to_frame[:2], (side, side), flags=flags)
    return cv2.cvtColor(back, cv2.COLOR_BGR2GRAY).astype(np.float32)


@pytest.mark.parametrize("index", [0, 37, 88])
def test_motion_maps_photo_points_exactly(index: int) -> None:
    source = DemoSource(seconds=3, size=(640, 360), fps=30)
    x0, y0, side = PHOTO_CROP
    photo = cv2.cvtColor(source.photo[y0:y0 + side, x0:x0 + side], cv2.COLOR_BGR2GRAY).astype(np.float32)
    frame = source.render(index)
    inner = slice(70, side - 70)  # stays inside the frame at every pose
    window = cv2.createHanningWindow((side - 140, side - 140), cv2.CV_32F)

    def shift(motion: np.ndarray) -> float:
        back = _as_photo_crop(source, frame, motion)
        (dx, dy), _ = cv2.phaseCorrelate(photo[inner, inner], back[inner, inner], window)
        return float(np.hypot(dx, dy))

    assert shift(source.motion(index)) < 0.25  # photo content sits where motion() says, sub-pixel
    assert shift(source.motion(index + 4)) > 1.0  # and the check notices a wrong motion


def test_face_is_large_and_inside_the_frame() -> None:
    source = DemoSource(seconds=5, size=(1280, 720), fps=30)
    x0, y0, x1, y1 = FACE_BOX_IN_PHOTO
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], float).T
    for index in range(0, source.info.frame_count, 10):
        points = (source.motion(index) @ corners)[:2]
        assert points.min() > 0 and points[0].max() < 1280 and points[1].max() < 720
        assert points[1].max() - points[1].min() > 200  # a face a detector and a 256 crop can use


def test_lighting_ramps_up() -> None:
    source = DemoSource(seconds=2, size=(320, 180), fps=15)
    gains = [source.lighting(i)[0] for i in range(source.info.frame_count)]
    assert np.all(np.diff(gains) >= 0) and gains[-1] - gains[0] > 0.2
    assert source.render(29).mean() > source.render(0).mean() + 10


def test_write_demo_clip_has_h264_video_and_aac_audio(tmp_path: Path) -> None:
    path = write_demo_clip(tmp_path / "demo.mp4", seconds=1.0, size=(160, 120), fps=15)
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        peak = max(np.abs(frame.to_ndarray()).max() for frame in container.decode(audio=0))
    assert peak > 0.05  # the chord is audible, not silence
    with VideoFileSource(path) as source:
        frames = list(source)
    assert len(frames) == 15 and source.info.fps == 15
    expected = DemoSource(1.0, (160, 120), 15).render(7)
    assert np.abs(frames[7].image.astype(int) - expected).mean() < 6
