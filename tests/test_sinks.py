import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import av
import cv2
import numpy as np
import pytest
import pyvirtualcam
from media import decode_all, index_of, make_clip, pattern_frame

from animecam.core.errors import UserError
from animecam.core.frames import Frame, FrameResult, SourceInfo
from animecam.videofilter.sinks import CallbackSink, Recorder, RecorderConfig, VirtualCameraSink
from animecam.videofilter.sources import VideoFileSource

FRAMES, FPS = 60, 30


def _result(image: np.ndarray, index: int, pts: float) -> FrameResult:
    frame = Frame(image, index, pts)
    return FrameResult(frame, frame)


def _record(source_path: Path, out: Path) -> Path:
    with VideoFileSource(source_path) as source, Recorder(out, source.info) as recorder:
        for frame in source:
            recorder.write(FrameResult(frame, frame))
    return out


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("record")
    clip = make_clip(folder / "in.mp4", frames=FRAMES, size=(160, 120), fps=FPS, audio=True)
    return clip, _record(clip, folder / "out.mp4")


def test_recording_keeps_frames_timing_and_order_pyav(round_trip: tuple[Path, Path]) -> None:
    clip, out = round_trip
    images, times = decode_all(out)
    _, input_times = decode_all(clip)
    assert len(images) == FRAMES
    assert [index_of(image) for image in images] == [i % 16 for i in range(FRAMES)]
    np.testing.assert_allclose(np.diff(times), 1 / FPS, atol=1e-3)
    assert times[-1] - times[0] == pytest.approx(input_times[-1] - input_times[0], abs=1e-3)
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264" and video.codec_context.pix_fmt == "yuv420p"
        assert float(video.average_rate) == pytest.approx(FPS)
        assert (video.width, video.height) == (160, 120)
        assert len(container.streams.audio) == 1 and container.streams.audio[0].codec_context.name == "aac"
    assert np.abs(images[9].astype(int) - pattern_frame(9)).mean() < 4  # colours survive (BT.601 tag)


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        return sum(frame.samples for frame in container.decode(audio=0)) / container.streams.audio[0].rate


def test_recording_remuxes_the_audio_interleaved(round_trip: tuple[Path, Path]) -> None:
    clip, out = round_trip
    assert _audio_seconds(out) == pytest.approx(FRAMES / FPS, abs=0.05)
    assert _audio_seconds(out) == pytest.approx(_audio_seconds(clip), abs=0.05)
    with av.open(str(out)) as container:
        kinds = [packet.stream.type for packet in container.demux() if packet.size]
    # Audio is written as the video goes, not all at the end: a killed recording keeps its sound.
    first_audio, last_video = kinds.index("audio"), len(kinds) - 1 - kinds[::-1].index("video")
    assert first_audio < last_video / 2


def test_audio_stays_in_sync_when_the_video_starts_late(tmp_path: Path) -> None:
    # The picture starts 0.5 s into the file; the recording starts at that picture, so must its sound.
    clip = make_clip(tmp_path / "late.mp4", frames=FRAMES, fps=FPS, video_start=FPS // 2)
    out = _record(clip, tmp_path / "out.mp4")
    _, times = decode_all(out)
    assert times[0] == pytest.approx(0.0, abs=1e-3)
    assert _audio_seconds(out) == pytest.approx(FRAMES / FPS - 0.5, abs=0.05)


def test_audio_mp4_cannot_hold_is_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clip = make_clip(tmp_path / "pcm.mkv", frames=10, audio_codec="pcm_s16le")
    with caplog.at_level("WARNING"):
        out = _record(clip, tmp_path / "out.mp4")
    assert "pcm_s16le audio cannot be copied" in caplog.text
    images, _ = decode_all(out)
    with av.open(str(out)) as container:
        assert len(images) == 10 and not container.streams.audio


def test_recording_reads_back_with_opencv(round_trip: tuple[Path, Path]) -> None:
    _, out = round_trip
    capture = cv2.VideoCapture(str(out))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(FPS)
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    assert abs(count - FRAMES) <= 1


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is not installed")
def test_recording_reads_back_with_ffprobe(round_trip: tuple[Path, Path]) -> None:
    _, out = round_trip
    report = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-of", "json", str(out)],
        check=True, capture_output=True, text=True).stdout)
    video = next(s for s in report["streams"] if s["codec_type"] == "video")
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert abs(int(video["nb_read_frames"]) - FRAMES) <= 1
    assert any(s["codec_type"] == "audio" for s in report["streams"])


def test_odd_sizes_are_padded_to_even(tmp_path: Path) -> None:
    info = SourceInfo("odd", 161, 121, 30.0)
    with Recorder(tmp_path / "odd.mp4", info) as recorder:
        for index in range(5):
            recorder.write(_result(pattern_frame(index, (161, 121)), index, index / 30))
    images, _ = decode_all(tmp_path / "odd.mp4")
    assert len(images) == 5 and images[0].shape == (122, 162, 3)
    assert np.abs(images[2][:121, :161].astype(int) - pattern_frame(2, (161, 121))).mean() < 4


def test_live_recording_follows_frame_timestamps(tmp_path: Path) -> None:
    info = SourceInfo("camera 0", 64, 48, 30.0, live=True)
    stamps = [10.0, 10.033, 10.1, 10.134, 10.3]  # a camera that stalled twice
    with Recorder(tmp_path / "live.mp4", info) as recorder:
        for index, pts in enumerate(stamps):
            recorder.write(_result(pattern_frame(index, (64, 48)), index, pts))
    _, times = decode_all(tmp_path / "live.mp4")
    np.testing.assert_allclose(np.array(times) - times[0], np.array(stamps) - stamps[0], atol=1.5e-3)


@pytest.mark.parametrize("problem", ["no-folder", "same-file", "suffix", "folder"])
def test_bad_output_paths_are_user_errors(
    tmp_path: Path, round_trip: tuple[Path, Path], problem: str
) -> None:
    clip, _ = round_trip
    with VideoFileSource(clip) as source:
        info = source.info
    path = {
        "no-folder": tmp_path / "missing" / "out.mp4",
        "same-file": clip,
        "suffix": tmp_path / "out.avi",
        "folder": tmp_path,
    }[problem]
    size = clip.stat().st_size
    with pytest.raises(UserError) as err:
        Recorder(path, info)
    assert "\n" not in str(err.value)
    assert clip.stat().st_size == size  # the input was not touched


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder_is_a_user_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(UserError, match="cannot write"):
        Recorder(locked / "out.mp4", SourceInfo("x", 64, 48, 30.0))


_KILLED_WRITER = """
import sys, time
import numpy as np
from animecam.core.frames import Frame, FrameResult, SourceInfo
from animecam.videofilter.sinks import Recorder, RecorderConfig
config = RecorderConfig(fragmented=sys.argv[2] == "1")
recorder = Recorder(sys.argv[1], SourceInfo("t", 160, 120, 30.0), config)
rng = np.random.default_rng(0)
for index in range(100_000):
    image = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    image[:, (index * 3) % 150:(index * 3) % 150 + 10] = 255
    frame = Frame(image, index, index / 30)
    recorder.write(FrameResult(frame, frame))
    print(index, flush=True)
    time.sleep(0.002)
"""


def _record_then_kill(path: Path, fragmented: bool, frames_before_kill: int = 120) -> None:
    process = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path), "1" if fragmented else "0"],
                               stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    try:
        for line in process.stdout:
            if int(line) >= frames_before_kill or time.monotonic() > deadline:
                break
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_killed_recording_still_plays(tmp_path: Path) -> None:
    path = tmp_path / "killed.mp4"
    _record_then_kill(path, fragmented=True)
    with VideoFileSource(path) as source:  # it stops cleanly where the cut fragment begins
        frames = list(source)
    assert len(frames) >= 60  # at least the first two one-second fragments
    assert np.all(np.diff([frame.pts for frame in frames]) > 0)
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    assert count >= 60
    # Without fragments the index is only written on close: the same kill leaves nothing playable.
    plain = tmp_path / "plain.mp4"
    _record_then_kill(plain, fragmented=False)
    with pytest.raises(UserError):
        VideoFileSource(plain)


class FakeVirtualCamera:
    """A pyvirtualcam backend that keeps what it is sent."""

    instances: ClassVar[list["FakeVirtualCamera"]] = []

    def __init__(self, *, width: int, height: int, fps: float, fourcc: int, device: str | None) -> None:
        self.width, self.height, self.fps, self.fourcc = width, height, fps, fourcc
        self.name = device or "/dev/video-fake"
        self.frames: list[np.ndarray] = []
        self.closed = False
        FakeVirtualCamera.instances.append(self)

    def send(self, frame: np.ndarray) -> None:
        self.frames.append(frame.reshape(self.height, self.width, 3).copy())

    def close(self) -> None:
        self.closed = True

    def device(self) -> str:
        return self.name

    def native_fourcc(self) -> None:
        return None


@pytest.fixture
def fake_vcam(monkeypatch: pytest.MonkeyPatch) -> type[FakeVirtualCamera]:
    monkeypatch.setitem(pyvirtualcam.camera.BACKENDS, "animecam-test", FakeVirtualCamera)
    FakeVirtualCamera.instances.clear()
    return FakeVirtualCamera


def test_virtual_camera_letterboxes_bgr_frames(fake_vcam: type[FakeVirtualCamera]) -> None:
    with VirtualCameraSink(size=(320, 120), fps=30, backend="animecam-test", device="/dev/video9") as sink:
        assert sink.device == "/dev/video9"
        blue_4x3 = np.zeros((60, 80, 3), np.uint8)
        blue_4x3[..., 0] = 255
        sink.write(_result(blue_4x3, 0, 0.0))
        full = np.full((120, 320, 3), 77, np.uint8)
        sink.write(_result(full, 1, 1 / 30))
        sink.write(_result(blue_4x3, 2, 2 / 30))
    camera = fake_vcam.instances[0]
    assert camera.closed and (camera.width, camera.height, camera.fps) == (320, 120, 30)
    assert camera.fourcc == pyvirtualcam.util.encode_fourcc(pyvirtualcam.PixelFormat.BGR.value)
    first, second, third = camera.frames
    # 80x60 scaled to 160x120, centred: black bars of 80 pixels left and right, blue in BGR order.
    assert first.shape == (120, 320, 3)
    assert first[:, :80].max() == 0 and first[:, 240:].max() == 0
    assert np.all(first[:, 80:240] == (255, 0, 0))
    assert np.array_equal(second, full)
    assert np.array_equal(third, first)


def test_virtual_camera_paces_when_asked(fake_vcam: type[FakeVirtualCamera]) -> None:
    image = np.zeros((48, 64, 3), np.uint8)
    with VirtualCameraSink(size=(64, 48), fps=20, backend="animecam-test", pace=True) as sink:
        started = time.perf_counter()
        for index in range(6):
            sink.write(_result(image, index, index / 20))
        elapsed = time.perf_counter() - started
    assert elapsed > 0.2  # 6 frames at 20 fps: at least 5 intervals of 50 ms (minus adaptation)


@pytest.mark.skipif(not sys.platform.startswith("linux") or bool(glob.glob("/dev/video*")),
                    reason="needs Linux without any video device")
def test_missing_v4l2loopback_says_how_to_load_it() -> None:
    with pytest.raises(UserError, match=r"sudo modprobe v4l2loopback devices=1 exclusive_caps=1"):
        VirtualCameraSink(backend="v4l2loopback")


def test_unknown_virtual_camera_backend() -> None:
    with pytest.raises(UserError, match="unknown virtual camera backend 'nope'"):
        VirtualCameraSink(backend="nope")


def test_callback_sink_and_recorder_config_defaults() -> None:
    seen: list[int] = []
    with CallbackSink(lambda result: seen.append(result.output.index)) as sink:
        for index in range(3):
            sink.write(_result(np.zeros((4, 4, 3), np.uint8), index, 0.0))
    assert seen == [0, 1, 2]
    config = RecorderConfig()
    assert (config.preset, config.pix_fmt, config.fragmented) == ("veryfast", "yuv420p", True)


def _os_threads() -> set[str]:
    return set(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through /proc (Linux)")
def test_closed_recorder_frees_its_encoder_threads_while_still_referenced(tmp_path: Path) -> None:
    """x264 joins its threads only when FFmpeg frees the encoder; a closed Recorder someone still
    holds (the GUI keeps the last one) must not keep them, or every rotation in a soak adds some."""
    # OpenCV's worker pool starts on first use and stays for the process: start it before counting.
    cv2.cvtColor(pattern_frame(0, (640, 360)), cv2.COLOR_BGR2YUV_I420)
    # The threads started while it encodes are followed by id: a count of all the process's threads
    # also moved with earlier tests' threads winding down (24 before, 16 while encoding, in one
    # full-suite run on two cores).
    before = _os_threads()
    recorder = Recorder(tmp_path / "held.mp4", SourceInfo("t", 640, 360, 30.0))
    for i in range(10):
        frame = Frame(pattern_frame(i, (640, 360)), i, i / 30)
        recorder.write(FrameResult(frame, frame))
    encoding = _os_threads() - before
    recorder.close()
    assert encoding  # x264's threads exist while it encodes (else this test proves nothing)
    deadline = time.monotonic() + 3.0  # they end a moment after the encoder is freed
    while encoding & _os_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not encoding & _os_threads(), sorted(encoding & _os_threads())
    assert recorder.frames_written == 10
