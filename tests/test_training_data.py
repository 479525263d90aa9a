"""training/data.py: dataset preparation (faces, duplicates, unreadable files, splits, selfie2anime
layout) and the unpaired Dataset / loader."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from animecam.cli import main  # noqa: E402
from animecam.core.errors import UserError  # noqa: E402
from animecam.training.config import AugmentConfig  # noqa: E402
from animecam.training.data import (  # noqa: E402
    EpochBatches,
    UnpairedDataset,
    augment,
    dataset_files,
)
from animecam.training.prepare import prepare_dataset  # noqa: E402


def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[..., ::-1])


def blobs(seed: int, size: tuple[int, int] = (48, 64)) -> np.ndarray:
    """A smooth random colour image (PNG-friendly, unlike noise)."""
    small = np.random.default_rng(seed).integers(0, 255, (4, 4, 3), dtype=np.uint8)
    return cv2.resize(small, (size[1], size[0]), interpolation=cv2.INTER_CUBIC)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    photos, anime = tmp_path / "photos", tmp_path / "anime"
    photos.mkdir()
    anime.mkdir()
    face = astronaut()
    cv2.imwrite(str(photos / "astronaut.png"), face)
    (photos / "astronaut_copy.png").write_bytes((photos / "astronaut.png").read_bytes())  # duplicate
    cv2.imwrite(str(photos / "mirrored.jpg"), face[:, ::-1])
    cv2.imwrite(str(photos / "no_face.png"), blobs(1, (200, 200)))
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff this is not really a JPEG")
    for i in range(5):
        cv2.imwrite(str(anime / f"a{i}.png"), blobs(10 + i))
    (anime / "a0_again.png").write_bytes((anime / "a0.png").read_bytes())
    (anime / "notes.txt").write_text("not an image suffix: ignored")
    return photos, anime


def test_prepare_counts_aligns_and_splits(folders: tuple[Path, Path], tmp_path: Path) -> None:
    photos, anime = folders
    out = tmp_path / "dataset"
    manifest = prepare_dataset(out, photos=photos, anime=anime, size=64, test_fraction=0.2)
    assert manifest["counts"]["photos"] == {
        "read": 5,
        "duplicate": 1,
        "unreadable": 1,
        "no_face": 1,
        "written": 2,
    }
    assert manifest["counts"]["anime"]["duplicate"] == 1
    assert manifest["counts"]["anime"]["written"] == 5
    assert manifest["splits"]["trainA"] + manifest["splits"]["testA"] == 2
    assert manifest["splits"]["testB"] == 1 and manifest["splits"]["trainB"] == 4
    assert "centre-cropped" in manifest["anime"]["framing"] and "aligned" in manifest["photos"]["framing"]
    assert json.loads((out / "manifest.json").read_text()) == manifest
    crops = [cv2.imread(str(p)) for p in sorted(out.glob("*A/*.png"))]
    assert all(c.shape == (64, 64, 3) for c in crops)
    # The aligned crops frame faces like the live app: the detector finds the landmarks at the
    # canonical template positions inside each crop.
    from animecam.core.align import template
    from animecam.videofilter.detectors import create_detector
    from animecam.videofilter.faces import TrackerConfig

    detector = create_detector(TrackerConfig())
    for crop in crops:
        found = detector.detect(cv2.resize(crop, (128, 128), interpolation=cv2.INTER_CUBIC))
        assert len(found.scores) >= 1
        assert np.abs(found.landmarks[0] - template(128)).max() < 8


def test_prepare_refuses_bad_input(folders: tuple[Path, Path], tmp_path: Path) -> None:
    photos, anime = folders
    with pytest.raises(UserError, match="--photos"):
        prepare_dataset(tmp_path / "x", photos=photos)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(UserError, match="not empty"):
        prepare_dataset(tmp_path / "full", photos=photos, anime=anime)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no usable photos"):
        prepare_dataset(tmp_path / "y", photos=empty, anime=anime)


def test_cli_reports_counts_and_errors(folders: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    photos, anime = folders
    assert (
        main(
            [
                "train",
                "data",
                "--photos",
                str(photos),
                "--anime",
                str(anime),
                "--out",
                str(tmp_path / "d"),
                "--size",
                "32",
                "--whole-photos",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "1 duplicates, 1 unreadable" in out and "centre-cropped to a square" in out
    assert main(["train", "data", "--out", str(tmp_path / "e")]) == 2
    assert capsys.readouterr().err.startswith("error: pass --photos DIR and --anime DIR")


def selfie2anime_layout(root: Path) -> Path:
    face = astronaut()
    for split, images in {
        "trainA": [face, face[:, ::-1]],
        "testA": [cv2.GaussianBlur(face, (5, 5), 0)],
        "trainB": [blobs(i) for i in range(3)],
        "testB": [blobs(7)],
    }.items():
        (root / split).mkdir(parents=True)
        for i, image in enumerate(images):
            cv2.imwrite(str(root / split / f"{i}.jpg"), image)
    return root


def test_selfie2anime_layout_read_directly_and_prepared(tmp_path: Path) -> None:
    raw = selfie2anime_layout(tmp_path / "selfie2anime")
    files = dataset_files(raw, "train")
    assert (len(files.photos), len(files.anime), files.styles) == (2, 3, ["anime"])
    assert len(dataset_files(raw, "test").photos) == 1
    manifest = prepare_dataset(tmp_path / "prepared", selfie2anime=raw, size=32)
    assert manifest["splits"] == {"trainA": 2, "trainB": 3, "testA": 1, "testB": 1}  # given split kept


def test_style_subfolders_become_styles(tmp_path: Path) -> None:
    photos, anime = tmp_path / "p", tmp_path / "a"
    photos.mkdir()
    for i in range(3):
        cv2.imwrite(str(photos / f"{i}.png"), blobs(20 + i))
    for style in ("ghibli", "moe"):
        (anime / style).mkdir(parents=True)
        for i in range(3):
            cv2.imwrite(str(anime / style / f"{i}.png"), blobs(30 + i + (9 if style == "moe" else 0)))
    prepare_dataset(
        tmp_path / "d", photos=photos, anime=anime, size=32, align_photos=False, test_fraction=0.0
    )
    files = dataset_files(tmp_path / "d")
    assert files.styles == ["ghibli", "moe"]
    assert sorted(files.anime_styles) == [0, 0, 0, 1, 1, 1]


def test_unpaired_items_are_deterministic_per_epoch(tmp_path: Path) -> None:
    raw = selfie2anime_layout(tmp_path / "s")
    dataset = UnpairedDataset(dataset_files(raw), 32, AugmentConfig(), seed=3)
    item = dataset[1]
    assert item["a"].shape == item["b"].shape == (3, 32, 32)
    assert item["a"].min() >= -1 and item["a"].max() <= 1
    torch.testing.assert_close(dataset[1]["a"], item["a"])
    dataset.set_epoch(1)
    assert not torch.equal(dataset[1]["a"], item["a"])  # new augmentation each epoch


def test_augment_changes_pixels_not_shape() -> None:
    image = blobs(5, (32, 32))
    out = augment(image, AugmentConfig(), np.random.default_rng(0))
    assert out.shape == image.shape and np.abs(out - image).mean() > 1


def test_loader_batches_with_worker_processes_and_skips(tmp_path: Path) -> None:
    raw = selfie2anime_layout(tmp_path / "s")
    dataset = UnpairedDataset(dataset_files(raw), 32, None, seed=0)
    batches = EpochBatches(dataset, batch_size=1, workers=1, rank=0, world=1, seed=0)
    full = [b["b"] for b in batches.epoch(0)]
    assert len(full) == batches.batches_per_epoch == 3
    skipped = [b["b"] for b in EpochBatches(dataset, 1, 0, 0, 1, 0).epoch(0, skip=1)]
    assert len(skipped) == 2 and all(torch.equal(x, y) for x, y in zip(full[1:], skipped, strict=True))
