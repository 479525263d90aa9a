"""`animecam`: the command dispatcher.

Each package adds its subcommands through the entry-point group `animecam.commands` (see
pyproject.toml): an entry point names a function `add_commands(subparsers)`. The dispatcher imports
none of them by name, and the command modules import their heavy parts (torch, Qt, the pipeline)
only inside their handlers, so `animecam --help` stays fast.

User mistakes become one line on stderr, `error: ...`, and exit code 2 (never a traceback).
Set ANIMECAM_DEBUG=1 to see the traceback of an unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from animecam.core.args import OneLineParser
from animecam.core.errors import UserError

COMMAND_GROUP = "animecam.commands"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="animecam", description="Real-time anime filter for webcams and video.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser, metavar="COMMAND")
    plugins = sorted(entry_points(group=COMMAND_GROUP), key=lambda ep: ep.name)
    if not plugins:
        raise SystemExit("error: no animecam commands are installed: reinstall with pip install -e .")
    for plugin in plugins:
        plugin.load()(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # OpenCV's own warnings (e.g. "can't open camera by index") would break the one-line error rule.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    # SIGTERM ends a run like Ctrl-C does, so recordings are finalised.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("ANIMECAM_DEBUG"):
            raise
        print(
            f"error: unexpected failure ({type(err).__name__}: {err}); rerun with ANIMECAM_DEBUG=1 and "
            "report the traceback",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
