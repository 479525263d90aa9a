"""A clip played over and over as one endless stream, the way a camera keeps going.

The app loops a chosen video file or the demo through it (the recording or virtual camera attached
to the pipeline carries on across the restart), and bench/soak.py runs an hour on it as a camera.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from animecam.core.frames import Frame, FrameSource


class LoopingSource(FrameSource):
    """Plays `first`, then whatever `reopen()` opens, again and again.

    Reopening on every pass, decoder and all, is deliberate: a leak in opening or closing files
    shows up in a long run. Indices continue across passes, so they never go backwards; so do the
    timestamps, which follow the clip's own (a file preview paces itself by them) or, with `live`,
    the wall clock, as a camera's do (the tracker's filters and a live recording use them).

    Live, it is a camera that always has a fresh frame when the filter asks for one
    (`newest_on_read`): the pipeline then reads only when a frame has left it, so nothing is decoded
    only to be dropped. `camera_fps` > 0 caps it at a camera's rate instead.
    """

    def __init__(
        self,
        first: FrameSource,
        reopen: Callable[[], FrameSource],
        live: bool = False,
        camera_fps: float = 0.0,
    ) -> None:
        self._inner = first
        self._reopen = reopen
        self.live = live
        self.newest_on_read = live
        self.info = replace(first.info, frame_count=None, live=live)  # endless
        self._period = 1.0 / camera_fps if camera_fps > 0 else 0.0
        self.loops = 0  # completed passes
        self._index_offset = 0
        self._pts_offset = 0.0
        self._last: Frame | None = None
        self._t0 = self._due = time.monotonic()

    @property
    def status(self) -> str | None:  # type: ignore[override]
        return self._inner.status

    def read(self) -> Frame | None:
        if self._period:
            self._due = max(self._due + self._period, time.monotonic() - self._period)
            time.sleep(max(0.0, self._due - time.monotonic()))
        frame = self._inner.read()
        if frame is None:
            if self._last is None:  # nothing was read since the last restart: an empty clip
                return None
            self._inner.close()
            self._inner = self._reopen()
            self.loops += 1
            frame = self._inner.read()
            if frame is None:
                return None
            self._index_offset = self._last.index + 1 - frame.index
            self._pts_offset = self._last.pts + 1.0 / max(self.info.fps, 1.0) - frame.pts
        pts = time.monotonic() - self._t0 if self.live else frame.pts + self._pts_offset
        self._last = Frame(frame.image, frame.index + self._index_offset, pts)
        return self._last

    def close(self) -> None:
        self._inner.close()
