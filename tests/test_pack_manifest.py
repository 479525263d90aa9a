"""The style.json parser against hostile JSON: every refusal is one line, any bytes either parse or refuse."""

from __future__ import annotations

import functools
import json

import pytest

from animecam.core.errors import UserError
from animecam.engine.packs.schema import MAX_MANIFEST_BYTES, parse_manifest

GOOD = {
    "schema_version": 1,
    "name": "p",
    "version": "1",
    "model_family": "twingan",
    "input_size": 64,
    "normalization": {"mean": [0.5] * 3, "std": [0.5] * 3, "channel_order": "RGB"},
    "styles": [{"name": "a", "index": 0, "license": "CC0", "data_source": "x"}],
    "files": {"model.onnx": {"sha256": "a" * 64, "size": 10}},
}


def _with(**changes: object) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\xff\xfe", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (
            json.dumps(
                {**GOOD, "training": {"a": functools.reduce(lambda v, _: [v], range(20), 1)}}
            ).encode(),
            "nested",
        ),
        (b" " * (MAX_MANIFEST_BYTES + 1), "over the"),
        (b'{"name": "a", "name": "b"}', "duplicate key"),
        (_with(input_size=float("nan")), "not valid JSON|NaN"),
        (b'{"input_size": 1' + b"0" * 5000 + b"}", "not valid JSON"),
        (_with(name="../../etc"), "name"),
        (_with(input_size="256"), "input_size"),
        (_with(input_size=10**9), "input_size"),
        (_with(model_family="pickle"), "model_family"),
        (_with(styles=[]), "styles"),
        (_with(files={"../x.onnx": {"sha256": "a" * 64, "size": 1}}), "files"),
        (_with(files={"model.onnx": {"sha256": "a" * 64, "size": -1}}), "size"),
        (_with(unexpected=1), "unexpected|Additional"),
        (b"[]", "top level"),
        (b"null", "top level"),
    ],
)
def test_manifest_parser_refuses(data: bytes, match: str) -> None:
    with pytest.raises(UserError, match=match) as info:
        parse_manifest(data, "pack")
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


def test_manifest_parser_fuzz() -> None:
    """Any bytes or JSON value either parse to a valid manifest or raise a one-line UserError."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=30,
    )
    mutated = st.dictionaries(st.sampled_from(sorted(GOOD)), json_values, max_size=4).map(
        lambda d: {**GOOD, **d}
    )

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(
        st.binary(max_size=200)
        | json_values.map(lambda v: json.dumps(v).encode())
        | mutated.map(lambda v: json.dumps(v).encode())
    )
    def check(data: bytes) -> None:
        try:
            parse_manifest(data, "fuzz")
        except UserError as err:
            assert "\n" not in str(err)

    check()
