"""Style packs: writing, loading, installing (folder, zip, URL) and every refusal of a hostile pack.

`tiny_model_files` / `make_pack` are shared with the other engine tests (imported from here).
"""

from __future__ import annotations

import atexit
import functools
import http.server
import io
import json
import os
import shutil
import stat
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from animecam.core.errors import UserError
from animecam.engine.packs import (
    StylePack,
    install_pack,
    installed_packs,
    remove_pack,
    styles_dir,
    write_pack,
)

SIZE = 32


@functools.cache
def tiny_model_files(family: str = "twingan", num_styles: int = 2) -> tuple[Path, Path, dict]:
    """A tiny generator with random (non-trivial) weights exported once per session:
    (model.onnx, weights.safetensors, model_config)."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    from animecam.engine.nets.layers import ConditionalInstanceNorm
    from animecam.training.models import build_generator

    torch.manual_seed(0)
    if family == "cyclegan":
        config: dict = {"ngf": 4, "n_blocks": 1}
    else:
        config = {"channels": [8, 16], "num_styles": num_styles, "convs_per_block": 1}
    generator = build_generator(family, **config).eval()
    with torch.no_grad():
        for module in generator.modules():
            if isinstance(module, torch.nn.Conv2d | torch.nn.ConvTranspose2d):
                module.weight.normal_(0.0, 0.3)
            elif isinstance(module, ConditionalInstanceNorm):  # distinct styles
                module.gamma.normal_(1.0, 0.5)
                module.beta.normal_(0.0, 0.5)
    folder = Path(tempfile.mkdtemp(prefix="animecam-tiny-"))
    atexit.register(shutil.rmtree, folder, True)  # cached for the session, removed at its end
    onnx_path = folder / "model.onnx"
    batch = torch.export.Dim("batch", min=1, max=4)
    image = torch.randn(1, 3, SIZE, SIZE)
    if family == "cyclegan":
        args, names, shapes = (image,), ["image"], {"image": {0: batch}}
    else:
        args, names, shapes = (
            (image, torch.full((1, num_styles), 1.0 / num_styles)),
            ["image", "style"],
            {"image": {0: batch}, "style": {0: batch}},
        )
    torch.onnx.export(
        generator,
        args,
        str(onnx_path),
        dynamo=True,
        input_names=names,
        output_names=["output"],
        dynamic_shapes=shapes,
        external_data=False,
        verbose=False,
    )
    weights = folder / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in generator.state_dict().items()}, str(weights))
    return onnx_path, weights, config


def make_pack(
    folder: Path, *, family: str = "twingan", num_styles: int = 2, name: str = "tiny", weights: bool = True
) -> Path:
    onnx_path, weights_path, config = tiny_model_files(family, num_styles)
    styles = [
        {"name": f"{name}-s{i}", "license": "CC0-1.0", "data_source": "random weights (test)"}
        for i in range(num_styles)
    ]
    return write_pack(
        folder,
        name=name,
        version="1.0.0",
        model_family=family,
        input_size=SIZE,
        styles=styles,
        onnx_path=onnx_path,
        weights_path=weights_path if weights else None,
        model_config=config,
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    return make_pack(tmp_path / "src-pack")


def _manifest(pack: Path) -> dict:
    return json.loads((pack / "style.json").read_text())


def _rewrite(pack: Path, manifest: dict) -> None:
    (pack / "style.json").write_text(json.dumps(manifest))


def _zip(pack: Path, out: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(pack.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(pack).as_posix())
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out


def _nothing_left(data_dir: Path) -> bool:
    root = data_dir / "styles"
    return not root.exists() or not any(root.iterdir())


# -- writing and loading -------------------------------------------------------------------------
def test_write_pack_round_trip(pack_dir: Path) -> None:
    pack = StylePack.load(pack_dir)
    assert (pack.name, pack.model_family, pack.input_size, pack.num_styles) == ("tiny", "twingan", SIZE, 2)
    assert [s.name for s in pack.styles] == ["tiny-s0", "tiny-s1"]
    assert set(pack.files) == {"model.onnx", "weights.safetensors"}
    assert pack.weights_path is not None and pack.onnx_path.is_file()
    assert pack.model_config["channels"] == [8, 16]


def test_load_from_zip_and_top_folder(pack_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in pack_dir.rglob("*"):
            zf.write(path, f"tiny-1.0/{path.relative_to(pack_dir).as_posix()}")
    assert StylePack.load(archive).name == "tiny"


def test_write_pack_refuses_non_empty_folder(pack_dir: Path) -> None:
    with pytest.raises(UserError, match="not empty"):
        make_pack(pack_dir)


# -- install / remove / list ---------------------------------------------------------------------
def test_install_folder_zip_list_remove(data_dir: Path, pack_dir: Path, tmp_path: Path) -> None:
    pack = install_pack(pack_dir)
    assert pack.root == styles_dir() / "tiny"
    assert [p.name for p in installed_packs()] == ["tiny"]
    with pytest.raises(UserError, match="already installed"):
        install_pack(pack_dir)
    assert install_pack(_zip(pack_dir, tmp_path / "tiny.zip"), force=True).name == "tiny"
    assert remove_pack("tiny") == styles_dir() / "tiny"
    assert installed_packs() == []
    with pytest.raises(UserError, match="no installed pack named"):
        remove_pack("tiny")
    with pytest.raises(UserError, match="no installed pack named"):
        remove_pack("../styles")


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/redirect"):  # to a plain-http address that is not local
            self.send_response(302)
            self.send_header("Location", "http://example.com/pack.zip")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_install_from_local_url(data_dir: Path, pack_dir: Path, http_root: tuple[str, Path]) -> None:
    url, root = http_root
    archive = _zip(pack_dir, root / "tiny.zip")
    from animecam.engine.packs import sha256_of

    assert install_pack(f"{url}/tiny.zip", sha256=sha256_of(archive)).name == "tiny"
    remove_pack("tiny")
    with pytest.raises(UserError, match="expected sha256"):
        install_pack(f"{url}/tiny.zip", sha256="0" * 64)
    with pytest.raises(UserError, match="HTTP 404"):
        install_pack(f"{url}/missing.zip")
    with pytest.raises(UserError, match=r"refusing http://example\.com"):
        install_pack(f"{url}/redirect")
    (root / "bad.zip").write_bytes(b"not a zip at all")
    with pytest.raises(UserError, match="not a readable zip"):
        install_pack(f"{url}/bad.zip")
    assert _nothing_left(data_dir) or not any(p.name == "tiny" for p in (data_dir / "styles").iterdir())


def test_download_size_cap(tmp_path: Path, pack_dir: Path, http_root: tuple[str, Path]) -> None:
    from animecam.engine.packs.install import download

    url, root = http_root
    _zip(pack_dir, root / "tiny.zip")
    with pytest.raises(UserError, match="download limit"):
        download(f"{url}/tiny.zip", tmp_path / "x.zip", cap=1000)


@pytest.mark.parametrize("url", ["http://example.com/p.zip", "ftp://127.0.0.1/p.zip", "file:///etc/passwd"])
def test_refuses_insecure_urls(data_dir: Path, url: str) -> None:
    with pytest.raises(UserError, match="https"):
        install_pack(url)


# -- refusals ------------------------------------------------------------------------------------
def _expect_refused(source: Path, match: str, data_dir: Path) -> None:
    with pytest.raises(UserError, match=match) as info:
        install_pack(source)
    assert "\n" not in str(info.value)
    assert _nothing_left(data_dir)


def test_refuses_hash_mismatch(data_dir: Path, pack_dir: Path) -> None:
    data = bytearray((pack_dir / "model.onnx").read_bytes())
    data[-1] ^= 0xFF
    (pack_dir / "model.onnx").write_bytes(bytes(data))
    _expect_refused(pack_dir, "sha256", data_dir)


def test_refuses_size_mismatch_missing_and_unknown_files(data_dir: Path, pack_dir: Path) -> None:
    (pack_dir / "notes.txt").write_text("hello")
    _expect_refused(pack_dir, "not listed", data_dir)
    (pack_dir / "notes.txt").unlink()
    with (pack_dir / "weights.safetensors").open("ab") as handle:
        handle.write(b"x")
    _expect_refused(pack_dir, "bytes, style.json says", data_dir)
    (pack_dir / "weights.safetensors").unlink()
    _expect_refused(pack_dir, "missing", data_dir)


@pytest.mark.parametrize(
    "payload",
    [
        b"\x80\x04\x95" + b"\x00" * 40,  # pickle protocol 4
        b"PK\x03\x04" + b"\x00" * 40,  # torch.save zip
        b"\x93NUMPY" + b"\x00" * 40,  # .npy
    ],
)
def test_refuses_pickles_whatever_their_name(data_dir: Path, pack_dir: Path, payload: bytes) -> None:
    (pack_dir / "weights.safetensors").write_bytes(payload)
    manifest = _manifest(pack_dir)
    from animecam.engine.packs import sha256_of

    manifest["files"]["weights.safetensors"] = {
        "sha256": sha256_of(pack_dir / "weights.safetensors"),
        "size": len(payload),
    }
    _rewrite(pack_dir, manifest)
    _expect_refused(pack_dir, "pickle|zip archive|NumPy", data_dir)


def test_refuses_forbidden_file_types(data_dir: Path, pack_dir: Path) -> None:
    manifest = _manifest(pack_dir)
    (pack_dir / "model.pt").write_bytes(b"weights")
    manifest["files"]["model.pt"] = {"sha256": "0" * 64, "size": 7}
    _rewrite(pack_dir, manifest)
    _expect_refused(pack_dir, "packs may hold only", data_dir)


def test_refuses_links(data_dir: Path, pack_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", pack_dir / "notes.txt")
    _expect_refused(pack_dir, "link", data_dir)


def _bad_zip(tmp_path: Path, pack_dir: Path, entry: zipfile.ZipInfo | str, data: bytes = b"x") -> Path:
    archive = _zip(pack_dir, tmp_path / "bad.zip")
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(entry, data)
    return archive


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt", "C:/evil.txt", "a\\..\\evil"]
)
def test_refuses_escaping_zip_entries(data_dir: Path, pack_dir: Path, tmp_path: Path, name: str) -> None:
    _expect_refused(_bad_zip(tmp_path, pack_dir, name), "outside the pack", data_dir)
    assert not (tmp_path / "evil.txt").exists() and not (data_dir / "evil.txt").exists()


def test_refuses_zip_symlink_entry(data_dir: Path, pack_dir: Path, tmp_path: Path) -> None:
    link = zipfile.ZipInfo("notes.txt")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    _expect_refused(_bad_zip(tmp_path, pack_dir, link, b"/etc/passwd"), "is a link", data_dir)


def test_refuses_zip_bomb(
    data_dir: Path, pack_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import animecam.engine.packs.archive as pack_install

    monkeypatch.setattr(pack_install, "MAX_PACK_BYTES", 1 << 20)
    bomb = _bad_zip(
        tmp_path, pack_dir, "previews/bomb.png", b"\0" * (4 << 20)
    )  # 4 MiB of zeros, ~4 KiB zipped
    assert bomb.stat().st_size < 200_000
    _expect_refused(bomb, "unpacks to", data_dir)


def test_zip_entry_larger_than_declared_is_cut(tmp_path: Path, pack_dir: Path) -> None:
    """A header that understates an entry's size: extraction stops at the declared size (zipfile then
    reports the bad CRC), so actual bytes never exceed what was checked."""
    from animecam.engine.packs.install import extract_zip

    archive = _bad_zip(tmp_path, pack_dir, "previews/x.png", b"\0" * 100_000)
    data = bytearray(archive.read_bytes())
    index = data.rfind(b"previews/x.png")  # the central directory record; its size fields precede the name
    header = index - 46
    data[header + 24 : header + 28] = (10).to_bytes(4, "little")  # uncompressed size -> 10
    archive.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"not a readable zip|limit"):
        extract_zip(archive, tmp_path / "out")
    written = tmp_path / "out" / "previews" / "x.png"
    assert not written.exists() or written.stat().st_size <= 10


def test_cross_field_refusals(data_dir: Path, pack_dir: Path) -> None:
    manifest = _manifest(pack_dir)
    manifest["styles"][1]["index"] = 5
    _rewrite(pack_dir, manifest)
    _expect_refused(pack_dir, "indices", data_dir)
    manifest["styles"][1]["index"] = 1
    manifest["styles"][0]["preview"] = "previews/none.png"
    _rewrite(pack_dir, manifest)
    _expect_refused(pack_dir, "refers to", data_dir)


def test_broken_installed_pack_is_skipped_in_listing(data_dir: Path, pack_dir: Path) -> None:
    install_pack(pack_dir)
    shutil.copytree(pack_dir, styles_dir() / "broken")
    (styles_dir() / "broken" / "style.json").write_bytes(io.BytesIO(b"{").read())
    assert [p.name for p in installed_packs()] == ["tiny"]
