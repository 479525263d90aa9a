"""`styles` (list, --json, install, remove) and `engines build` through an argparse parser of our own,
the way the animecam.commands entry point registers them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from test_packs import make_pack

from animecam.core.errors import UserError
from animecam.engine.cli import add_commands


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="animecam")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def styles_json(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    capsys.readouterr()
    assert run("styles", "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_styles_lists_builtins_with_exact_keys(capsys: pytest.CaptureFixture[str]) -> None:
    rows = styles_json(capsys)
    assert all(list(row) == ["name", "source", "size", "backend"] for row in rows)
    assert {"name": "anime", "source": "built-in", "size": 256, "backend": "numpy"} in rows
    assert run("styles") == 0
    table = capsys.readouterr().out
    assert "anime" in table and "built-in" in table


def test_install_list_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    pack = make_pack(tmp_path / "tiny")
    assert run("styles", "install", str(pack)) == 0
    assert "installed tiny 1.0.0" in capsys.readouterr().out
    rows = {row["name"]: row for row in styles_json(capsys)}
    assert rows["tiny-s0"]["backend"] == "onnxruntime" and rows["tiny-s1"]["size"] == 32
    assert rows["tiny-s0"]["source"] == str(data_dir / "styles" / "tiny")
    with pytest.raises(UserError, match="already installed"):
        run("styles", "install", str(pack))
    assert run("styles", "remove", "tiny") == 0
    assert "tiny-s0" not in {row["name"] for row in styles_json(capsys)}
    with pytest.raises(UserError, match="no installed pack"):
        run("styles", "remove", "tiny")


def test_install_missing_source_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a pack folder"):
        run("styles", "install", str(tmp_path / "nope"))


def test_engines_build_without_tensorrt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from animecam.engine.backends import BACKENDS

    # As on a machine without TensorRT, also where a GPU and TensorRT are installed.
    monkeypatch.setattr(BACKENDS["tensorrt"], "available", classmethod(lambda cls: False))
    pack = make_pack(tmp_path / "tiny")
    with pytest.raises(UserError, match="TensorRT is not available"):
        run("engines", "build", str(pack))
    with pytest.raises(UserError, match="no pack named"):
        run("engines", "build", "nope")


def test_registered_into_the_main_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Through animecam.cli.main: a user mistake is one `error:` line and exit code 2."""
    from animecam.cli import main  # the dispatcher and every package's commands exist: no skip
    assert main(["styles", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "anime"
    assert main(["styles", "remove", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no installed pack") and err.count("\n") == 1
