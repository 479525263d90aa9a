"""Fault matrix, input files: every odd or broken file either converts with the right frame count or
ends with exit code 2 and one `error:` line, never a traceback (`animecam convert IN OUT`).

Unreadable files at the source level (missing, folder, empty, random, text, audio-only, one
truncation) are in test_sources.py; these rows go through the whole command.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from media import decode_all, make_audio_only, make_clip, pattern_frame, truncate

from animecam.cli import main
from animecam.core.frames import FrameResult
from animecam.videofilter.sinks import Recorder
from animecam.videofilter.sources import VideoFileSource


def write_video(
    path: Path,
    size: tuple[int, int],
    frames: int = 3,
    codec: str = "ffv1",
    pix_fmt: str = "yuv444p",
    times_ms: list[int] | None = None,
) -> Path:
    """A clip of pattern frames in any codec and pixel format PyAV can write; `times_ms` makes it VFR."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=30)
        stream.width, stream.height = size
        stream.pix_fmt = pix_fmt
        if codec == "libx264":
            stream.codec_context.options = {"preset": "ultrafast"}
        tick = Fraction(1, 1000) if times_ms else Fraction(1, 30)
        stream.codec_context.time_base = tick
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(pattern_frame(index, size), format="bgr24").reformat(
                format=pix_fmt
            )
            frame.pts, frame.time_base = (times_ms[index] if times_ms else index), tick
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def convert(capsys: pytest.CaptureFixture[str], source: Path, tmp_path: Path) -> tuple[int, str, Path]:
    out = tmp_path / "out.mp4"
    # Face only: these cases check that the picture is decoded right, so it must come out as it went in.
    code = main(["convert", str(source), str(out), "--face-only"])
    return code, capsys.readouterr().err, out


def assert_one_line_error(code: int, err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert "Traceback" not in err
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], err


def assert_converted(code: int, err: str, out: Path, frames: int, size: tuple[int, int]) -> list[np.ndarray]:
    assert code == 0, err
    images, _ = decode_all(out)
    assert len(images) == frames
    assert images[0].shape[:2] == (size[1] + size[1] % 2, size[0] + size[0] % 2)
    return images


@pytest.fixture(scope="module")
def plain_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("plain") / "plain.mp4", frames=45, size=(160, 120))


@pytest.fixture(scope="module")
def fragmented_clip(tmp_path_factory: pytest.TempPathFactory, plain_clip: Path) -> Path:
    """Our own recording format (fragmented MP4), which is what a crashed recording leaves."""
    path = tmp_path_factory.mktemp("frag") / "recorded.mp4"
    with VideoFileSource(plain_clip) as source, Recorder(path, source.info) as recorder:
        for frame in source:
            recorder.write(FrameResult(frame, frame))
    return path


def test_zero_byte_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert_one_line_error(*convert(capsys, empty, tmp_path)[:2])


def test_random_bytes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    noise = tmp_path / "noise.mov"
    noise.write_bytes(np.random.default_rng(1).bytes(20_000))
    assert_one_line_error(*convert(capsys, noise, tmp_path)[:2])


def test_container_without_video(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    song = make_audio_only(tmp_path / "song.mp4")
    code, err, _ = convert(capsys, song, tmp_path)
    assert_one_line_error(code, err)
    assert "no video stream" in err


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_plain_mp4(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, plain_clip: Path, fraction: float
) -> None:
    # A plain MP4 keeps its index at the end, so any cut loses it: refused, with a reason.
    cut = truncate(plain_clip, fraction, tmp_path / "cut.mp4")
    assert_one_line_error(*convert(capsys, cut, tmp_path)[:2])


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_fragmented_mp4(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fragmented_clip: Path, fraction: float
) -> None:
    cut = truncate(fragmented_clip, fraction, tmp_path / "cut.mp4")
    code, err, out = convert(capsys, cut, tmp_path)
    if code == 2:  # cut inside the header or the first fragment: nothing to decode
        assert_one_line_error(code, err)
        assert fraction < 0.5
        return
    readable, _ = decode_all(cut)
    assert 0 < len(readable) <= 45
    assert_converted(code, err, out, len(readable), (160, 120))


def test_variable_frame_rate_keeps_its_timing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Phones record VFR: bursts and gaps. Evenly spread output frames would drift off the sound.
    times_ms = [0, 33, 66, 100, 300, 333, 366, 800, 833, 866, 1500, 1533]
    clip = write_video(tmp_path / "vfr.mp4", (160, 120), len(times_ms), "libx264", "yuv420p", times_ms)
    code, err, out = convert(capsys, clip, tmp_path)
    assert_converted(code, err, out, len(times_ms), (160, 120))
    _, times = decode_all(out)
    np.testing.assert_allclose(times, np.array(times_ms) / 1000, atol=2e-3)


def test_rotation_metadata(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "phone.mp4", frames=6, size=(160, 120), audio=False, rotation=270)
    code, err, out = convert(capsys, clip, tmp_path)
    images = assert_converted(code, err, out, 6, (120, 160))  # upright: portrait
    expected = np.rot90(pattern_frame(0), k=3)
    assert np.abs(images[0].astype(int) - expected).mean() < 6


@pytest.mark.parametrize("size", [(1, 1), (63, 47)], ids=["1x1", "63x47"])
def test_odd_sizes(capsys: pytest.CaptureFixture[str], tmp_path: Path, size: tuple[int, int]) -> None:
    clip = write_video(tmp_path / "odd.mkv", size)
    code, err, out = convert(capsys, clip, tmp_path)
    images = assert_converted(code, err, out, 3, size)
    if size == (63, 47):
        assert np.abs(images[1][:47, :63].astype(int) - pattern_frame(1, size)).mean() < 6


@pytest.mark.slow
def test_8k_frames(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    clip = write_video(tmp_path / "8k.mp4", (7680, 4320), 2, "libx264", "yuv420p")
    code, err, out = convert(capsys, clip, tmp_path)
    assert_converted(code, err, out, 2, (7680, 4320))


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt"),
    [
        ("gray.mkv", "ffv1", "gray"),
        ("alpha.mov", "png", "rgba"),
        ("alpha-qtrle.mov", "qtrle", "argb"),
        ("ten-bit.mp4", "libx264", "yuv420p10le"),
        ("ten-bit.mkv", "ffv1", "yuv444p10le"),
    ],
)
def test_pixel_formats(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, codec: str, pix_fmt: str
) -> None:
    clip = write_video(tmp_path / name, (64, 48), 4, codec, pix_fmt)
    code, err, out = convert(capsys, clip, tmp_path)
    images = assert_converted(code, err, out, 4, (64, 48))
    expected = pattern_frame(2, (64, 48))
    if pix_fmt == "gray":  # only the brightness survives
        luma = cv2.cvtColor(expected, cv2.COLOR_BGR2GRAY).astype(int)
        assert np.abs(images[2].astype(int) - luma[..., None]).mean() < 8
    else:
        assert np.abs(images[2].astype(int) - expected).mean() < 8
