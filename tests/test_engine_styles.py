"""The style catalogue and PackStyle: listing, loading, pixel conversions, free style switching."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from test_packs import SIZE, make_pack

import animecam.engine.packs.install
import animecam.engine.styles
from animecam.core.errors import UserError
from animecam.core.style import MultiStyle, Style, StyleInfo
from animecam.engine.packs import install_pack
from animecam.engine.styles import DEFAULT_STYLE, PackStyle, list_styles, load_style

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(animecam.engine.packs.install, "BUILTIN_PACKS_DIR", tmp_path / "bundled")
    monkeypatch.setattr(animecam.engine.styles, "_ENGINES", {})
    return tmp_path / "data"


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    return install_pack(make_pack(tmp_path / "src")).root


def crops(seed: int, n: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, SIZE, SIZE, 3), dtype=np.uint8)


def test_builtins_and_unknown_style() -> None:
    assert DEFAULT_STYLE == "anime"
    infos = list_styles()
    assert StyleInfo("anime", "built-in", 256, "numpy") in infos
    assert isinstance(load_style("anime"), Style)
    with pytest.raises(UserError, match=r"^unknown style 'x': run 'animecam styles' to list them$"):
        load_style("x")
    with pytest.raises(UserError, match="unknown backend"):
        load_style("anime", backend="nope")


def test_installed_and_bundled_packs_are_listed(installed: Path, tmp_path: Path) -> None:
    make_pack(tmp_path / "bundled" / "extra", name="extra")
    names = {info.name: info for info in list_styles()}
    assert names["tiny-s0"] == StyleInfo("tiny-s0", str(installed), SIZE, "onnxruntime")
    assert names["extra-s1"].source == str(tmp_path / "bundled" / "extra")
    assert names["tiny-s0"].backend == "onnxruntime"
    assert {i.backend for i in list_styles(backend="torch") if i.source != "built-in"} == {"torch"}


def test_clashing_style_names_are_qualified(tmp_path: Path) -> None:
    install_pack(make_pack(tmp_path / "anime", name="anime"))  # styles anime-s0/anime-s1: no clash
    from test_packs import tiny_model_files

    from animecam.engine.packs import write_pack

    onnx_path, _, _ = tiny_model_files()
    write_pack(
        tmp_path / "clash",
        name="clash",
        version="1",
        model_family="twingan",
        input_size=SIZE,
        styles=["anime", "own"],
        onnx_path=onnx_path,
    )
    install_pack(tmp_path / "clash")
    names = [info.name for info in list_styles()]
    assert names.count("anime") == 1 and "clash/anime" in names and "own" in names
    style = load_style("own")
    assert style.style_names == ("clash/anime", "own") and style.name == "own"


ODD_NORMALISATION = {"mean": [0.4, 0.5, 0.6], "std": [0.2, 0.3, 0.45], "channel_order": "BGR"}


@pytest.mark.parametrize("normalization", [None, ODD_NORMALISATION])
def test_pack_style_matches_the_model(tmp_path: Path, normalization: dict | None) -> None:
    """Pixels -> model input -> pixels, checked by hand: channel order, mean and std per channel."""
    from safetensors.torch import load_file
    from test_packs import tiny_model_files

    from animecam.engine.packs import write_pack
    from animecam.training.models import build_generator

    onnx_path, weights_path, config = tiny_model_files()
    folder = write_pack(tmp_path / "src", name="tiny", version="1", model_family="twingan", input_size=SIZE,
                        styles=["tiny-s0", "tiny-s1"], onnx_path=onnx_path, weights_path=weights_path,
                        model_config=config, normalization=normalization)
    install_pack(folder)
    style = load_style("tiny-s1")
    assert isinstance(style, PackStyle) and isinstance(style, MultiStyle)
    assert (style.name, style.input_size, style.style_names) == ("tiny-s1", SIZE, ("tiny-s0", "tiny-s1"))
    generator = build_generator("twingan", **config).eval()
    generator.load_state_dict(load_file(str(weights_path)))
    norm = normalization or {"mean": [0.5] * 3, "std": [0.5] * 3, "channel_order": "RGB"}
    mean, std = (np.array(norm[k], np.float32).reshape(1, 3, 1, 1) for k in ("mean", "std"))
    batch = crops(0, 3)
    ordered = batch[..., ::-1] if norm["channel_order"] == "RGB" else batch
    model_in = (ordered.transpose(0, 3, 1, 2).astype(np.float32) / 255.0 - mean) / std
    with torch.no_grad():
        expected = generator(torch.from_numpy(model_in), torch.tensor([[0.0, 1.0]] * 3)).numpy()
    pixels = np.clip((expected * std + mean) * 255.0 + 0.5, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
    expected_bgr = pixels[..., ::-1] if norm["channel_order"] == "RGB" else pixels
    result = style.stylize(batch)
    assert result.shape == batch.shape and result.dtype == np.uint8
    assert np.abs(result.astype(int) - expected_bgr.astype(int)).max() <= 1  # rounding at .5 only
    with pytest.raises(ValueError, match="uint8 crops"):
        style.stylize(batch.astype(np.float32))


def test_styles_of_one_pack_share_one_engine(installed: Path) -> None:
    first, second = load_style("tiny-s0"), load_style("tiny-s1")
    assert first._engine is second._engine
    batch = crops(1)
    out0, out1 = first.stylize(batch), second.stylize(batch)
    assert not np.array_equal(out0, out1)
    first.set_style(1)
    assert first.name == "tiny-s1" and np.array_equal(first.stylize(batch), out1)
    first.set_style_mix([1, 1])
    mixed = first.stylize(batch)
    assert not np.array_equal(mixed, out0) and not np.array_equal(mixed, out1)
    np.testing.assert_allclose(first.style_weights, [0.5, 0.5])
    for bad in ([1.0], [-1.0, 2.0], [0.0, 0.0], [float("nan"), 1.0]):
        with pytest.raises(UserError, match="style mix"):
            first.set_style_mix(bad)
    with pytest.raises(UserError, match="out of range"):
        first.set_style(2)


def test_switching_storm_while_running(installed: Path) -> None:
    """Switching from another thread never blocks, never breaks a frame: each output is one of the two
    pure styles, never a torn mix."""
    style = load_style("tiny-s0")
    batch = crops(2, 1)
    pure = [style.stylize(batch)]
    style.set_style(1)
    pure.append(style.stylize(batch))
    stop = threading.Event()
    switches = 0

    def switcher() -> None:
        nonlocal switches
        while not stop.is_set():
            style.set_style(switches % 2)
            switches += 1

    thread = threading.Thread(target=switcher)
    thread.start()
    try:
        outputs = [style.stylize(batch) for _ in range(40)]
    finally:
        stop.set()
        thread.join()
    assert switches > 40
    assert all(any(np.array_equal(out, p) for p in pure) for out in outputs)
