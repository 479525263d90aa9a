"""Fault matrix, recording: unwritable places, a disk that fills up mid-clip, a recorder removed while
frames are being written. Each leaves a playable file of what was recorded and one `error:` line.
(A recording killed with SIGKILL is test_sinks.py::test_killed_recording_still_plays.)"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from media import decode_all, make_clip

from animecam.cli import main
from animecam.core.frames import Frame, FrameResult, FrameSink, FrameSource, SourceInfo
from animecam.videofilter.pipeline import Pipeline
from animecam.videofilter.sinks import Recorder


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("rec") / "in.mp4", frames=150, size=(320, 240))


@pytest.mark.parametrize("where", ["proc", "file-as-folder"])
def test_unwritable_output_place(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, clip: Path, where: str
) -> None:
    # Works as root too: root may write anywhere on disk, but not into /proc or under a plain file.
    if where == "proc":
        out = Path("/proc/animecam-out.mp4")
    else:
        (tmp_path / "notes.txt").write_text("a file, not a folder")
        out = tmp_path / "notes.txt" / "out.mp4"
    assert main(["convert", str(clip), str(out)]) == 2
    _one_error_line(capsys.readouterr().err)
    assert not out.exists()


_LIMITED_CONVERT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) like a full disk
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from animecam.cli import main
sys.exit(main(["convert", sys.argv[1], sys.argv[2]]))
"""


@pytest.fixture(scope="module")
def converted(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    """The frames of the same conversion with no size limit."""
    out = tmp_path_factory.mktemp("full") / "out.mp4"
    assert main(["convert", str(clip), str(out)]) == 0
    return decode_all(out)[0]


@pytest.mark.parametrize("limit", [30_000, 60_000])
def test_disk_full_mid_clip(tmp_path: Path, clip: Path, converted: list[np.ndarray], limit: int) -> None:
    out = tmp_path / "out.mp4"
    done = subprocess.run([sys.executable, "-c", _LIMITED_CONVERT, str(clip), str(out), str(limit)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "stopped" in _one_error_line(done.stderr)
    images, times = decode_all(out)  # it opens and plays up to the last whole fragment
    assert 0 < len(images) < 150 and np.all(np.diff(times) > 0)
    # What it keeps is the start of the clip as converted without a limit, and it kept writing until
    # the space ran out (the kernel caps the size at `limit`, so only the lower bound says anything).
    for got, want in zip(images, converted, strict=False):
        assert np.abs(got.astype(int) - want).mean() < 1.0
    assert out.stat().st_size > limit // 2


class _Loop(FrameSource):
    def __init__(self) -> None:
        self.info = SourceInfo("loop", 160, 120, 30.0, live=True)
        self.index = 0

    def read(self) -> Frame | None:
        time.sleep(0.002)
        image = np.full((120, 160, 3), self.index % 255, np.uint8)
        self.index += 1
        return Frame(image, self.index, self.index / 30)


class _Slow(FrameSink):
    """Records whether close() ever ran while a write was in progress."""

    def __init__(self) -> None:
        self.writing = False
        self.overlapped = False
        self.closed = False

    def write(self, result: FrameResult) -> None:
        self.writing = True
        time.sleep(0.005)
        self.writing = False

    def close(self) -> None:
        self.overlapped |= self.writing
        self.closed = True


def test_recorder_removed_mid_write_is_closed_between_frames() -> None:
    # The app's "stop recording" button: remove_sink from the UI thread while frames flow.
    sinks = [_Slow() for _ in range(30)]
    pipeline = Pipeline(_Loop(), _Keep(), [_Slow()])
    pipeline.start()
    try:
        for sink in sinks:
            pipeline.add_sink(sink)
            time.sleep(0.004)
            pipeline.remove_sink(sink)
    finally:
        pipeline.stop()
    assert all(sink.closed for sink in sinks)
    assert not any(sink.overlapped for sink in sinks)
    assert not pipeline.errors


def test_rotating_recorders_while_running_leaves_playable_files(tmp_path: Path) -> None:
    source = _Loop()
    pipeline = Pipeline(source, _Keep(), [_Slow()])
    pipeline.start()
    paths = [tmp_path / f"part{i}.mp4" for i in range(4)]
    try:
        current = None
        for path in paths:
            recorder = Recorder(path, source.info)
            pipeline.add_sink(recorder)
            if current is not None:
                pipeline.remove_sink(current)
            current = recorder
            time.sleep(0.3)
    finally:
        stopper = threading.Thread(target=pipeline.stop)
        stopper.start()
        stopper.join(timeout=10)
    assert not stopper.is_alive(), "stop() hung"
    assert not pipeline.errors
    for path in paths:
        assert len(decode_all(path)[0]) > 0


class _Keep:
    name, input_size = "keep", 128

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        return crops.copy()
