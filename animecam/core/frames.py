"""The data that flows between stages, and the source and sink interfaces.

Images are H x W x 3 uint8 arrays in BGR order (OpenCV's) everywhere in the pipeline.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import numpy as np


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # H x W x 3 uint8 BGR
    index: int  # 0-based position in the source
    pts: float  # presentation time in seconds since the source started


@dataclass(frozen=True)
class SourceInfo:
    name: str  # shown to people: a file name, "camera 0", "demo"
    width: int
    height: int
    fps: float
    frame_count: int | None = None  # None for live sources
    audio_path: Path | None = None  # a file whose audio stream a recorder should remux
    live: bool = False  # True for cameras: frames may be dropped to keep latency low


class FrameSource(ABC):
    """Produces frames in order. `read()` returns None at the end of the stream."""

    info: SourceInfo
    # A recoverable fault a person should see while it lasts ("camera lost, reconnecting").
    status: str | None = None
    # True when read() hands over the newest frame whenever it is called and frames nobody asked
    # for are passed over undecoded (a camera): the pipeline then reads one only when it has room.
    newest_on_read: bool = False
    skipped: int = 0  # frames such a source passed over because nobody was ready for them

    @abstractmethod
    def read(self) -> Frame | None: ...

    def close(self) -> None:  # noqa: B027 - most sources have nothing to release
        pass

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass
class FrameResult:
    """What the processing stage hands to the sinks for one frame."""

    original: Frame
    output: Frame
    faces: list = field(default_factory=list)  # list[animecam.videofilter.faces.Face]
    stage_ms: dict[str, float] = field(default_factory=dict)  # stage name -> milliseconds
    notice: str | None = None  # a recoverable fault to show, e.g. "camera lost, reconnecting"


class FrameSink(ABC):
    """Consumes processed frames. `close()` must leave whatever it wrote complete and usable."""

    @abstractmethod
    def write(self, result: FrameResult) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> FrameSink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
