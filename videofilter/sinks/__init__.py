"""Where processed frames go, one module per kind, opened by name with `open_sink`."""

from __future__ import annotations

from typing import Any

from animecam.core.errors import UserError
from animecam.core.frames import FrameSink
from animecam.videofilter.sinks.callback import CallbackSink
from animecam.videofilter.sinks.recorder import MP4_AUDIO_CODECS, RECORDING_SUFFIXES, Recorder, RecorderConfig
from animecam.videofilter.sinks.still import StillSink
from animecam.videofilter.sinks.strip import StripSink
from animecam.videofilter.sinks.vcam import VirtualCameraSink

__all__ = [
    "MP4_AUDIO_CODECS", "RECORDING_SUFFIXES", "SINKS", "CallbackSink", "Recorder", "RecorderConfig",
    "StillSink", "StripSink", "VirtualCameraSink", "open_sink",
]

SINKS: dict[str, type[FrameSink]] = {
    "callback": CallbackSink,  # fn=
    "recorder": Recorder,  # path=, info=, config=, input_path=
    "still": StillSink,  # path=
    "strip": StripSink,  # path=, total_frames=, count=, thumb_width=
    "vcam": VirtualCameraSink,  # size=, fps=, backend=, device=, pace=
}


def open_sink(kind: str, **options: Any) -> FrameSink:
    """A sink by its kind's name, built from the keyword options its class takes."""
    if kind not in SINKS:
        raise UserError(f"unknown output {kind!r}: use one of {', '.join(sorted(SINKS))}")
    return SINKS[kind](**options)
