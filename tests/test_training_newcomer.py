"""Training as a newcomer meets it (issue 13): presets listed with nothing else, --out asked for in
words, no more loader processes than cores, and a warning when a dataset is smaller than the run."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_cli import _one_error_line

from animecam.cli import main

pytest.importorskip("torch")

from animecam.training.data import EpochBatches, usable_cores
from animecam.training.run import size_warning


def test_help_presets_needs_no_other_argument_and_no_torch(monkeypatch, capsys) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    assert main(["train", "run", "--help-presets"]) == 0
    out = capsys.readouterr().out
    assert "cpu-minute" in out and "stops after 1 min" in out and "cpu-tiny" in out


def test_train_run_without_out_says_so(capsys) -> None:
    line = _one_error_line(capsys, main(["train", "run", "--dataset", "ds"]))
    assert "--out RUN" in line


def test_loader_processes_never_exceed_the_cores() -> None:
    batches = EpochBatches(list(range(8)), batch_size=2, workers=64, rank=0, world=1, seed=0)  # type: ignore[arg-type]
    assert batches.workers == usable_cores() < 64
    assert EpochBatches(list(range(8)), 2, 0, 0, 1, 0).workers == 0  # type: ignore[arg-type]


def test_size_warning_names_both_sizes_and_the_fix() -> None:
    warning = size_warning(64, 256, "ds")
    assert warning is not None and "made at 64 px" in warning and "trains at 256 px" in warning
    assert "animecam train data --size 256" in warning
    assert size_warning(256, 256, "ds") is None and size_warning(None, 256, "ds") is None


def test_a_run_larger_than_its_dataset_warns(tmp_path: Path, capsys) -> None:
    dataset = tmp_path / "ds"
    rng = np.random.default_rng(0)
    for split in ("trainA", "trainB", "testA", "testB"):
        (dataset / split).mkdir(parents=True)
        for i in range(4):
            cv2.imwrite(str(dataset / split / f"{i}.png"), rng.integers(0, 256, (16, 16, 3), np.uint8))
    (dataset / "manifest.json").write_text(json.dumps({"format": "animecam-dataset", "size": 16}))
    args = ["train", "run", "--dataset", str(dataset), "--preset", "cpu-tiny", "--steps", "1"]
    assert main([*args, "--out", str(tmp_path / "run")]) == 0  # cpu-tiny trains at 32 px
    err = capsys.readouterr().err
    assert "warning: the dataset" in err and "made at 16 px but this run trains at 32 px" in err
