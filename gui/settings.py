"""What the app remembers between runs, stored with QSettings.

The store is passed in (an ini file in tests, the platform's native place otherwise), so tests never
touch a person's real settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs
from PyQt6.QtCore import QByteArray, QSettings

from animecam.engine.styles import DEFAULT_STYLE
from animecam.videofilter.pipeline import PipelineConfig

ORGANISATION = "animecam"
APPLICATION = "animecam"
VIEWS = ("stylised", "original", "side")  # what the preview shows


def _default_output_folder() -> str:
    return str(Path(platformdirs.user_videos_dir()) / "animecam")


_PIPELINE_DEFAULTS = PipelineConfig()


@dataclass
class AppSettings:
    camera: str = "0"  # the source spec last used: camera index, device path or video file
    style: str = DEFAULT_STYLE
    strength: float = _PIPELINE_DEFAULTS.strength
    smoothing: float = _PIPELINE_DEFAULTS.smoothing
    mirror: bool = _PIPELINE_DEFAULTS.mirror
    draw_faces: bool = _PIPELINE_DEFAULTS.draw_faces
    view: str = VIEWS[0]
    output_folder: str = field(default_factory=_default_output_folder)
    geometry: bytes = b""  # QWidget.saveGeometry()


def open_store(path: Path | None = None) -> QSettings:
    """An ini file at `path`, or the platform's usual settings location when None."""
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


def load_settings(store: QSettings) -> AppSettings:
    defaults = AppSettings()
    values = {}
    for item in fields(AppSettings):
        default = getattr(defaults, item.name)
        if item.name == "geometry":
            raw = store.value(item.name, QByteArray())
            values[item.name] = bytes(raw) if isinstance(raw, QByteArray | bytes) else b""
            continue
        try:
            values[item.name] = store.value(item.name, default, type=type(default))
        except TypeError:  # a hand-edited value of the wrong type: keep the default
            values[item.name] = default
    settings = AppSettings(**values)
    if settings.view not in VIEWS:
        settings.view = defaults.view
    settings.strength = min(1.0, max(0.0, settings.strength))
    settings.smoothing = min(1.0, max(0.0, settings.smoothing))
    return settings


def save_settings(store: QSettings, settings: AppSettings) -> None:
    for name, value in asdict(settings).items():
        store.setValue(name, QByteArray(value) if name == "geometry" else value)
    store.sync()
