"""Installing packs as a newcomer meets it (issue 13): errors that name the user's own folder or zip
and the file inside, a damaged zip called what it is, a warning for a pack that barely trained, and
one name per thing (a pack's name loads its style; `styles` shows both where they differ)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from test_packs import SIZE, tiny_model_files

from animecam.cli import main
from animecam.core.errors import UserError
from animecam.engine.packs import install_pack, write_pack
from animecam.engine.styles import load_style


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _pack(folder: Path, name: str = "run", style: str = "anime", steps: int | None = None) -> Path:
    onnx_path, weights_path, config = tiny_model_files("twingan", 1)
    return write_pack(
        folder, name=name, version="1.0.0", model_family="twingan", input_size=SIZE,
        styles=[{"name": style, "license": "CC0-1.0", "data_source": "random weights (test)"}],
        onnx_path=onnx_path, weights_path=weights_path, model_config=config,
        metadata=None if steps is None else {"steps": steps},
    )


def _zip(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(folder).as_posix())
    return out


def test_garbage_style_json_names_the_users_folder_or_zip(data_dir: Path, tmp_path: Path) -> None:
    pack = _pack(tmp_path / "my-pack")
    (pack / "style.json").write_text("{ not json")
    with pytest.raises(UserError) as folder_error:
        install_pack(pack)
    assert str(pack) in str(folder_error.value) and "style.json" in str(folder_error.value)
    assert ".install-" not in str(folder_error.value)
    archive = _zip(pack, tmp_path / "my-pack.zip")
    with pytest.raises(UserError) as zip_error:
        install_pack(archive)
    assert str(archive) in str(zip_error.value) and ".install-" not in str(zip_error.value)


def test_a_damaged_zip_is_called_not_a_valid_zip(data_dir: Path, tmp_path: Path) -> None:
    archive = _zip(_pack(tmp_path / "pack"), tmp_path / "pack.zip")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])  # an interrupted download
    with pytest.raises(UserError, match=r"cut\.zip is not a valid zip archive \(damaged"):
        install_pack(cut)
    renamed = tmp_path / "download"
    shutil.copy(cut, renamed)  # no .zip suffix, but it starts like one
    with pytest.raises(UserError, match="is not a valid zip archive"):
        install_pack(renamed)


@pytest.mark.parametrize(("steps", "warned"), [(4, True), (50_000, False), (None, False)])
def test_install_warns_when_the_pack_barely_trained(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], steps: int | None, warned: bool
) -> None:
    pack = _pack(tmp_path / "pack", steps=steps)
    assert main(["styles", "install", str(pack)]) == 0
    err = capsys.readouterr().err
    assert ("warning: run trained for only 4 steps: expect a blur or a grey oval" in err) == warned


def test_a_pack_name_loads_its_style_and_styles_shows_both(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Exported from run folder "run" with the dataset's style name "anime" (a built-in look's name).
    install_pack(_pack(tmp_path / "pack", name="run", style="anime"))
    style = load_style("run", backend="onnxruntime")  # what 'styles install' printed
    assert style.name == "run/anime"
    assert main(["styles"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert any(row.startswith("run/anime (pack run)") for row in rows)
    assert any(row.split()[0] == "anime" and "(pack" not in row for row in rows)  # the built-in look
    assert main(["styles", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert all(set(row) == {"name", "source", "size", "backend"} for row in listed)
