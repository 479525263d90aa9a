"""training/twin.py: nearest anime faces of a photo in TwinGAN's shared latent space."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_trainer import smooth, write_dataset  # noqa: E402

from animecam.cli import main  # noqa: E402
from animecam.training.config import preset  # noqa: E402
from animecam.training.trainer import Trainer  # noqa: E402


@pytest.fixture
def run(tmp_path: Path) -> Path:
    threads = torch.get_num_threads()
    dataset = write_dataset(tmp_path / "dataset")
    Trainer(preset("cpu-tiny", dataset=str(dataset), steps=2), tmp_path / "run").train()
    torch.set_num_threads(threads)
    return tmp_path / "run"


def test_twin_writes_the_nearest_faces(run: Path, tmp_path: Path, capsys) -> None:
    from skimage import data

    photo = tmp_path / "me.png"
    cv2.imwrite(str(photo), data.astronaut()[..., ::-1])
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    for i in range(6):
        cv2.imwrite(str(gallery / f"{i}.png"), smooth(200 + i, 48))
    (gallery / "broken.png").write_bytes(b"nope")
    out = tmp_path / "twins.png"
    assert (
        main(
            [
                "twin",
                str(photo),
                "--gallery",
                str(gallery),
                "--run",
                str(run),
                "--out",
                str(out),
                "--top",
                "3",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    ranking = json.loads(printed[: printed.rindex("]") + 1])
    distances = [row["cosine_distance"] for row in ranking]
    assert len(ranking) == 3 and distances == sorted(distances) and all(0 <= d <= 2 for d in distances)
    assert "no face found" not in printed  # the astronaut's face was aligned
    picture = cv2.imread(str(out))
    assert picture.shape[1] == 4 * 32 and picture.shape[0] > 32  # photo + 3 neighbours, labelled
    assert np.std(picture) > 5


def test_twin_errors_are_one_line(run: Path, tmp_path: Path, capsys) -> None:
    assert (
        main(
            [
                "twin",
                str(tmp_path / "nope.png"),
                "--gallery",
                str(tmp_path),
                "--run",
                str(run),
                "--out",
                str(tmp_path / "t.png"),
            ]
        )
        == 2
    )
    assert main(["twin", "x.png", "--gallery", str(tmp_path), "--run", str(run), "--out", "t.gif"]) == 2
    assert capsys.readouterr().err.count("error:") == 2
