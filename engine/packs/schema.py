"""The style pack manifest (`style.json`): its JSON Schema and a parser that survives hostile input.

The schema is the published contract (`python -m animecam.engine.packs.schema` prints it); `parse_manifest`
adds what JSON Schema cannot say: a size cap before parsing, no duplicate keys, no NaN/Infinity, a
nesting cap, and one-line errors. Cross-field rules (style indices 0..K-1, previews listed in
`files`) are checked by `animecam.engine.packs.StylePack`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import jsonschema

from animecam.core.errors import UserError
from animecam.engine.nets import NETS

SCHEMA_VERSION = 1
MODEL_FAMILIES = tuple(NETS)
MAX_MANIFEST_BYTES = 1 << 20
MAX_DEPTH = 16
MAX_FILE_BYTES = 2 << 30  # ONNX protobufs cannot exceed 2 GiB without external data, which packs forbid
MAX_STYLES = 64
MAX_PACK_BYTES = 4 << 30
MANIFEST = "style.json"  # the manifest's file name inside a pack

SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# A relative path inside the pack: '/'-separated, no empty, '.' or '..' parts, no backslashes.
RELPATH = r"^(?!.*(^|/)\.{1,2}(/|$))(?!.*//)[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$"

_TEXT = {"type": "string", "minLength": 1, "maxLength": 1000}
_TRIPLE = {"type": "array", "minItems": 3, "maxItems": 3}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/animecam/animecam/engine/style.schema.json",
    "title": "animecam style pack manifest (style.json)",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "schema_version",
        "name",
        "version",
        "model_family",
        "input_size",
        "normalization",
        "styles",
        "files",
    ],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "name": {"type": "string", "pattern": SLUG, "description": "install folder name"},
        "version": {"type": "string", "pattern": r"^[0-9A-Za-z][0-9A-Za-z.+-]{0,31}$"},
        "model_family": {"enum": list(MODEL_FAMILIES)},
        "input_size": {"type": "integer", "minimum": 32, "maximum": 1024},
        "normalization": {
            "type": "object",
            "additionalProperties": False,
            "required": ["mean", "std", "channel_order"],
            "properties": {
                "mean": {**_TRIPLE, "items": {"type": "number", "minimum": -10, "maximum": 10}},
                "std": {**_TRIPLE, "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 10}},
                "channel_order": {"enum": ["RGB", "BGR"]},
            },
        },
        "styles": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_STYLES,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "index", "license", "data_source"],
                "properties": {
                    "name": {"type": "string", "pattern": SLUG},
                    "index": {"type": "integer", "minimum": 0, "maximum": MAX_STYLES - 1},
                    "preview": {"anyOf": [{"type": "string", "pattern": RELPATH}, {"type": "null"}]},
                    "license": {**_TEXT, "maxLength": 200},
                    "data_source": _TEXT,
                },
            },
        },
        "files": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 256,
            "propertyNames": {"pattern": RELPATH},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["sha256", "size"],
                "properties": {
                    "sha256": {"type": "string", "pattern": r"^[0-9a-f]{64}$"},
                    "size": {"type": "integer", "minimum": 1, "maximum": MAX_FILE_BYTES},
                },
            },
        },
        "model_config": {"type": "object", "maxProperties": 64, "description": "generator kwargs (torch)"},
        "training": {"type": "object", "maxProperties": 64, "description": "free-form training metadata"},
        "trt_plans": {
            "type": "object",
            "maxProperties": 32,
            "description": "prebuilt TensorRT plans, used only when the user opts in",
            "propertyNames": {"pattern": r"^[A-Za-z0-9._-]{1,200}$"},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["file", "gpu", "tensorrt", "precision"],
                "properties": {
                    "file": {"type": "string", "pattern": RELPATH},
                    "gpu": {**_TEXT, "maxLength": 200},
                    "tensorrt": {"type": "string", "pattern": r"^[0-9][0-9.]{0,31}$"},
                    "precision": {"enum": ["fp16", "fp32"]},
                },
            },
        },
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key[:40]!r}")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of parsed JSON, stopping early once past `limit` (iterative: no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_manifest(data: bytes, where: str) -> dict[str, Any]:
    """The validated manifest from the raw bytes of a `style.json`; UserError naming `where` otherwise."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise UserError(f"{where}: style.json is {len(data)} bytes, over the {MAX_MANIFEST_BYTES} limit")
    try:
        manifest = json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant
        )
    except RecursionError:
        raise UserError(
            f"{where}: style.json is nested too deeply; it is not a style pack manifest"
        ) from None
    except (UnicodeDecodeError, ValueError) as err:
        raise UserError(f"{where}: style.json is not valid JSON ({_short(str(err), 100)})") from None
    if _depth(manifest, MAX_DEPTH) > MAX_DEPTH:
        raise UserError(f"{where}: style.json is nested more than {MAX_DEPTH} levels deep")
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(manifest))
    if error is not None:
        at = "/".join(str(part) for part in error.absolute_path) or "top level"
        raise UserError(f"{where}: style.json is invalid at {_short(at, 60)}: {_short(error.message)}")
    return manifest


if __name__ == "__main__":
    json.dump(SCHEMA, sys.stdout, indent=2)
    print()
