"""engine/packs/ branches test_packs.py does not reach: downloads whose size is unknown or lied about
(cut off while streaming), encrypted / repeated / too many zip entries, the per-file size cap, the
link check of StylePack.verify itself, and the PNG/JPEG/WebP/safetensors content checks."""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import pytest
from test_packs import _zip, make_pack

import animecam.engine.packs.archive as pack_archive
import animecam.engine.packs.install as pack_install
from animecam.core.errors import UserError
from animecam.engine.packs import StylePack, install_pack, sha256_of


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture(scope="module")
def source_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pack(tmp_path_factory.mktemp("src") / "tiny")


@pytest.fixture
def pack_dir(source_pack: Path, tmp_path: Path) -> Path:
    """A fresh copy of the tiny pack that a test may damage."""
    copy = tmp_path / "pack"
    copy.mkdir()
    for path in source_pack.rglob("*"):
        if path.is_file():
            (copy / path.relative_to(source_pack)).parent.mkdir(parents=True, exist_ok=True)
            (copy / path.relative_to(source_pack)).write_bytes(path.read_bytes())
    return copy


def _styles_left(data_dir: Path) -> list[str]:
    root = data_dir / "styles"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def _list_file(pack: Path, relpath: str, data: bytes) -> None:
    """Put a file into the pack and list it in style.json with its true size and hash."""
    (pack / relpath).parent.mkdir(parents=True, exist_ok=True)
    (pack / relpath).write_bytes(data)
    manifest = json.loads((pack / "style.json").read_text())
    manifest["files"][relpath] = {"sha256": sha256_of(pack / relpath), "size": len(data)}
    (pack / "style.json").write_text(json.dumps(manifest))


# -- downloads whose length is not what they send --------------------------------------------------
class _Streaming(http.server.BaseHTTPRequestHandler):
    """HTTP/1.0 replies whose body runs until the connection closes; the path picks the header."""

    body = b"PK\x03\x04" + b"\0" * 20_000
    headers_for: ClassVar[dict[str, str | None]] = {
        "/no-length": None,
        "/negative-length": "-1",
        "/garbage-length": "banana",
    }

    def do_GET(self) -> None:
        self.send_response(200)
        if (value := self.headers_for.get(self.path)) is not None:
            self.send_header("Content-Length", value)
        self.end_headers()
        for start in range(0, len(self.body), 1000):  # in pieces, as a slow server would
            self.wfile.write(self.body[start : start + 1000])

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def streaming_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Streaming)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", ["/no-length", "/negative-length", "/garbage-length"])
def test_a_download_of_unknown_or_false_length_is_cut_off_while_streaming(
    streaming_server: str, tmp_path: Path, path: str
) -> None:
    """No usable Content-Length: the size limit is enforced on the bytes as they arrive."""
    with pytest.raises(UserError, match=r"is larger than its 5000 byte limit; refusing it") as info:
        pack_install.download(streaming_server + path, tmp_path / "x.zip", cap=5000)
    assert "\n" not in str(info.value)
    assert (tmp_path / "x.zip").stat().st_size <= 5000  # it stopped at the cap, not at the end


def test_an_install_cut_off_while_streaming_leaves_nothing(
    streaming_server: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pack_install, "download", functools.partial(pack_install.download, cap=5000))
    with pytest.raises(UserError, match="5000 byte limit"):
        install_pack(streaming_server + "/no-length")
    assert _styles_left(data_dir) == []


# -- zip entries -----------------------------------------------------------------------------------
def _zip_with(pack_dir: Path, tmp_path: Path, add: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    archive = _zip(pack_dir, tmp_path / "pack.zip")
    with zipfile.ZipFile(archive, "a") as zf:
        for entry, data in add:
            zf.writestr(entry, data)
    return archive


def _refused(source: Path, match: str, data_dir: Path) -> None:
    with pytest.raises(UserError, match=match) as info:
        install_pack(source)
    assert "\n" not in str(info.value)
    assert _styles_left(data_dir) == []


def test_an_encrypted_zip_entry_is_refused(pack_dir: Path, tmp_path: Path, data_dir: Path) -> None:
    archive = _zip_with(pack_dir, tmp_path, [("previews/x.png", b"\x89PNG\r\n\x1a\n")])
    # zipfile cannot write encrypted entries: set the "encrypted" flag bit in the central directory.
    data = bytearray(archive.read_bytes())
    record = data.rfind(b"previews/x.png") - 46
    assert data[record : record + 4] == b"PK\x01\x02"
    data[record + 8] |= 0x1
    archive.write_bytes(bytes(data))
    _refused(archive, r"'previews/x.png' is encrypted", data_dir)


def test_a_zip_naming_a_file_twice_is_refused(pack_dir: Path, tmp_path: Path, data_dir: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = _zip_with(pack_dir, tmp_path, [("style.json", (pack_dir / "style.json").read_bytes())])
    _refused(archive, "holds the same file twice", data_dir)


def test_a_zip_over_the_entry_limit_is_refused(pack_dir: Path, tmp_path: Path, data_dir: Path) -> None:
    count = sum(1 for p in pack_dir.rglob("*") if p.is_file())
    extra = [(f"previews/{i}.txt", b"x") for i in range(pack_archive.MAX_ENTRIES - count + 1)]
    archive = _zip_with(pack_dir, tmp_path, extra)
    with zipfile.ZipFile(archive) as zf:
        assert len(zf.infolist()) == pack_archive.MAX_ENTRIES + 1
    _refused(
        archive,
        rf"has {pack_archive.MAX_ENTRIES + 1} entries, over the {pack_archive.MAX_ENTRIES} limit",
        data_dir,
    )


def test_the_per_file_size_cap(
    pack_dir: Path, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file is capped on its own (the pack total is checked separately), zipped or in a folder."""
    for module in (pack_archive, pack_install):  # zip entries are checked on extraction, folders on copy
        monkeypatch.setattr(module, "MAX_FILE_BYTES", 100_000)  # the tiny model is ~60 KB
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * 150_000
    archive = _zip_with(pack_dir, tmp_path, [("previews/big.png", big)])
    _refused(archive, r"'previews/big.png' declares 150008 bytes, over the 100000 byte file limit", data_dir)
    (pack_dir / "previews").mkdir()
    (pack_dir / "previews" / "big.png").write_bytes(big)
    _refused(pack_dir, r"previews/big.png is larger than its 100000 byte limit", data_dir)


# -- StylePack.verify's own checks (a folder loaded directly, not through install) ---------------
def test_verify_refuses_links_itself(pack_dir: Path, tmp_path: Path) -> None:
    StylePack.load(pack_dir)
    outside = tmp_path / "weights-elsewhere.safetensors"
    os.replace(pack_dir / "weights.safetensors", outside)
    os.symlink(outside, pack_dir / "weights.safetensors")  # same bytes, same hash: only the link is wrong
    with pytest.raises(UserError, match=r"weights.safetensors is a link; packs may not hold links"):
        StylePack.load(pack_dir)
    (pack_dir / "weights.safetensors").unlink()
    os.replace(outside, pack_dir / "weights.safetensors")
    os.symlink(tmp_path, pack_dir / "previews")  # a linked folder too
    with pytest.raises(UserError, match=r"previews is a link"):
        StylePack.load(pack_dir)


def _encoded(suffix: str) -> bytes:
    image = np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    ok, data = cv2.imencode(suffix, image)
    assert ok
    return data.tobytes()


@pytest.mark.parametrize(
    ("suffix", "message"),
    [
        (".png", "is not a PNG image"),
        (".jpg", "is not a JPEG image"),
        (".jpeg", "is not a JPEG image"),
        (".webp", "is not a WebP image"),
    ],
)
def test_image_content_checks(pack_dir: Path, suffix: str, message: str) -> None:
    """A real image of each kind loads; the same name holding another kind's bytes is refused."""
    _list_file(pack_dir, f"previews/a{suffix}", _encoded(".jpg" if suffix == ".jpeg" else suffix))
    StylePack.load(pack_dir)
    _list_file(pack_dir, f"previews/b{suffix}", _encoded(".png" if suffix != ".png" else ".jpg"))
    with pytest.raises(UserError, match=rf"previews/b{suffix} {message}"):
        StylePack.load(pack_dir)


@pytest.mark.parametrize(
    "data",
    [
        (10_000).to_bytes(8, "little") + b'{"a":1}' + b"\0" * 40,  # header longer than the file
        (0).to_bytes(8, "little") + b"{}" + b"\0" * 40,  # empty header
        (4).to_bytes(8, "little") + b"[1,2]" + b"\0" * 40,  # not a JSON object
        b"\x01\x02",  # shorter than the length field
    ],
    ids=["header-past-end", "zero-header", "not-an-object", "too-short"],
)
def test_safetensors_content_check(pack_dir: Path, data: bytes) -> None:
    StylePack.load(pack_dir)  # the real safetensors file passes
    (pack_dir / "weights.safetensors").unlink()
    _list_file(pack_dir, "weights.safetensors", data)
    with pytest.raises(UserError, match=r"weights.safetensors is not a safetensors file"):
        StylePack.load(pack_dir)
