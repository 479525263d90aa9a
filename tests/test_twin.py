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
    assert len(ranking) == 3 and distances == sorted(distances)
    # The same distances computed here from the model's encoder: 1 - cosine of the flattened latents.
    from animecam.training.data import centre_square, to_tensor
    from animecam.training.twin import face_crop, load_twin_model

    model, size = load_twin_model(run)
    crop, _ = face_crop(photo, size)
    with torch.no_grad():
        me = model.encode(to_tensor(crop)[None], 0).flatten().numpy()
        expected = {}
        for i in range(6):
            image = centre_square(cv2.imread(str(gallery / f"{i}.png")), size)
            them = model.encode(to_tensor(image)[None], 1).flatten().numpy()
            expected[str(gallery / f"{i}.png")] = 1 - me @ them / np.linalg.norm(me) / np.linalg.norm(them)
    nearest = sorted(expected, key=expected.get)[:3]
    assert [row["file"] for row in ranking] == nearest
    np.testing.assert_allclose(distances, [expected[f] for f in nearest], atol=2e-4)
    assert len(set(expected.values())) == 6  # distinct images, distinct distances: the order means something
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
