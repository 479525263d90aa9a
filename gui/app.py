"""Starting the app: the QApplication, the window, and the screenshot mode used by scripts and docs."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
from PyQt6.QtWidgets import QApplication

from animecam.core.errors import UserError
from animecam.gui.main_window import MainWindow
from animecam.gui.services import Services, default_services
from animecam.gui.session import Session
from animecam.gui.settings import load_settings, open_store
from animecam.gui.theme import apply_theme
from animecam.videofilter.pipeline import PipelineConfig

SCREENSHOT_TIMEOUT_S = 120.0  # for the first stylised frames of a source that opened
THUMBNAILS_TIMEOUT_S = 20.0
SCREENSHOT_FRAMES = 8  # frames shown before a screenshot, so smoothing has settled


_apps: list[QApplication] = []  # keeps the one QApplication alive for the life of the process


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("animecam")
        app.setOrganizationName("animecam")
        _apps.append(app)
    apply_theme(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def create_window(
    services: Services | None = None,
    store: QSettings | None = None,
    source: str | None = None,
    style: str | None = None,
    config: PipelineConfig | None = None,
) -> MainWindow:
    """A window with its own Session; `store` defaults to the platform's settings location, `config`
    gives the pipeline fields the app does not remember (by default a clip plays at its own rate)."""
    application()
    store = store if store is not None else open_store()
    settings = load_settings(store, config)
    if source is not None:
        settings.camera = source
    if style is not None:
        settings.style = style
    session = Session(services or default_services(), settings)
    window = MainWindow(session, store)
    session.setParent(window)
    return window


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Runs the event loop until `condition()` holds or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
    return True


def thumbnails_done(window: MainWindow) -> bool:
    return window.thumbnails_shown >= window.panel.gallery.count() > 0


def save_screenshot(window: MainWindow, path: Path, frames: int = SCREENSHOT_FRAMES) -> None:
    """Waits for stylised frames, or for the no-source state when the source cannot be opened (no
    camera), and the gallery's thumbnails (briefly); then saves the window."""
    start = window.preview.frames_shown
    if not wait_until(
        lambda: window.preview.frames_shown >= start + frames or window.source_missing is not None,
        SCREENSHOT_TIMEOUT_S,
    ):
        raise UserError(
            f"no picture arrived within {SCREENSHOT_TIMEOUT_S:.0f} s: check the source and the banner "
            f"({window.banner.text.text() or 'no message'})"
        )
    wait_until(lambda: thumbnails_done(window), THUMBNAILS_TIMEOUT_S)
    if window.source_missing is None:
        wait_until(lambda: window.last_stats is not None and window.last_stats.fps > 0, 5.0)
    QCoreApplication.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise UserError(f"cannot write the screenshot {path}: check the folder exists and is writable")


def run(
    source: str | None = None,
    style: str | None = None,
    screenshot: Path | None = None,
    store: QSettings | None = None,
) -> int:
    app = application()
    window = create_window(store=store, source=source, style=style)
    window.show()
    if screenshot is None:
        # Ctrl-C or a kill closes the window the normal way, so a recording is finalised. Python only
        # runs signal handlers between bytecodes: the timer hands control back to it now and then.
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: window.close())
        wake = QTimer(interval=200, timeout=lambda: None)
        wake.start()
        return app.exec()
    try:
        save_screenshot(window, screenshot)
    finally:
        window.close()
    return 0
