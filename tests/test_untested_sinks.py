"""Recorder branches test_sinks.py does not reach: constant-rate timing, a write after close, a frame
size that changes mid-recording, and an audio file that cannot be read."""

from __future__ import annotations

import logging
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from media import decode_all, index_of, pattern_frame

from animecam.core.frames import Frame, FrameResult, SourceInfo
from animecam.videofilter.sinks import Recorder, RecorderConfig

SIZE = (64, 48)
# A camera that stalled twice: its own timestamps are uneven.
STAMPS = [10.0, 10.033, 10.1, 10.134, 10.3, 10.334]


def _result(image: np.ndarray, index: int, pts: float) -> FrameResult:
    frame = Frame(image, index, pts)
    return FrameResult(frame, frame)


def _record(path: Path, config: RecorderConfig) -> Path:
    info = SourceInfo("camera 0", *SIZE, 30.0, live=True)
    with Recorder(path, info, config) as recorder:
        for index, pts in enumerate(STAMPS):
            recorder.write(_result(pattern_frame(index, SIZE), index, pts))
    return path


def test_constant_rate_mode_spaces_frames_by_the_nominal_rate(tmp_path: Path) -> None:
    """constant_rate=True: one tick per frame at 30 fps whatever the frames' own timestamps say; the
    default follows them (so the two modes must differ on this input)."""
    constant = decode_all(_record(tmp_path / "constant.mp4", RecorderConfig(constant_rate=True)))
    follows = decode_all(_record(tmp_path / "follows.mp4", RecorderConfig()))
    times = np.array(constant[1]) - constant[1][0]
    np.testing.assert_allclose(times, np.arange(len(STAMPS)) / 30.0, atol=1e-3)
    np.testing.assert_allclose(
        np.array(follows[1]) - follows[1][0], np.array(STAMPS) - STAMPS[0], atol=1.5e-3
    )
    assert [index_of(image) for image in constant[0]] == list(range(len(STAMPS)))


def test_write_after_close_is_refused_and_the_file_stays_whole(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    recorder = Recorder(path, SourceInfo("clip", *SIZE, 30.0))
    recorder.write(_result(pattern_frame(0, SIZE), 0, 0.0))
    recorder.close()
    size = path.stat().st_size
    with pytest.raises(RuntimeError, match=r"Recorder\.write after close"):
        recorder.write(_result(pattern_frame(1, SIZE), 1, 1 / 30))
    recorder.close()  # and closing again is harmless
    assert path.stat().st_size == size and len(decode_all(path)[0]) == 1


def test_a_frame_size_change_mid_recording_keeps_the_recordings_geometry(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    sizes = [SIZE, SIZE, (128, 96), (50, 30), (65, 49), SIZE]  # larger, smaller, odd, back
    with Recorder(path, SourceInfo("clip", *SIZE, 30.0)) as recorder:
        for index, size in enumerate(sizes):
            recorder.write(_result(pattern_frame(index, size), index, index / 30))
    images, _ = decode_all(path)
    assert len(images) == len(sizes) and {image.shape for image in images} == {(SIZE[1], SIZE[0], 3)}
    # Each picture is the frame written (scaled), not a copy of another one.
    for index, (image, size) in enumerate(zip(images, sizes, strict=True)):
        expected = pattern_frame(index, size)
        scaled = cv2.resize(expected, SIZE, interpolation=cv2.INTER_LINEAR)
        assert np.abs(image.astype(int) - scaled).mean() < 12, (index, size)


@pytest.mark.parametrize("audio", ["junk", "missing"])
def test_unreadable_audio_records_the_video_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, audio: str
) -> None:
    source = tmp_path / "sound.m4a"
    if audio == "junk":
        source.write_bytes(np.random.default_rng(0).bytes(4000))
    info = SourceInfo("clip", *SIZE, 30.0, frame_count=3, audio_path=source)
    path = tmp_path / "out.mp4"
    with caplog.at_level(logging.WARNING), Recorder(path, info) as recorder:
        for index in range(3):
            recorder.write(_result(pattern_frame(index, SIZE), index, index / 30))
    with av.open(str(path)) as container:
        assert [s.type for s in container.streams] == ["video"]
    assert len(decode_all(path)[0]) == 3
    assert any(f"audio not copied, cannot read {source}" in r.getMessage() for r in caplog.records)
