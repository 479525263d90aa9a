"""What the desktop app's tests share: a generated clip, a settings file, and ways to drive a window.

The real pipeline, styles, sources and sinks run; tests swap one service where they need a fault
or a device this machine lacks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PyQt6.QtCore import Qt
from skimage.data import astronaut

from animecam.gui.app import create_window
from animecam.gui.cli import add_commands
from animecam.gui.main_window import MainWindow
from animecam.gui.services import Services, default_services
from animecam.gui.settings import open_store

FPS = 15
FRAMES = 30
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of a face drifting slowly over a grey background, 320x240."""
    path = tmp_path_factory.mktemp("gui") / "face.mp4"
    face = cv2.resize(cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)[0:300, 100:350], (150, 180))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(FRAMES):
            canvas = np.full((240, 320, 3), 70, np.uint8)
            canvas[30:210, 80 + i % 4 : 230 + i % 4] = face
            container.mux(stream.encode(av.VideoFrame.from_ndarray(canvas, format="bgr24")))
        container.mux(stream.encode())
    return path


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "settings.ini"
    store = open_store(path)
    store.setValue("output_folder", str(tmp_path / "recordings"))
    store.sync()
    return path


def open_window(
    qtbot, store_path: Path, source: str | None, services: Services | None = None, **kw
) -> MainWindow:
    window = create_window(services or default_services(**kw), open_store(store_path), source=source)
    qtbot.addWidget(window)  # closed (settings saved, pipeline stopped) at the end of the test
    window.show()
    return window


def wait_frames(qtbot, window: MainWindow, count: int) -> None:
    target = window.preview.frames_shown + count
    qtbot.waitUntil(lambda: window.preview.frames_shown >= target, timeout=WAIT_MS)


def face_region(image: np.ndarray, faces: list) -> np.ndarray:
    x0, y0, x1, y1 = (int(v) for v in faces[0].box)
    return image[max(0, y0) : y1, max(0, x0) : x1].astype(np.int16)


def click_style(qtbot, window: MainWindow, name: str) -> None:
    gallery = window.panel.gallery
    row = gallery.names().index(name)
    gallery.scrollToItem(gallery.item(row))  # more styles than the gallery shows at once scroll
    rect = gallery.visualItemRect(gallery.item(row))
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def gui_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="animecam")
    add_commands(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)
