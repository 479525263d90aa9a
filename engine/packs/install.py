"""Installing, removing and listing style packs; safe .zip extraction and size-capped downloads.

Every install is staged in a temporary folder inside the styles folder, verified there by
`StylePack.load`, then renamed into place, so a refused pack leaves nothing behind and nothing is
ever written outside the data folder. Re-exported by animecam.engine.packs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlparse

from animecam.core.errors import UserError
from animecam.engine.packs.archive import copy_capped, extract_zip
from animecam.engine.packs.pack import MANIFEST, MAX_PACK_BYTES, StylePack, plans_dir, styles_dir
from animecam.engine.packs.schema import MAX_FILE_BYTES, SLUG

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = MAX_PACK_BYTES
DOWNLOAD_TIMEOUT_S = 30.0
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
BUILTIN_PACKS_DIR = Path(__file__).parent.parent / "packs_builtin"


def _copy_folder(src: Path, dest: Path) -> None:
    budget = MAX_PACK_BYTES
    for folder, dirnames, filenames in os.walk(src):
        for entry in dirnames + filenames:
            if Path(folder, entry).is_symlink():
                raise UserError(
                    f"{src}: {Path(folder, entry).relative_to(src)} is a link; packs may not hold links"
                )
        for filename in filenames:
            relpath = Path(folder, filename).relative_to(src)
            (dest / relpath).parent.mkdir(parents=True, exist_ok=True)
            with Path(folder, filename).open("rb") as fin, (dest / relpath).open("xb") as fout:
                budget -= copy_capped(fin, fout, min(MAX_FILE_BYTES, budget), f"{src}: {relpath}")


def _check_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in LOCAL_HOSTS):
        return
    raise UserError(f"refusing {url[:100]}: packs are downloaded over https (plain http only from localhost)")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects only to URLs that pass the same https/localhost rule."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        _check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, dest: Path, *, sha256: str | None = None, cap: int = MAX_DOWNLOAD_BYTES) -> Path:
    """Fetch `url` into `dest` (size-capped, progress bar); `sha256` pins the whole archive."""
    from tqdm import tqdm

    _check_url(url)
    opener = urllib.request.build_opener(_CheckedRedirects)
    request = urllib.request.Request(url, headers={"User-Agent": "animecam"})
    digest = hashlib.sha256()
    try:
        with opener.open(request, timeout=DOWNLOAD_TIMEOUT_S) as response, dest.open("xb") as out:
            # A missing or malformed length (http.client then reads to the end) only skips this early
            # refusal: the bytes are capped as they arrive either way.
            declared = response.headers.get("Content-Length", "").strip()
            length = int(declared) if declared.isdigit() else 0
            if length > cap:
                raise UserError(f"{url} is {length} bytes, over the {cap} byte download limit")
            with tqdm(total=length or None, unit="B", unit_scale=True, desc="download", disable=None) as bar:

                def received(chunk: bytes) -> None:
                    digest.update(chunk)
                    bar.update(len(chunk))

                copy_capped(response, out, cap, f"the download from {url}", received)
    except urllib.error.HTTPError as err:
        raise UserError(f"download of {url} failed: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", None) or err
        raise UserError(
            f"download of {url} failed ({reason}); check the address and your connection"
        ) from None
    if sha256 is not None and digest.hexdigest() != sha256.lower():
        raise UserError(f"{url} does not match the expected sha256 {sha256[:16]}...; refusing it")
    return dest


def install_pack(source: str | Path, *, force: bool = False, sha256: str | None = None) -> StylePack:
    """Install a pack from a folder, a .zip or an https URL of a .zip into the styles folder.

    `force` replaces an installed pack of the same name; `sha256` pins a downloaded archive."""
    root = styles_dir()
    root.mkdir(parents=True, exist_ok=True)
    text = str(source)
    with tempfile.TemporaryDirectory(dir=root, prefix=".install-") as tmp:
        staging = Path(tmp) / "pack"
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
            extract_zip(download(text, Path(tmp) / "download.zip", sha256=sha256), staging)
        elif Path(text).is_dir():
            _copy_folder(Path(text), staging)
        elif Path(text).is_file() and zipfile.is_zipfile(text):
            extract_zip(Path(text), staging)
        elif Path(text).is_file() and _looks_like_zip(Path(text)):
            raise UserError(
                f"{text} is not a valid zip archive (damaged, or an incomplete download): get it again"
            )
        else:
            raise UserError(f"{text} is not a pack folder, .zip or https URL; check the path")
        try:
            pack = StylePack.load(staging)
        except UserError as err:
            # Name the user's own folder or zip, not the staging folder it was copied into.
            raise UserError(str(err).replace(str(staging), text)) from None
        target = root / pack.name
        if target.exists():
            if not force:
                raise UserError(
                    f"a pack named {pack.name!r} is already installed; remove it first or use --force"
                )
            shutil.rmtree(target)
        os.replace(staging, target)
    return StylePack.load(target, verify_hashes=False)


def _looks_like_zip(path: Path) -> bool:
    """Named .zip, or starting as a zip does: a damaged archive rather than a wrong path."""
    if path.suffix.lower() == ".zip":
        return True
    with path.open("rb") as file:
        return file.read(4) == b"PK\x03\x04"


# Below this many training steps a pack cannot have learnt a style (`train run --preset cpu-tiny`
# runs 4 and draws a grey oval); installing one is allowed, but the person should know.
FEW_TRAINING_STEPS = 1000


def training_warning(pack: StylePack) -> str | None:
    """A warning when the pack's manifest says it trained for very few steps, else None."""
    steps = pack.manifest.get("training", {}).get("steps")
    if not isinstance(steps, int) or steps >= FEW_TRAINING_STEPS:
        return None
    return (
        f"{pack.name} trained for only {steps} steps: expect a blur or a grey oval, not a style "
        f"(a real style trains for tens of thousands of steps)"
    )


def remove_pack(name: str) -> Path:
    """Remove an installed pack (and its locally built TensorRT plans); returns the removed folder."""
    target = styles_dir() / name
    if not re.match(SLUG, name) or not (target / MANIFEST).is_file():
        installed = ", ".join(pack.name for pack in installed_packs()) or "none"
        raise UserError(f"no installed pack named {name!r} (installed: {installed})")
    shutil.rmtree(target)
    for plan_folder in plans_dir().glob(f"{name}-*"):
        shutil.rmtree(plan_folder, ignore_errors=True)
    return target


def _packs_in(folder: Path) -> list[StylePack]:
    packs = []
    if not folder.is_dir():
        return packs
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            packs.append(StylePack.load(entry, verify_hashes=False))
        except UserError as err:
            log.warning("skipping a broken style pack: %s", err)
    return packs


def installed_packs() -> list[StylePack]:
    """Packs in the user's styles folder (broken ones are skipped with a logged warning)."""
    return _packs_in(styles_dir())


def bundled_packs() -> list[StylePack]:
    """Packs shipped inside animecam (engine/packs_builtin/)."""
    return _packs_in(BUILTIN_PACKS_DIR)
