"""Recordings: H.264 in a fragmented MP4 (PyAV), the source's audio remuxed unchanged."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from animecam.core.errors import UserError
from animecam.core.frames import Frame, FrameResult, FrameSink, SourceInfo

log = logging.getLogger(__name__)

RECORDING_SUFFIXES = frozenset({".mp4", ".m4v", ".mov"})
# Audio codecs the MP4 muxer accepts as they are (others would need re-encoding).
MP4_AUDIO_CODECS = frozenset({"aac", "mp3", "ac3", "eac3", "opus", "alac", "flac"})
# ITU-R BT.601 limited range: what cv2's BGR->I420 conversion produces, so players decode it right.
_BT601, _LIMITED_RANGE = 6, 1


@dataclass
class RecorderConfig:
    crf: int = 23  # x264 quality: lower is better and bigger; 18 looks lossless
    preset: str = "veryfast"  # x264 speed/size trade-off; veryfast keeps up with 720p30 on 2 cores
    pix_fmt: str = "yuv420p"  # what every player and browser decodes
    # Fragmented MP4: a crash or kill leaves a file that plays up to the last fragment.
    fragmented: bool = True
    keyframe_seconds: float = 1.0  # GOP length, which is also the fragment length
    # pts from the frame index at the nominal rate; by default they follow the frames' own timestamps,
    # which keeps variable-frame-rate clips (phones) and stalling cameras in sync with their sound.
    constant_rate: bool = False


def _check_output_path(path: Path, input_path: Path | None) -> None:
    if path.suffix.lower() not in RECORDING_SUFFIXES:
        raise UserError(f"recordings are MP4 files: name the output {path.with_suffix('.mp4').name}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"the folder {parent} does not exist: create it or choose another output path")
    if not os.access(parent, os.W_OK):
        raise UserError(f"cannot write to the folder {parent}: choose a folder you can write to")
    if path.is_dir():
        raise UserError(f"the output {path} is a folder: give a file name ending in .mp4")
    if input_path is not None and path.exists() and os.path.samefile(path, input_path):
        raise UserError(f"the output {path} is the input: choose another output file name")


def _check_creatable(path: Path) -> None:
    """FFmpeg opens the file only when it writes the header, at the first frame, so a path that can
    never be written (/proc/x.mp4, a read-only mount) would otherwise fail as a recording cut short."""
    try:
        with path.open("ab"):
            pass
    except OSError as err:
        raise UserError(
            f"the recording {path} could not be created ({err.strerror or err}): choose another output path"
        ) from None


def _playable_end(path: Path) -> int:
    """Where the last complete fragment of a fragmented MP4 ends (header boxes count as complete).

    A file cut inside a box (disk full) does not open at all in FFmpeg; cut here it plays to that point.
    """
    size = path.stat().st_size
    end = good = 0
    with path.open("rb") as file:
        while end + 8 <= size:
            file.seek(end)
            header = file.read(16)
            box_size, kind = struct.unpack(">I4s", header[:8])
            if box_size == 1 and len(header) == 16:  # 64-bit size
                box_size = struct.unpack(">Q", header[8:])[0]
            if box_size < 8 or end + box_size > size:
                break
            end += box_size
            if kind != b"moof":  # a fragment header is only useful with the media data after it
                good = end
    return good


def _return_freed_memory() -> None:
    """Hands freed heap pages back to the OS (glibc only). x264 allocates on its own threads, and
    glibc keeps each thread's freed arena memory resident, so without this every finished recording
    left tens of MB behind: bench/soak.py measured +29% RSS over 13 recordings, -3% with it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # AttributeError: not glibc (musl)
            ctypes.CDLL(None).malloc_trim(0)


def _even_size(width: int, height: int) -> tuple[int, int]:
    return width + width % 2, height + height % 2


class Recorder(FrameSink):
    """Writes the output frames to an H.264 MP4, remuxing the source's audio unchanged.

    The output has the input's frame count and timing. yuv420p needs even dimensions, so an odd
    width or height is padded by repeating the last column or row.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        info: SourceInfo,
        config: RecorderConfig | None = None,
        input_path: str | os.PathLike[str] | None = None,
    ) -> None:
        import av

        self.path = Path(path)
        self.info = info
        self.config = config or RecorderConfig()
        input_file = Path(input_path) if input_path is not None else info.audio_path
        _check_output_path(self.path, input_file)
        _check_creatable(self.path)
        self._constant_rate = self.config.constant_rate
        self._size = _even_size(info.width, info.height)
        if self._size != (info.width, info.height):
            log.warning("%s: padding %dx%d to %dx%d (H.264 yuv420p needs even sizes)", self.path.name,
                        info.width, info.height, *self._size)
        options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"} if self.config.fragmented else {}
        try:
            self._out = av.open(str(self.path), "w", format="mp4", options=options)
        except (OSError, av.FFmpegError) as err:
            raise UserError(f"cannot create {self.path}: {err}; choose another output path") from None
        self._closed = False
        try:
            self._video = self._add_video_stream()
            self._audio_in: Any = None
            self._audio_packets: Iterator[Any] | None = None
            self._next_audio: Any = None
            if info.audio_path is not None:
                self._open_audio(info.audio_path)
        except BaseException:
            self._out.close()
            raise
        self._first_pts: float | None = None
        self._first_index = 0
        self._last_pts = -1
        self.frames_written = 0

    def _add_video_stream(self) -> Any:
        rate = Fraction(self.info.fps).limit_denominator(1001)
        stream = self._out.add_stream("libx264", rate=rate)
        stream.width, stream.height = self._size
        stream.pix_fmt = self.config.pix_fmt
        # Constant rate: one tick per frame. Otherwise 90 kHz ticks (MPEG's clock) carry each frame's
        # real timing, and hold 24, 25, 30, 60 and 29.97 fps frame times exactly.
        # (The muxer replaces stream.time_base with its own when it writes the header, so the
        # tick is kept here and given to every frame.)
        self._tick = 1 / rate if self._constant_rate else Fraction(1, 90_000)
        stream.time_base = self._tick
        context = stream.codec_context
        context.time_base = self._tick
        context.gop_size = max(1, round(float(rate) * self.config.keyframe_seconds))
        context.colorspace = _BT601
        context.color_range = _LIMITED_RANGE
        context.options = {
            "crf": str(self.config.crf),
            "preset": self.config.preset,
            "keyint_min": str(context.gop_size),
            "sc_threshold": "0",  # keyframes (so fragments) at a steady interval
            # No B-frames: with them a fragmented MP4 starts its video two frames late (no edit
            # list to undo the decode delay), which puts the picture behind the remuxed audio.
            "bf": "0",
        }
        return stream

    def _open_audio(self, audio_path: Path) -> None:
        import av

        try:
            self._audio_in = av.open(str(audio_path))
        except (OSError, av.FFmpegError) as err:
            log.warning("%s: audio not copied, cannot read %s (%s)", self.path.name, audio_path, err)
            return
        if not self._audio_in.streams.audio:
            self._audio_in.close()
            self._audio_in = None
            return
        source = self._audio_in.streams.audio[0]
        if source.codec_context.name not in MP4_AUDIO_CODECS:
            log.warning("%s: recording without sound, %s audio cannot be copied into MP4", self.path.name,
                        source.codec_context.name)
            self._audio_in.close()
            self._audio_in = None
            return
        self._audio_stream = self._out.add_stream_from_template(source)
        # The source's frames are timed from its first video frame, so its audio is shifted the same.
        video_start = 0.0
        if self._audio_in.streams.video and self._audio_in.streams.video[0].start_time is not None:
            video = self._audio_in.streams.video[0]
            video_start = float(video.start_time * video.time_base)
        self._audio_shift = round(video_start / source.time_base) if source.time_base else 0
        self._audio_packets = self._shifted_audio(self._audio_in.demux(source))
        self._next_audio = next(self._audio_packets, None)

    def _shifted_audio(self, packets: Iterator[Any]) -> Iterator[Any]:
        for packet in packets:
            if packet.pts is None:  # the demuxer's end-of-stream marker
                continue
            packet.pts -= self._audio_shift
            packet.dts = packet.pts if packet.dts is None else packet.dts - self._audio_shift
            # Packets before 0 hold the AAC encoder's priming (or sound from before the first
            # picture); a fragmented MP4 has no edit list to hide them, and the muxer would delay
            # the video's first frame to make room.
            if packet.pts >= 0:
                yield packet

    def _mux_audio_until(self, seconds: float) -> None:
        """Muxes source audio packets that start at or before `seconds` (interleaving with video)."""
        while (packet := self._next_audio) is not None and float(packet.pts * packet.time_base) <= seconds:
            packet.stream = self._audio_stream
            self._out.mux(packet)
            self._next_audio = next(self._audio_packets, None) if self._audio_packets else None

    def _to_yuv(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        if (width, height) != self._size:
            if _even_size(width, height) == self._size:
                image = cv2.copyMakeBorder(image, 0, self._size[1] - height, 0, self._size[0] - width,
                                           cv2.BORDER_REPLICATE)
            else:  # a stage changed the size: keep the recording's geometry
                image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        # cv2's conversion is ~10x faster than swscale's; the stream is tagged BT.601 to match.
        return cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)

    def _pts(self, frame: Frame) -> int:
        if self._first_pts is None:
            self._first_pts, self._first_index = frame.pts, frame.index
        if self._constant_rate:
            pts = frame.index - self._first_index
        else:
            pts = round((frame.pts - self._first_pts) / self._tick)
        return max(pts, self._last_pts + 1)  # an encoder rejects repeated or backward timestamps

    def write(self, result: FrameResult) -> None:
        import av

        if self._closed:
            raise RuntimeError("Recorder.write after close")
        frame = result.output
        av_frame = av.VideoFrame.from_ndarray(self._to_yuv(frame.image), format="yuv420p")
        av_frame.colorspace, av_frame.color_range = _BT601, _LIMITED_RANGE
        av_frame.pts = self._last_pts = self._pts(frame)
        av_frame.time_base = self._tick
        try:
            self._mux_audio_until(float(av_frame.pts * self._tick))
            self._out.mux(self._video.encode(av_frame))
        except OSError as err:  # disk full, file too large, drive unplugged
            self._closed = True
            with contextlib.suppress(OSError):
                self._out.close()
            self._close_audio()
            self._drop_encoder()
            self._cut_short(err)
        self.frames_written += 1

    def close(self) -> None:
        """Flushes the encoder and the audio up to the video's end; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._out.mux(self._video.encode(None))
            if self.frames_written:
                frame_seconds = float(self._tick) if self._constant_rate else 1 / self.info.fps
                self._mux_audio_until(float(self._last_pts * self._tick) + frame_seconds)
        except OSError as err:
            with contextlib.suppress(OSError):
                self._out.close()
            self._cut_short(err)
        finally:
            self._out.close()
            self._close_audio()
            self._drop_encoder()
        # FFmpeg drops errors of the final flush, so a short last write shows only in the file.
        if self.config.fragmented and _playable_end(self.path) < self.path.stat().st_size:
            self._cut_short(None)

    def _drop_encoder(self) -> None:
        """FFmpeg frees the encoder, and x264 joins its threads, only when PyAV's objects are
        collected, not when the file closes: a closed Recorder that is still referenced (the GUI keeps
        the last one to show its path) held ~4 threads and ~50 MB until then (bench/soak.py)."""
        self._video = self._out = None
        _return_freed_memory()

    def _close_audio(self) -> None:
        if self._audio_in is not None:
            self._audio_in.close()
            self._audio_in = None

    def _cut_short(self, err: OSError | None) -> None:
        """Trims a failed recording to its last complete fragment, so it plays, and says so."""
        reason = (err.strerror or str(err)) if err is not None else "the last write did not complete"
        if self.config.fragmented and self.path.exists():
            with self.path.open("r+b") as file:
                file.truncate(_playable_end(self.path))
        raise UserError(
            f"recording to {self.path} stopped ({reason}): free disk space or choose another folder; "
            "the file keeps what was recorded before that"
        ) from None
