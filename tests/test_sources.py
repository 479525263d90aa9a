import glob
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from media import index_of, make_audio_only, make_clip, pattern_frame, truncate

from animecam.core.errors import UserError
from animecam.core.frames import FrameResult
from animecam.videofilter.demo import DemoSource
from animecam.videofilter.sinks import Recorder
from animecam.videofilter.sources import (
    CameraSource,
    ImageSource,
    VideoFileSource,
    list_cameras,
    open_source,
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", frames=30, size=(160, 120), fps=30)


def test_file_source_frames_pts_and_info(clip: Path) -> None:
    with VideoFileSource(clip) as source:
        frames = list(source)
    info = source.info
    assert (info.width, info.height, info.fps) == (160, 120, 30.0)
    assert info.frame_count == 30 and not info.live
    assert info.audio_path == clip
    assert [f.index for f in frames] == list(range(30))
    np.testing.assert_allclose([f.pts for f in frames], np.arange(30) / 30, atol=1e-3)
    assert [index_of(f.image) for f in frames] == [i % 16 for i in range(30)]
    assert frames[0].image.shape == (120, 160, 3) and frames[0].image.dtype == np.uint8
    assert np.abs(frames[5].image.astype(int) - pattern_frame(5)).mean() < 3


@pytest.mark.parametrize(("colorspace", "color_range", "size"), [
    (2, 0, (64, 48)),  # untagged: OpenCV's BT.601 conversion
    (6, 1, (64, 48)),  # SMPTE 170M, video range: OpenCV's too
    (1, 1, (64, 48)),  # BT.709: swscale's own matrix
    (6, 2, (64, 48)),  # full range (JPEG): swscale
    (2, 0, (63, 47)),  # odd size: swscale
])
def test_decoded_frames_match_swscales_colours(
    colorspace: int, color_range: int, size: tuple[int, int]
) -> None:
    import av

    from animecam.videofilter.sources.files import frame_to_bgr

    width, height = size
    rng = np.random.default_rng(0)
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane in frame.planes:
        plane.update(rng.integers(16, 236, plane.buffer_size, np.uint8).tobytes())
    frame.colorspace, frame.color_range = colorspace, color_range
    ours, theirs = frame_to_bgr(frame), frame.to_ndarray(format="bgr24")
    assert ours.shape == (height, width, 3) and ours.dtype == np.uint8
    difference = np.abs(ours.astype(int) - theirs)
    assert difference.mean() < 1.5 and difference.max() <= 6  # the same matrix, rounded differently


def test_file_without_audio_has_no_audio_path(tmp_path: Path) -> None:
    with VideoFileSource(make_clip(tmp_path / "silent.mp4", frames=3, audio=False)) as source:
        assert source.info.audio_path is None


def test_rotation_metadata_is_applied(tmp_path: Path) -> None:
    rotated = make_clip(tmp_path / "phone.mp4", frames=3, size=(160, 120), audio=False, rotation=90)
    with VideoFileSource(rotated) as source:
        image = source.read().image
    assert (source.info.width, source.info.height) == (120, 160)
    assert image.shape == (160, 120, 3)
    expected = np.rot90(pattern_frame(0), k=1)  # 90 degrees counter-clockwise
    assert np.abs(image.astype(int) - expected).mean() < 3
    # OpenCV applies the same display matrix on its own: both readers agree.
    capture = cv2.VideoCapture(str(rotated))
    ok, by_cv2 = capture.read()
    capture.release()
    assert ok and by_cv2.shape == image.shape and np.abs(by_cv2.astype(int) - image).mean() < 3


def _bad_input(tmp_path: Path, kind: str, clip: Path) -> Path:
    if kind == "missing":
        return tmp_path / "nope.mp4"
    if kind == "folder":
        return tmp_path
    if kind == "empty":
        (tmp_path / "empty.mp4").write_bytes(b"")
        return tmp_path / "empty.mp4"
    if kind == "random":
        (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(50_000))
        return tmp_path / "noise.mp4"
    if kind == "text":
        (tmp_path / "notes.mp4").write_text("not a video\n" * 100)
        return tmp_path / "notes.mp4"
    if kind == "audio-only":
        return make_audio_only(tmp_path / "song.m4a")
    assert kind == "truncated"  # a plain MP4 keeps its index at the end: cut in half it cannot open
    return truncate(clip, 0.5, tmp_path / "half.mp4")


@pytest.mark.parametrize("kind", ["missing", "folder", "empty", "random", "text", "audio-only", "truncated"])
def test_bad_video_files_are_user_errors(tmp_path: Path, clip: Path, kind: str) -> None:
    with pytest.raises(UserError) as err:
        VideoFileSource(_bad_input(tmp_path, kind, clip))
    message = str(err.value)
    assert "\n" not in message and ":" in message


def test_truncated_fragmented_file_plays_to_the_cut(tmp_path: Path) -> None:
    # A fragmented recording (our own format) cut mid-way decodes up to the damage, without crashing.
    full = tmp_path / "full.mp4"
    source = VideoFileSource(make_clip(tmp_path / "in.mp4", frames=90))
    with source, Recorder(full, source.info) as rec:
        for frame in source:
            rec.write(FrameResult(frame, frame))
    cut = truncate(full, 0.6, tmp_path / "cut.mp4")
    with VideoFileSource(cut) as source:
        frames = list(source)
    assert 20 <= len(frames) < 90
    assert [index_of(f.image) for f in frames] == [i % 16 for i in range(len(frames))]


def test_image_source_repeats_the_still(tmp_path: Path) -> None:
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), pattern_frame(3))
    with ImageSource(path, frames=4, fps=10) as source:
        frames = list(source)
    assert len(frames) == 4 and [f.pts for f in frames] == [0.0, 0.1, 0.2, 0.3]
    assert np.array_equal(frames[-1].image, pattern_frame(3))
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(UserError, match="not an image"):
        ImageSource(tmp_path / "bad.png")


def test_a_small_photo_is_enlarged_to_be_drawn(tmp_path: Path) -> None:
    """The scene is drawn at a quarter of the frame's size: a 128 px portrait's was a 32 px smear
    (Grace Hopper's uniform, flag and cap top lost), so a small photo is drawn enlarged; its own
    size is kept for the picture written."""
    path = tmp_path / "small.png"
    small = cv2.resize(pattern_frame(3), (160, 120))
    cv2.imwrite(str(path), small)
    with ImageSource(path, frames=1, min_side=720) as source:
        (frame,) = list(source)
    assert source.photo_size == (160, 120) and frame.image.shape == (720, 960, 3)
    assert source.info.width == 960 and source.info.height == 720
    with ImageSource(path, frames=1, min_side=100) as source:  # big enough as it is
        assert np.array_equal(next(iter(source)).image, small)


def test_open_source_picks_the_kind(tmp_path: Path, clip: Path) -> None:
    cv2.imwrite(str(tmp_path / "still.jpg"), pattern_frame(0))
    assert isinstance(open_source(str(tmp_path / "still.jpg")), ImageSource)
    with open_source(str(clip)) as source:
        assert isinstance(source, VideoFileSource)
    assert isinstance(open_source("demo", size=(64, 48), fps=10), DemoSource)


@pytest.mark.skipif(bool(glob.glob("/dev/video*")), reason="this machine has a camera device")
def test_absent_camera_is_a_quick_user_error() -> None:
    started = time.perf_counter()
    with pytest.raises(UserError, match=r"no camera at index 0: check it is plugged in.*'video' group"):
        open_source("0")
    with pytest.raises(UserError, match="no camera at /dev/video7"):
        open_source("/dev/video7")
    assert time.perf_counter() - started < 3.0
    assert list_cameras() == []


class FakeCapture:
    """Stands in for cv2.VideoCapture: plays `frames`, then fails every read (unplugged)."""

    def __init__(self, frames: list[np.ndarray], opened: bool = True) -> None:
        self.frames = list(frames)
        self.opened = opened
        self.props: dict[int, float] = {}
        self.released = False

    def isOpened(self) -> bool:
        return self.opened and not self.released

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        return 0.0

    def read(self) -> tuple[bool, np.ndarray | None]:
        time.sleep(0.004)  # a camera delivers at its own pace
        if self.frames:
            return True, self.frames.pop(0)
        return False, None

    def release(self) -> None:
        self.released = True


def _grey(value: int, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    return np.full((size[1], size[0], 3), value, np.uint8)


def test_camera_drop_out_repeats_last_frame_then_recovers() -> None:
    first = FakeCapture([_grey(10), _grey(20), _grey(30)])
    unplugged = FakeCapture([], opened=False)  # the first reconnection attempt finds nothing
    # After replugging, the camera comes back in another mode (320x240): frames are resized.
    replugged = FakeCapture([_grey(200, (320, 240))] * 400)
    captures = [first, unplugged, replugged]
    opened_specs = []

    def factory(spec: int | str) -> FakeCapture:
        opened_specs.append(spec)
        return captures.pop(0)

    source = CameraSource(0, size=(160, 120), fps=50, capture_factory=factory, backoff=(0.05, 0.2))
    try:
        assert source.info.live and (source.info.width, source.info.height) == (160, 120)
        assert first.props[cv2.CAP_PROP_FOURCC] == cv2.VideoWriter_fourcc(*"MJPG")
        seen, statuses, times = [], [], []
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            frame = source.read()
            seen.append(int(frame.image[0, 0, 0]))
            statuses.append(source.status)
            times.append(frame.pts)
            assert frame.image.shape == (120, 160, 3)
            if frame.image[0, 0, 0] == 200 and source.status is None:
                break
        lost = [s for s in statuses if s]
        assert lost and lost[0].startswith("camera lost, reconnecting (attempt 1)")
        assert any("attempt 2" in s for s in lost)
        # While lost, the last good frame keeps coming at about the nominal rate (50 fps).
        repeats = [i for i, s in enumerate(statuses) if s]
        assert all(seen[i] == 30 for i in repeats)
        gaps = np.diff([times[i] for i in repeats])
        assert len(repeats) >= 5 and 0.01 < np.median(gaps) < 0.05
        assert seen[-1] == 200 and statuses[-1] is None  # recovered, resized to the negotiated size
        assert np.all(np.diff(times) > 0)
        assert opened_specs == [0, 0, 0] and first.released and unplugged.released
    finally:
        source.close()
    assert source.read() is None
    assert replugged.released


def test_camera_that_sends_nothing_is_a_user_error() -> None:
    with pytest.raises(UserError, match="sends no frames"):
        CameraSource(1, capture_factory=lambda _spec: FakeCapture([]))


def test_busy_camera_names_the_likely_cause() -> None:
    # On Linux a camera held by another app fails to open (EBUSY); OpenCV only reports "not opened".
    started = time.perf_counter()
    with pytest.raises(UserError, match=r"no camera at index 2: .*not used by another app"):
        CameraSource(2, capture_factory=lambda _spec: FakeCapture([], opened=False))
    assert time.perf_counter() - started < 1.0


def test_camera_odd_frames_become_bgr_of_the_negotiated_size() -> None:
    # Empty reads, grey (IR cameras), BGRA, 16-bit and a frame in another size, all mid-stream.
    empty = np.zeros((0, 0, 3), np.uint8)
    frames = [
        _grey(50),
        empty,
        np.full((120, 160), 60, np.uint8),
        np.full((120, 160, 4), 70, np.uint8),
        np.full((120, 160), 80 * 256, np.uint16),
        _grey(90, (64, 48)),
    ] + [_grey(100)] * 200
    source = CameraSource(0, size=(160, 120), fps=50, capture_factory=lambda _spec: FakeCapture(frames))
    try:
        seen = []
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and (not seen or seen[-1] != 100):
            frame = source.read()
            assert frame.image.shape == (120, 160, 3) and frame.image.dtype == np.uint8
            if not seen or seen[-1] != int(frame.image[60, 80, 0]):
                seen.append(int(frame.image[60, 80, 0]))
        assert seen[0] == 50 and seen[-1] == 100
        assert source.status is None  # one empty read is not a lost camera
        assert set(seen) <= {50, 60, 70, 80, 90, 100}
    finally:
        source.close()
