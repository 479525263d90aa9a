"""What a newcomer meets first (issue 13): the demo's clips, `demo` as an input, the bench's report,
live runs that send nowhere or have neither camera nor virtual camera, and recordings that cannot
be created."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from media import decode_all
from test_cli import _one_error_line

from animecam.cli import main
from animecam.core.errors import UserError
from animecam.core.frames import SourceInfo
from animecam.videofilter.sinks import Recorder


@pytest.mark.slow
def test_demo_keeps_its_original_clip_next_to_the_result(tmp_path: Path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path), "--seconds", "0.5", "--style", "anime"]) == 0
    printed = capsys.readouterr().out.splitlines()
    original, result = tmp_path / "animecam-demo-input.mp4", tmp_path / "animecam-demo.mp4"
    assert printed[:3] == [str(original), str(result), str(tmp_path / "animecam-demo.png")]
    before, after = decode_all(original)[0], decode_all(result)[0]
    assert len(before) == len(after) == 15
    assert abs(before[7].astype(int) - after[7].astype(int)).mean() > 2  # the original, not a copy


def test_bench_json_reports_the_input_it_read_and_cpu_per_frame(capsys) -> None:
    assert main(["bench", "--json", "--frames", "4"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["input"] == "demo"  # the built-in clip, not a temporary file that is gone
    assert report["cpu_ms_per_frame"] > 0 and report["without_style"]["cpu_ms_per_frame"] > 0
    assert list(report)[:2] == ["fps", "cpu_ms_per_frame"]


@pytest.mark.slow
def test_convert_takes_demo_and_refuses_a_camera(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo.mp4"
    assert main(["convert", "demo", str(out), "--style", "anime"]) == 0
    assert len(decode_all(out)[0]) == 150  # the built-in 5 s clip at 30 fps
    capsys.readouterr()
    line = _one_error_line(capsys, main(["convert", "0", str(tmp_path / "cam.mp4")]))
    assert "convert takes a video file, a photo or demo" in line and "animecam live" in line


def test_live_that_sends_nowhere_names_both_outputs(capsys) -> None:
    line = _one_error_line(capsys, main(["live", "--camera", "demo", "--frames", "2"]))
    assert "--vcam" in line and "--record" in line


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="v4l2loopback is Linux's virtual camera")
def test_live_without_camera_and_without_virtual_camera_says_both(capsys) -> None:
    absent = next(n for n in range(7, 64) if not Path(f"/dev/video{n}").exists())
    if Path("/dev/video0").exists():
        pytest.skip("this machine has a camera or a loopback device")
    line = _one_error_line(capsys, main(["live", "--camera", str(absent), "--vcam", "--frames", "1"]))
    assert f"no camera at index {absent}" in line and "no virtual camera device" in line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, where files cannot be created")
def test_a_recording_that_cannot_be_created_says_so() -> None:
    with pytest.raises(UserError, match=r"^the recording /proc/animecam\.mp4 could not be created \(.+\)"):
        Recorder(Path("/proc/animecam.mp4"), SourceInfo("x", 64, 48, 30.0))


@pytest.mark.parametrize("command", ["demo", "convert", "live"])
def test_help_names_the_real_default_style(command: str, capsys) -> None:
    from animecam.engine.styles import DEFAULT_STYLE

    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert f"default: {DEFAULT_STYLE}" in " ".join(capsys.readouterr().out.split())
