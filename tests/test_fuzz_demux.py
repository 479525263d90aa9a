"""Fuzzing the demuxing path: mutated bytes of a real tiny clip either open and decode, or are refused
with a UserError. Any other exception (or a hang) is a bug. Bounded to about ten seconds."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media import make_clip

from animecam.core.errors import UserError
from animecam.core.frames import FrameResult
from animecam.videofilter.sinks import Recorder
from animecam.videofilter.sources import VideoFileSource


def _clip_bytes(fragmented: bool) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        plain = make_clip(Path(tmp) / "plain.mp4", frames=8, size=(64, 48))
        if not fragmented:
            return plain.read_bytes()
        out = Path(tmp) / "fragmented.mp4"
        with VideoFileSource(plain) as source, Recorder(out, source.info) as recorder:
            for frame in source:
                recorder.write(FrameResult(frame, frame))
        return out.read_bytes()


CLIPS = {kind: _clip_bytes(kind == "fragmented") for kind in ("plain", "fragmented")}

mutation = st.one_of(
    # (position as a fraction of the file, replacement bytes): overwrite
    st.tuples(st.just("overwrite"), st.floats(0, 1), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 512)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)),
)


def mutate(data: bytes, mutations: list[tuple]) -> bytes:
    buffer = bytearray(data)
    for kind, where, what in mutations:
        at = int(where * len(buffer))
        if kind == "overwrite":
            buffer[at:at + len(what)] = what
        elif kind == "insert":
            buffer[at:at] = what
        elif kind == "delete":
            del buffer[at:at + what]
        else:
            del buffer[at:]
    return bytes(buffer)


@pytest.mark.parametrize("kind", ["plain", "fragmented"])
def test_mutated_clips_decode_or_are_refused(kind: str, tmp_path: Path) -> None:
    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(mutation, min_size=1, max_size=6))
    def check(mutations: list[tuple]) -> None:
        path = tmp_path / "fuzzed.mp4"
        path.write_bytes(mutate(CLIPS[kind], mutations))
        try:
            source = VideoFileSource(path)
        except UserError as err:
            assert "\n" not in str(err)
            return
        with source:
            frames = list(source)
        assert frames, "a source that opened yields its first frame"
        for frame in frames:
            assert frame.image.ndim == 3 and frame.image.shape[2] == 3 and frame.pts >= 0

    check()
