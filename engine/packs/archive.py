"""Pack archives: a .zip extracted with every refusal a hostile archive calls for (escaping names,
links, encryption, repeated names, too many entries, more bytes than declared or allowed).

Used by installing (install.py) and by `StylePack.load` on a .zip (pack.py); it imports neither.
"""

from __future__ import annotations

import atexit
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

from animecam.core.errors import UserError
from animecam.engine.packs.schema import MANIFEST, MAX_FILE_BYTES, MAX_PACK_BYTES

MAX_ENTRIES = 300
_CHUNK = 1 << 20


def copy_capped(
    src: IO[bytes], dst: IO[bytes], cap: int, what: str, on_chunk: Callable[[bytes], None] | None = None
) -> int:
    """Stream src to dst; refuse as soon as more than `cap` bytes arrive (declared sizes can lie)."""
    total = 0
    while chunk := src.read(_CHUNK):
        total += len(chunk)
        if total > cap:
            raise UserError(f"{what} is larger than its {cap} byte limit; refusing it")
        if on_chunk is not None:
            on_chunk(chunk)
        dst.write(chunk)
    return total


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = name.split("/")
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return "points outside the pack folder"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a link"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.file_size > MAX_FILE_BYTES:
        return f"declares {info.file_size} bytes, over the {MAX_FILE_BYTES} byte file limit"
    return None


def extract_zip(archive: Path, dest: Path) -> None:
    """Extract a pack archive into the empty folder `dest`. A single top folder holding style.json is
    stripped. Refuses escaping names, links, encryption, too many entries and too many bytes."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise UserError(f"{archive} has {len(infos)} entries, over the {MAX_ENTRIES} limit")
            for info in infos:
                problem = _entry_problem(info)
                if problem:
                    raise UserError(f"{archive}: entry {info.filename[:80]!r} {problem}; refusing the pack")
            declared = sum(info.file_size for info in infos)
            if declared > MAX_PACK_BYTES:
                raise UserError(
                    f"{archive} unpacks to {declared} bytes, over the {MAX_PACK_BYTES} byte limit"
                )
            names = [info.filename for info in infos]
            top = names[0].split("/")[0] + "/" if names else ""
            strip = (
                MANIFEST not in names
                and f"{top}{MANIFEST}" in names
                and all(n.startswith(top) for n in names)
            )
            dest.mkdir(parents=True, exist_ok=True)
            budget = MAX_PACK_BYTES
            for info in infos:
                relpath = info.filename[len(top) :] if strip else info.filename
                if info.is_dir() or not relpath:
                    continue
                target = dest / relpath
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("xb") as dst:
                    budget -= copy_capped(src, dst, min(info.file_size, budget), f"{archive}: {relpath}")
    except FileExistsError:
        raise UserError(f"{archive} holds the same file twice; refusing the pack") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
        raise UserError(
            f"{archive} is not a readable zip archive ({err}); pass a pack folder or .zip"
        ) from None


def extract_to_private_dir(archive: Path) -> Path:
    """Extract a pack .zip for loading without installing; the folder is removed when Python exits."""
    if not zipfile.is_zipfile(archive):
        raise UserError(f"{archive} is neither a pack folder nor a .zip archive")
    folder = Path(tempfile.mkdtemp(prefix="animecam-pack-"))
    atexit.register(shutil.rmtree, folder, True)
    extract_zip(archive, folder / "pack")
    return folder / "pack"
