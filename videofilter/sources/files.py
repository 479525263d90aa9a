"""Video files (PyAV): the first video stream, with the display rotation of phone clips applied."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from animecam.core.errors import UserError
from animecam.core.frames import Frame, FrameSource, SourceInfo

log = logging.getLogger(__name__)

# Colour tags for which OpenCV's I420 conversion (BT.601, video range) is what swscale would do:
# colorspace unspecified / BT.470BG / SMPTE 170M, range unspecified / MPEG.
_BT601 = {2, 5, 6}
_VIDEO_RANGE = {0, 1}


def frame_to_bgr(av_frame: Any) -> np.ndarray:
    """A decoded frame as (H, W, 3) uint8 BGR. Most clips are BT.601 4:2:0 at even sizes: OpenCV
    converts those at half swscale's CPU (a 720p frame 2.2 -> 1.1 ms, within rounding of it);
    anything else (BT.709, full range, odd sizes, other pixel formats) goes through swscale."""
    if (
        av_frame.format.name == "yuv420p"
        and av_frame.width % 2 == 0
        and av_frame.height % 2 == 0
        and av_frame.colorspace in _BT601
        and av_frame.color_range in _VIDEO_RANGE
    ):
        return cv2.cvtColor(av_frame.to_ndarray(format="yuv420p"), cv2.COLOR_YUV2BGR_I420)
    return av_frame.to_ndarray(format="bgr24")


def check_input_file(path: Path, what: str) -> None:
    if not path.exists():
        raise UserError(f"{what} {path} does not exist: check the path")
    if not path.is_file():
        raise UserError(f"{what} {path} is not a file: give the path of a {what}")
    if path.stat().st_size == 0:
        raise UserError(f"{what} {path} is empty (0 bytes): it was not written completely; use another copy")


class VideoFileSource(FrameSource):
    """Decodes a video file's first video stream; the display rotation (phone clips) is applied."""

    @classmethod
    def from_spec(cls, target: str, size: tuple[int, int], fps: float) -> VideoFileSource:
        return cls(Path(target).expanduser())  # a file has its own size and rate

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import av

        self.path = Path(path)
        check_input_file(self.path, "video file")
        try:
            self._container = av.open(str(self.path))
        except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
            raise UserError(
                f"{self.path} is not a video file ffmpeg can read ({type(err).__name__}): "
                "use an mp4/mov/mkv/webm/avi file"
            ) from None
        if not self._container.streams.video:
            self._container.close()
            raise UserError(f"{self.path} has no video stream (audio only?): use a file with video")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self._stream = stream
        self._decoded = self._decode_frames()
        self._index = 0
        self._start: float | None = None
        # Decoding the first frame now turns a corrupt file into a UserError here, not mid-pipeline,
        # and it tells the rotation, which decides the output size.
        first = next(self._decoded, None)
        if first is None:
            self._container.close()
            raise UserError(f"{self.path} has no decodable video frames (corrupt file?): use another file")
        self._pending: Any = first
        self._rotation = round((getattr(first, "rotation", 0) or 0) / 90) % 4 * 90  # counter-clockwise
        fps = float(stream.average_rate or stream.guessed_rate or 30)
        width, height = first.width, first.height
        if self._rotation in (90, 270):
            width, height = height, width
        has_audio = bool(self._container.streams.audio)
        self.info = SourceInfo(
            name=self.path.name,
            width=width,
            height=height,
            fps=fps,
            frame_count=self._estimate_frame_count(fps),
            audio_path=self.path if has_audio else None,
        )

    def _estimate_frame_count(self, fps: float) -> int | None:
        if self._stream.frames:
            return int(self._stream.frames)
        if self._stream.duration is not None and self._stream.time_base is not None:
            seconds = float(self._stream.duration * self._stream.time_base)
        elif self._container.duration:
            seconds = self._container.duration / 1_000_000
        else:
            return None
        return max(1, round(seconds * fps))

    def _decode_frames(self) -> Iterator[Any]:
        import av

        try:
            yield from self._container.decode(self._stream)
        except av.FFmpegError as err:
            # A truncated or damaged file: keep what decoded and end the stream there.
            log.warning("%s: decoding stopped at frame %d (%s); the rest is skipped", self.path.name,
                        self._index, err)

    def read(self) -> Frame | None:
        if self._pending is not None:
            av_frame, self._pending = self._pending, None
        else:
            av_frame = next(self._decoded, None)
        if av_frame is None:
            return None
        image = frame_to_bgr(av_frame)
        if self._rotation:
            image = np.ascontiguousarray(np.rot90(image, k=self._rotation // 90))
        seconds = av_frame.time
        if seconds is None:
            seconds = self._index / self.info.fps
        if self._start is None:
            self._start = seconds
        frame = Frame(image, self._index, max(0.0, seconds - self._start))
        self._index += 1
        return frame

    def close(self) -> None:
        self._decoded.close()
        self._container.close()
