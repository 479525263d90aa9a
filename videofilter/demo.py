"""The demo clip as a file: the moving astronaut (`DemoSource`) with a soft chord, as an H.264 MP4."""

from __future__ import annotations

import os
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from animecam.core.frames import SourceInfo
from animecam.videofilter.sources.demo import FACE_BOX_IN_PHOTO, PHOTO_CROP, DemoSource, astronaut_bgr

__all__ = ["FACE_BOX_IN_PHOTO", "PHOTO_CROP", "DemoSource", "astronaut_bgr", "write_chord", "write_demo_clip"]


def write_chord(path: Path, seconds: float, rate: int = 48_000) -> Path:
    """A soft A-major chord with a slow swell and fades, AAC in an .m4a file."""
    import av

    t = np.arange(round(seconds * rate)) / rate
    wave = sum(np.sin(2 * np.pi * hz * t) for hz in (220.0, 277.18, 329.63)) / 3
    envelope = np.minimum(1.0, np.minimum(t, seconds - t) / 0.3).clip(0.0, 1.0)
    swell = 0.75 + 0.25 * np.sin(2 * np.pi * t / max(seconds, 1.0))
    samples = (0.2 * wave * envelope * swell).astype(np.float32)
    stereo = np.stack([samples, samples])
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=rate, layout="stereo")
        chunk = stream.codec_context.frame_size or 1024
        for start in range(0, stereo.shape[1], chunk):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(stereo[:, start:start + chunk]),
                                               format="fltp", layout="stereo")
            frame.rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def write_demo_clip(
    path: str | os.PathLike[str], seconds: float = 5.0, size: tuple[int, int] = (1280, 720), fps: float = 30.0
) -> Path:
    """Writes the demo as an H.264 MP4 with an AAC audio track; returns the path."""
    from animecam.core.frames import FrameResult
    from animecam.videofilter.sinks import Recorder

    path = Path(path)
    source = DemoSource(seconds, size, fps)
    with tempfile.TemporaryDirectory(prefix="animecam-demo-") as tmp:
        audio = write_chord(Path(tmp) / "chord.m4a", seconds)
        info = SourceInfo(source.info.name, *size, source.info.fps, source.info.frame_count, audio_path=audio)
        with Recorder(path, info) as recorder:
            for frame in source:
                recorder.write(FrameResult(frame, frame))
    return path
