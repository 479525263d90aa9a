"""The outputs the app can switch on and off, and how each behaves."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from animecam.core.errors import UserError

OutputKind = Literal["recorder", "vcam"]  # the names videofilter's sinks go by
OUTPUT_KINDS: tuple[OutputKind, ...] = get_args(OutputKind)


@dataclass(frozen=True)
class OutputRules:
    name: str  # in messages
    cannot: str  # what the message starts with when it cannot open (the vcam's own error says it)
    level: str  # the banner's level for its faults
    follows_source: bool  # reopened with the next source (a device), or ended with the old one (a file)


OUTPUT_RULES: dict[OutputKind, OutputRules] = {
    "recorder": OutputRules("the recording", "cannot record: ", "error", follows_source=False),
    "vcam": OutputRules("the virtual camera", "", "warning", follows_source=True),
}


def new_recording_path(folder: Path, suffix: str = ".mp4") -> Path:
    """A new file name in `folder` (created if need be), stamped with the time: a recording, or with
    `suffix=".png"` a snapshot."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create the output folder {folder}: {err.strerror}") from None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"animecam-{stamp}{suffix}"
    for n in range(2, 100):
        if not path.exists():
            break
        path = folder / f"animecam-{stamp}-{n}{suffix}"
    return path
