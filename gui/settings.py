"""What the app remembers between runs, stored with QSettings, and the one settings object that the
window, the session and the pipeline's configuration are read from.

The store is passed in (an ini file in tests, the platform's native place otherwise), so tests never
touch a person's real settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import platformdirs
from PyQt6.QtCore import QByteArray, QSettings

from animecam.engine.styles import DEFAULT_STYLE
from animecam.videofilter.pipeline import PipelineConfig

ORGANISATION = "animecam"
APPLICATION = "animecam"
VIEWS = ("stylised", "original", "side")  # what the preview shows
# The filter's settings a person changes in the side panel; they apply at the next frame and are
# remembered. Their stored keys are the field names (flat, as in settings files of earlier versions).
KNOBS = ("strength", "smoothing", "scene", "mirror", "draw_faces")


def _default_output_folder() -> str:
    return str(Path(platformdirs.user_videos_dir()) / "animecam")


def _live_config() -> PipelineConfig:
    return PipelineConfig(realtime=True)  # a clip plays at its own rate, as a camera would


@dataclass
class AppSettings:
    camera: str = "0"  # the source spec last used: camera index, device path or video file
    style: str = DEFAULT_STYLE
    view: str = VIEWS[0]
    output_folder: str = field(default_factory=_default_output_folder)
    geometry: bytes = b""  # QWidget.saveGeometry()
    # The running filter's configuration: the KNOBS are remembered, the rest is the caller's.
    pipeline: PipelineConfig = field(default_factory=_live_config)


def open_store(path: Path | None = None) -> QSettings:
    """An ini file at `path`, or the platform's usual settings location when None."""
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


def _read(store: QSettings, key: str, default: object) -> object:
    try:
        return store.value(key, default, type=type(default))
    except TypeError:  # a hand-edited value of the wrong type: keep the default
        return default


def load_settings(store: QSettings, base: PipelineConfig | None = None) -> AppSettings:
    """The remembered settings; `base` gives the pipeline fields that are not remembered."""
    defaults = AppSettings()
    values: dict[str, object] = {}
    for item in fields(AppSettings):
        if item.name == "pipeline":
            continue
        default = getattr(defaults, item.name)
        if item.name == "geometry":
            raw = store.value(item.name, QByteArray())
            values[item.name] = bytes(raw) if isinstance(raw, QByteArray | bytes) else b""
        else:
            values[item.name] = _read(store, item.name, default)
    pipeline = replace(base) if base is not None else _live_config()
    for knob in KNOBS:
        setattr(pipeline, knob, _read(store, knob, getattr(pipeline, knob)))
    pipeline.strength = min(1.0, max(0.0, pipeline.strength))
    pipeline.smoothing = min(1.0, max(0.0, pipeline.smoothing))
    settings = AppSettings(**values, pipeline=pipeline)  # type: ignore[arg-type]
    if settings.view not in VIEWS:
        settings.view = defaults.view
    return settings


def save_settings(store: QSettings, settings: AppSettings) -> None:
    for item in fields(AppSettings):
        if item.name == "pipeline":
            continue
        value = getattr(settings, item.name)
        store.setValue(item.name, QByteArray(value) if item.name == "geometry" else value)
    for knob in KNOBS:
        store.setValue(knob, getattr(settings.pipeline, knob))
    store.sync()
