"""`animecam gui`: the desktop app (PyQt6 is imported only when the command runs)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from animecam.core.errors import UserError

MISSING_QT = "the desktop app needs the 'gui' extra: pip install 'animecam[gui]'"


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("gui", help="the desktop app: live preview, styles, virtual camera, recording")
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--input", type=Path, default=None, metavar="FILE", help="a video file, or 'demo': the built-in clip"
    )
    source.add_argument("--camera", default=None, metavar="INDEX|PATH", help="camera index or device path")
    p.add_argument(
        "--screenshot",
        type=Path,
        default=None,
        metavar="PNG",
        help="save a screenshot of the window once stylised frames show, then exit",
    )
    p.add_argument("--style", default=None, metavar="NAME", help="style to start with ('animecam styles')")
    p.set_defaults(handler=run_gui)


def run_gui(args: argparse.Namespace) -> int:
    try:
        import PyQt6.QtWidgets  # noqa: F401 - only checks the extra is installed
    except ImportError:
        raise UserError(MISSING_QT) from None
    if args.input is not None and not args.input.is_file():
        from animecam.videofilter.sources import source_kind

        if source_kind(str(args.input))[0] != "demo":
            raise UserError(f"no video file at {args.input}: check the path, or pass --input demo")
    if args.screenshot is not None and args.screenshot.suffix.lower() != ".png":
        raise UserError(f"--screenshot needs a .png file name, not {args.screenshot.name}")
    source = str(args.input) if args.input is not None else args.camera

    from animecam.gui.app import run
    from animecam.gui.settings import open_store

    if args.screenshot is None:
        return run(source=source, style=args.style)
    # A screenshot run must not overwrite the person's remembered camera, style and window.
    with tempfile.TemporaryDirectory(prefix="animecam-gui-") as tmp:
        return run(source, args.style, args.screenshot, store=open_store(Path(tmp) / "settings.ini"))
