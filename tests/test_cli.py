"""The `animecam` command line: end to end on a generated clip, JSON contracts, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from media import decode_all, make_audio_only, make_clip, truncate

from animecam.cli import main
from animecam.videofilter.demo import write_demo_clip


@pytest.fixture(scope="module")
def face_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One second of the demo (a moving real face, with audio) at a small size."""
    return write_demo_clip(tmp_path_factory.mktemp("clip") / "face.mp4", seconds=1.0, size=(480, 270))


def _streams(path: Path) -> tuple[int, float, list[str]]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video))
        duration = float(container.duration or 0) / 1e6
        kinds = [s.type for s in container.streams]
    return frames, duration, kinds


def _one_error_line(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


@pytest.mark.slow
def test_convert_keeps_frames_duration_and_audio_and_face_only_changes_only_the_face(
    face_clip: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.mp4"
    assert main(["convert", str(face_clip), str(out), "--smoothing", "0.5", "--face-only"]) == 0
    in_frames, in_duration, _ = _streams(face_clip)
    out_frames, out_duration, kinds = _streams(out)
    assert abs(out_frames - in_frames) <= 1
    assert abs(out_duration - in_duration) < 0.1
    assert kinds.count("audio") == 1
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"

    before, _ = decode_all(face_clip)
    after, _ = decode_all(out)
    a, b = before[15].astype(int), after[15].astype(int)
    # The demo's face sits in the middle of the frame; the far left and right strips are background.
    h, w = a.shape[:2]
    centre = (slice(h // 4, h * 3 // 4), slice(w * 2 // 5, w * 3 // 5))
    face = np.abs(a[centre] - b[centre])
    edges = np.abs(a[:, : w // 8] - b[:, : w // 8]).mean(), np.abs(a[:, -w // 8 :] - b[:, -w // 8 :]).mean()
    assert face.mean() > 8
    assert max(edges) < 2.5  # only the second encode's noise


@pytest.mark.slow
def test_convert_draws_the_whole_frame_by_default(face_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    assert main(["convert", str(face_clip), str(out)]) == 0
    a, b = decode_all(face_clip)[0][15].astype(int), decode_all(out)[0][15].astype(int)
    w = a.shape[1]
    assert np.abs(a[:, : w // 8] - b[:, : w // 8]).mean() > 6  # the background is drawn too


def test_styles_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["styles", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(set(row) == {"name", "source", "size", "backend"} for row in rows)
    assert "anime" in {row["name"] for row in rows}


def test_bench_json_contract(face_clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--json", "--input", str(face_clip), "--frames", "12"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fps"] > 0
    stages = {"read", "track", "scene", "align", "style", "smooth", "compose", "write"}
    assert stages <= set(report["stages_ms"])
    assert report["scene"] is True and report["cpu_ms_per_frame"] > 0


def test_bench_face_only_has_no_scene_stage(face_clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--json", "--input", str(face_clip), "--frames", "6", "--face-only"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["scene"] is False and "scene" not in report["stages_ms"]


def test_live_from_a_file_records_n_frames(face_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "live.mp4"
    assert main(["live", "--camera", str(face_clip), "--record", str(out), "--frames", "10"]) == 0
    frames, _, _ = _streams(out)
    assert frames == 10


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "does not exist"),
        (lambda d: _written(d / "empty.mp4", b""), "empty"),
        # (write_bytes returns the byte count, so `write_bytes(...) or path` passed 5000 as the input)
        (lambda d: _written(d / "junk.mp4", np.random.default_rng(0).bytes(5000)), "not a video file"),
        (lambda d: make_audio_only(d / "sound.m4a"), "video"),
    ],
    ids=["missing", "zero-byte", "random-bytes", "audio-only"],
)
def test_bad_inputs_give_one_line(
    make, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["convert", str(make(tmp_path)), str(tmp_path / "out.mp4")])
    assert message in _one_error_line(capsys, code)


def _as_mkv(clip: Path, out: Path) -> Path:
    """The same packets in Matroska, which (unlike an MP4 with its index at the end) plays when cut."""
    with av.open(str(clip)) as source, av.open(str(out), "w") as target:
        streams = {s.index: target.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                target.mux(packet)
    return out


def test_truncated_input_converts_what_is_there_or_says_why(tmp_path: Path, capsys) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=30)
    # MP4 with its index (moov) at the end: half the file has no index, so nothing can be read.
    code = main(["convert", str(truncate(clip, 0.5, tmp_path / "cut.mp4")), str(tmp_path / "out.mp4")])
    assert "not a video file" in _one_error_line(capsys, code)
    # Matroska cut in half: the frames before the cut are converted, and only those.
    cut = truncate(_as_mkv(clip, tmp_path / "clip.mkv"), 0.5, tmp_path / "cut.mkv")
    readable = len(decode_all(cut)[0])
    assert main(["convert", str(cut), str(tmp_path / "out.mp4")]) == 0
    assert 0 < readable < 30 and _streams(tmp_path / "out.mp4")[0] == readable


def test_output_equal_to_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=5)
    code = main(["convert", str(clip), str(tmp_path / "." / "clip.mp4")])
    assert "input" in _one_error_line(capsys, code)


def test_output_in_a_missing_or_unwritable_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=5)
    code = main(["convert", str(clip), str(tmp_path / "no" / "such" / "dir" / "out.mp4")])
    _one_error_line(capsys, code)
    code = main(["convert", str(clip), "/proc/animecam/out.mp4"])
    _one_error_line(capsys, code)


def test_a_photo_converts_to_a_drawn_photo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`convert photo.jpg out.png`: the photo drawn whole, at its own size; a video name for the
    output, a missing folder and a broken photo are one-line errors."""
    import cv2
    from astronaut_face import astronaut_photo

    photo = tmp_path / "me.jpg"
    cv2.imwrite(str(photo), astronaut_photo())
    out = tmp_path / "me-anime.png"
    assert main(["convert", str(photo), str(out)]) == 0
    assert "drawn in" in capsys.readouterr().out
    drawn, original = cv2.imread(str(out)), cv2.imread(str(photo))
    assert drawn is not None and drawn.shape == original.shape
    assert np.abs(drawn.astype(np.int16) - original).mean() > 10  # drawn, not copied
    small = tmp_path / "small.png"  # drawn enlarged (sources: a small photo), written at its size
    cv2.imwrite(str(small), cv2.resize(astronaut_photo(), (200, 200), interpolation=cv2.INTER_AREA))
    assert main(["convert", str(small), str(tmp_path / "small-anime.png")]) == 0
    assert cv2.imread(str(tmp_path / "small-anime.png")).shape == (200, 200, 3)
    capsys.readouterr()
    code = main(["convert", str(photo), str(tmp_path / "me.mp4")])
    assert "a photo converts to an image" in _one_error_line(capsys, code)
    code = main(["convert", str(photo), str(tmp_path / "no" / "dir" / "x.png")])
    assert "does not exist" in _one_error_line(capsys, code)
    broken = _written(tmp_path / "broken.jpg", b"not a jpeg")
    code = main(["convert", str(broken), str(tmp_path / "b.png")])
    assert "not an image" in _one_error_line(capsys, code)


def test_unknown_style(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=5)
    code = main(["convert", str(clip), str(tmp_path / "o.mp4"), "--style", "no-such-style"])
    assert "animecam styles" in _one_error_line(capsys, code)


@pytest.mark.parametrize("size", ["0x0", "100000x5", "banana", "1280x"])
def test_absurd_size(size: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["live", "--size", size])
    assert "--size" in _one_error_line(capsys, exit_info.value.code)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "x"])
def test_strength_outside_zero_to_one(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["convert", "a.mp4", "b.mp4", "--strength", value])
    _one_error_line(capsys, exit_info.value.code)


def _animecam(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "animecam", *args], capture_output=True, text=True, timeout=120
    )


def test_no_camera_is_one_line_in_a_real_process(tmp_path: Path) -> None:
    # An index with no device behind it here (V4L2 numbers cameras /dev/videoN), so a machine with
    # cameras runs the same test. A recording is asked for, so the run gets as far as the camera.
    absent = next(n for n in range(7, 64) if not Path(f"/dev/video{n}").exists())
    out = tmp_path / "never.mp4"
    result = _animecam("live", "--camera", str(absent), "--record", str(out), "--frames", "1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "camera" in lines[0], lines
    assert str(absent) in lines[0] and "--vcam" not in lines[0], lines[0]


@pytest.mark.skipif(
    Path("/sys/module/v4l2loopback").exists(),
    reason="v4l2loopback is loaded here: this test checks the message shown without it",
)
def test_missing_virtual_camera_says_how_to_get_one(face_clip: Path) -> None:
    result = _animecam("live", "--camera", str(face_clip), "--vcam", "--frames", "1")
    assert result.returncode == 2
    assert "modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=animecam" in result.stderr
    assert "Traceback" not in result.stderr
