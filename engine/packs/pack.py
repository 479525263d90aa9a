"""Style packs: the folder (or .zip) users install and share: `style.json`, `model.onnx`, optionally
`weights.safetensors`, preview images and prebuilt TensorRT plans.

Loading verifies everything before any model file is handed to a runtime: the manifest against its
schema (schema.py), every file's size and sha256, no file the manifest does not list,
no links, and no file that looks like a pickle, a zip (torch.save's format) or a .npy. Installing
(install.py) stages the pack in a temporary folder inside the data folder and renames
it into place only after it verified. Nothing is ever unpickled; SECURITY.md has the full list.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animecam.core.errors import UserError
from animecam.engine.nets import net_spec
from animecam.engine.packs.archive import extract_to_private_dir
from animecam.engine.packs.schema import (
    MANIFEST,
    MAX_MANIFEST_BYTES,
    MAX_PACK_BYTES,
    SCHEMA_VERSION,
    parse_manifest,
)

MODEL_FILE = "model.onnx"
WEIGHTS_FILE = "weights.safetensors"
DEFAULT_NORMALIZATION: dict[str, Any] = {"mean": [0.5] * 3, "std": [0.5] * 3, "channel_order": "RGB"}
# File types a pack may hold; anything else (.pt, .pth, .ckpt, .pkl, .npy, .bin, scripts) is refused.
ALLOWED_SUFFIXES = frozenset(
    {".onnx", ".safetensors", ".png", ".jpg", ".jpeg", ".webp", ".txt", ".md", ".plan"}
)
_CHUNK = 1 << 20


def data_dir() -> Path:
    """animecam's per-user data folder (env ANIMECAM_DATA_DIR overrides it, e.g. in tests)."""
    override = os.environ.get("ANIMECAM_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("animecam"))


def styles_dir() -> Path:
    """Where installed packs live, one folder per pack named after the pack."""
    return data_dir() / "styles"


def plans_dir() -> Path:
    """Where locally built TensorRT plans live (outside the packs, so pack folders stay verifiable)."""
    return data_dir() / "plans"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _content_problem(path: Path, head: bytes, size: int) -> str | None:
    """Why the first bytes of a pack file are unacceptable, or None. Pickles are refused whatever their
    name: protocol 2+ starts with 0x80 and the protocol number; torch.save writes a zip; .npy may hold one."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "is a pickle"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "is a zip archive (torch.save's format)"
    if head.startswith(b"\x93NUMPY"):
        return "is a NumPy array file"
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        header_len = struct.unpack("<Q", head[:8])[0] if len(head) >= 8 else -1
        if not (0 < header_len <= size - 8 and head[8:9] == b"{"):
            return "is not a safetensors file"
    elif suffix == ".png" and not head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "is not a PNG image"
    elif suffix in (".jpg", ".jpeg") and not head.startswith(b"\xff\xd8\xff"):
        return "is not a JPEG image"
    elif suffix == ".webp" and not (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
        return "is not a WebP image"
    return None


@dataclass(frozen=True)
class StyleEntry:
    """One style inside a pack; `index` is its position in the model's `style` input."""

    name: str
    index: int
    license: str
    data_source: str
    preview: str | None = None


class StylePack:
    """A verified pack folder. Use `StylePack.load(path)`; a .zip is extracted to a private temp folder."""

    def __init__(self, root: Path, manifest: dict[str, Any]) -> None:
        self.root = root
        self.manifest = manifest
        self.name: str = manifest["name"]
        self.version: str = manifest["version"]
        self.model_family: str = manifest["model_family"]
        self.input_size = int(manifest["input_size"])
        norm = manifest["normalization"]
        self.mean = tuple(float(v) for v in norm["mean"])
        self.std = tuple(float(v) for v in norm["std"])
        self.channel_order: str = norm["channel_order"]
        self.styles = tuple(
            StyleEntry(s["name"], int(s["index"]), s["license"], s["data_source"], s.get("preview"))
            for s in sorted(manifest["styles"], key=lambda s: s["index"])
        )
        self.files: dict[str, dict[str, Any]] = manifest["files"]
        self.model_config: dict[str, Any] = manifest.get("model_config", {})
        self.trt_plans: dict[str, dict[str, str]] = manifest.get("trt_plans", {})
        self._check_references()

    @classmethod
    def load(cls, path: str | Path, *, verify_hashes: bool = True) -> StylePack:
        """Load and verify a pack folder or .zip. `verify_hashes=False` still checks the manifest, the
        file list, sizes and file types but skips hashing (for listing many packs quickly)."""
        path = Path(path)
        if path.is_file():
            path = extract_to_private_dir(path)
        manifest_path = path / MANIFEST
        if not path.is_dir() or not manifest_path.is_file() or manifest_path.is_symlink():
            raise UserError(f"{path} is not a style pack: it has no {MANIFEST}; pass a pack folder or .zip")
        with manifest_path.open("rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)  # one byte over: oversized is reported
        pack = cls(path, parse_manifest(data, str(path)))
        pack.verify(hashes=verify_hashes)
        return pack

    # -- consistency -------------------------------------------------------------------------
    def _check_references(self) -> None:
        where = f"{self.root}: style.json"
        indices = [s.index for s in self.styles]
        if indices != list(range(len(indices))):
            raise UserError(f"{where} style indices must be 0..{len(indices) - 1} once each, got {indices}")
        names = [s.name for s in self.styles]
        if len(set(names)) != len(names):
            raise UserError(f"{where} names a style twice")
        if MODEL_FILE not in self.files:
            raise UserError(f"{where} does not list {MODEL_FILE}; every pack needs its ONNX model")
        referenced = [s.preview for s in self.styles if s.preview] + [
            p["file"] for p in self.trt_plans.values()
        ]
        for relpath in referenced:
            if relpath not in self.files:
                raise UserError(f"{where} refers to {relpath}, which its files list does not contain")
        for relpath in self.files:
            if relpath == MANIFEST or Path(relpath).suffix.lower() not in ALLOWED_SUFFIXES:
                raise UserError(
                    f"{where} lists {relpath}: packs may hold only {', '.join(sorted(ALLOWED_SUFFIXES))}"
                )
        if not net_spec(self.model_family).takes_style and len(self.styles) != 1:
            raise UserError(f"{where}: a {self.model_family} pack holds exactly one style")
        total = sum(int(entry["size"]) for entry in self.files.values())
        if total > MAX_PACK_BYTES:
            raise UserError(f"{where} declares {total} bytes, over the {MAX_PACK_BYTES} byte pack limit")

    def verify(self, *, hashes: bool = True) -> None:
        """Refuse links, unknown or missing files, wrong sizes, pickles and (with hashes) wrong sha256."""
        seen: set[str] = set()
        for folder, dirnames, filenames in os.walk(self.root):
            for entry in dirnames + filenames:
                full = Path(folder, entry)
                if full.is_symlink():
                    raise UserError(
                        f"{self.root}: {full.relative_to(self.root)} is a link; packs may not hold links"
                    )
            for filename in filenames:
                relpath = Path(folder, filename).relative_to(self.root).as_posix()
                if relpath != MANIFEST and relpath not in self.files:
                    raise UserError(
                        f"{self.root}: {relpath} is not listed in style.json; remove it or list it"
                    )
                seen.add(relpath)
        for relpath, expected in self.files.items():
            if relpath not in seen:
                raise UserError(f"{self.root}: {relpath} is listed in style.json but missing")
            self._verify_file(relpath, int(expected["size"]), expected["sha256"] if hashes else None)

    def _verify_file(self, relpath: str, size: int, sha256: str | None) -> None:
        path = self.root / relpath
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{self.root}: {relpath} is not a regular file")
        if info.st_size != size:
            raise UserError(f"{self.root}: {relpath} is {info.st_size} bytes, style.json says {size}")
        with path.open("rb") as handle:
            head = handle.read(16)
        problem = _content_problem(path, head, size)
        if problem:
            raise UserError(f"{self.root}: {relpath} {problem}; packs hold ONNX, safetensors and images only")
        if sha256 is not None and sha256_of(path) != sha256:
            raise UserError(
                f"{self.root}: {relpath} does not match its sha256 in style.json (corrupt or altered)"
            )

    # -- paths -------------------------------------------------------------------------------
    @property
    def onnx_path(self) -> Path:
        return self.root / MODEL_FILE

    @property
    def weights_path(self) -> Path | None:
        return self.root / WEIGHTS_FILE if WEIGHTS_FILE in self.files else None

    @property
    def num_styles(self) -> int:
        return len(self.styles)

    @property
    def model_id(self) -> str:
        """Identifies the exact network (name + model hash): keys engine caches and TensorRT plans."""
        return f"{self.name}-{self.files[MODEL_FILE]['sha256'][:16]}"

    def __repr__(self) -> str:
        return f"StylePack({self.name!r} {self.version}, {self.model_family}, {self.root})"


def _style_record(style: str | Mapping[str, Any], index: int) -> dict[str, Any]:
    fields = {"name": style} if isinstance(style, str) else dict(style)
    return {
        "name": fields["name"],
        "index": index,
        "license": fields.get("license", "unspecified"),
        "data_source": fields.get("data_source", "unspecified"),
        "preview": fields.get("preview"),
    }


def _copy_onnx(src: Path, dst: Path) -> None:
    """Copy the model as one self-contained file: torch's exporter may leave weights in a side file
    (`model.onnx.data`), which packs forbid, so those are folded back in (needs `onnx`, training-side)."""
    if not Path(f"{src}.data").exists():
        shutil.copyfile(src, dst)
        return
    import onnx

    onnx.save_model(onnx.load(str(src)), str(dst), save_as_external_data=False)


def write_pack(
    out_dir: str | Path,
    *,
    name: str,
    version: str,
    model_family: str,
    input_size: int,
    styles: Sequence[str | Mapping[str, Any]],
    onnx_path: str | Path,
    weights_path: str | Path | None = None,
    previews: Mapping[str, str | Path] | None = None,
    model_config: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    normalization: Mapping[str, Any] | None = None,
) -> Path:
    """Write a verified pack folder and return it. `styles` are names or dicts with `name`, `license`,
    `data_source`, in the order of the model's `style` input; `previews` maps style name -> image file."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} is not empty; choose a new folder for the style pack")
    out.mkdir(parents=True, exist_ok=True)
    _copy_onnx(Path(onnx_path), out / MODEL_FILE)
    if weights_path is not None:
        shutil.copyfile(weights_path, out / WEIGHTS_FILE)
    records = [_style_record(style, index) for index, style in enumerate(styles)]
    for record in records:
        image = (previews or {}).get(record["name"])
        if image is not None:
            relpath = f"previews/{record['name']}{Path(image).suffix.lower()}"
            (out / "previews").mkdir(exist_ok=True)
            shutil.copyfile(image, out / relpath)
            record["preview"] = relpath
        if record["preview"] is None:
            del record["preview"]
    files = {
        path.relative_to(out).as_posix(): {"sha256": sha256_of(path), "size": path.stat().st_size}
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "version": version,
        "model_family": model_family,
        "input_size": int(input_size),
        "normalization": dict(normalization or DEFAULT_NORMALIZATION),
        "styles": records,
        "files": files,
    }
    if model_config is not None:
        manifest["model_config"] = dict(model_config)
    if metadata is not None:
        manifest["training"] = dict(metadata)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    StylePack.load(out)
    return out
