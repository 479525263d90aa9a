"""Tiny test clips made with PyAV directly (independent of the Recorder under test).

Each frame carries its index: a bright square moves one step per frame over a gradient, and the
top-left 16x16 block's grey level is `index % 16 * 16 + 8`, so a test can tell which frame it got.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def pattern_frame(index: int, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """The BGR picture of frame `index`: gradient, moving square, index block."""
    width, height = size
    xs = np.linspace(0, 255, width, dtype=np.float32)
    ys = np.linspace(0, 255, height, dtype=np.float32)
    image = np.empty((height, width, 3), np.uint8)
    image[..., 0] = xs[None, :]
    image[..., 1] = ys[:, None]
    image[..., 2] = 96
    side = max(4, min(width, height) // 4)
    x = (index * 3) % max(1, width - side)
    y = (index * 2) % max(1, height - side)
    image[y:y + side, x:x + side] = (255, 255, 255)
    image[:16, :16] = index % 16 * 16 + 8
    return image


def index_of(image: np.ndarray) -> int:
    """Reads back the index block (modulo 16) of a decoded pattern frame."""
    return round((float(image[4:12, 4:12].mean()) - 8) / 16) % 16


def _tone(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.2 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)[None, :]


def _write_audio(out: av.container.OutputContainer, seconds: float, rate: int = 44_100,
                 codec: str = "aac") -> list:
    stream = out.add_stream(codec, rate=rate, layout="mono")
    return [stream, _tone(seconds, rate), rate]


def _encode_audio(out: av.container.OutputContainer, stream: av.AudioStream, samples: np.ndarray,
                  rate: int) -> None:
    chunk = stream.codec_context.frame_size or 1024
    for start in range(0, samples.shape[1], chunk):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, start:start + chunk]),
                                           format="fltp", layout="mono")
        frame.rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def make_clip(
    path: str | Path,
    frames: int = 30,
    size: tuple[int, int] = (160, 120),
    fps: int = 30,
    audio: bool = True,
    rotation: int = 0,
    video_start: int = 0,
    audio_codec: str = "aac",
) -> Path:
    """An H.264 MP4 of `frames` pattern frames (+ a 440 Hz tone from 0 s).

    `rotation` sets the display rotation; the video starts `video_start` frames after the audio.
    """
    path = Path(path)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.codec_context.options = {"preset": "ultrafast", "crf": "18"}
        if rotation:
            video.set_display_rotation(rotation)
        sound = _write_audio(out, frames / fps, codec=audio_codec) if audio else None
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(pattern_frame(index, size), format="bgr24")
            frame.pts = video_start + index
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            _encode_audio(out, *sound)
    return path


def make_audio_only(path: str | Path, seconds: float = 1.0) -> Path:
    path = Path(path)
    with av.open(str(path), "w", format="mp4") as out:
        _encode_audio(out, *_write_audio(out, seconds))
    return path


def truncate(path: str | Path, fraction: float, out: str | Path) -> Path:
    """A copy of `path` cut after `fraction` of its bytes (a download or copy that stopped)."""
    data = Path(path).read_bytes()
    Path(out).write_bytes(data[: int(len(data) * fraction)])
    return Path(out)


def decode_all(path: str | Path) -> tuple[list[np.ndarray], list[float]]:
    """Every video frame (BGR) and its time in seconds, decoded by PyAV."""
    images, times = [], []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            images.append(frame.to_ndarray(format="bgr24"))
            times.append(float(frame.time))
    return images, times
