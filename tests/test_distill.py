"""Teacher pairs (training/distill.py), the paired distillation model and its losses, export of a
multi-look pack. Tiny: 32-64 px pairs (the looks still draw at their 256 px), a few steps."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from animecam.cli import main  # noqa: E402
from animecam.core.align import template  # noqa: E402
from animecam.engine.styles import load_style  # noqa: E402
from animecam.training.config import preset  # noqa: E402
from animecam.training.distill import prepare_distill_dataset, video_crops  # noqa: E402
from animecam.training.distill_losses import equivariance_error, random_similarity, warp  # noqa: E402
from animecam.training.trainer import Trainer  # noqa: E402

LOOKS = ["anime", "manga"]


def astronaut_bgr() -> np.ndarray:
    from skimage.data import astronaut

    return np.ascontiguousarray(astronaut()[..., ::-1])


@pytest.fixture(autouse=True)
def _keep_thread_count():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two photos with a face: the astronaut and its mirror image."""
    folder = tmp_path_factory.mktemp("photos")
    cv2.imwrite(str(folder / "a.png"), astronaut_bgr())
    cv2.imwrite(str(folder / "b.png"), astronaut_bgr()[:, ::-1])
    return folder


@pytest.fixture(scope="module")
def pairs(photos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pairs") / "ds"
    prepare_distill_dataset(
        out, LOOKS, size=32, variants=2, test_variants=1, library=False, photos=photos, test_fraction=0.5
    )
    return out


def test_pairs_are_written_with_their_manifest(pairs: Path) -> None:
    manifest = json.loads((pairs / "manifest.json").read_text())
    assert manifest["pairs"] is True and manifest["styles"] == sorted(LOOKS) and manifest["size"] == 32
    assert manifest["splits"] == {"trainA": 2, "testA": 1}  # one photo (2 variants) trains, one tests
    assert set(manifest["augmentation"]["config"]) >= {"rotate_deg", "p_glasses", "p_blink", "p_jpeg"}
    assert manifest["augmentation"]["applied_counts"]["pose"] == 1  # the one augmented variant
    marks = json.loads((pairs / "landmarks.json").read_text())
    for split in ("train", "test"):
        names = sorted(p.name for p in (pairs / f"{split}A").glob("*.png"))
        assert sorted(f"{n}.png" for n in marks[split]) == names
        for look in LOOKS:
            assert sorted(p.name for p in (pairs / f"{split}B" / look).glob("*.png")) == names
            assert cv2.imread(str(pairs / f"{split}B" / look / names[0])).shape == (32, 32, 3)


def test_the_teacher_really_draws_the_pair(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    prepare_distill_dataset(
        out, ["anime"], size=256, variants=1, test_variants=1, library=False, photos=photos, test_fraction=0.0
    )
    marks = json.loads((out / "landmarks.json").read_text())["train"]
    name = sorted(marks)[0]
    photo = cv2.imread(str(out / "trainA" / f"{name}.png"))
    drawn = cv2.imread(str(out / "trainB" / "anime" / f"{name}.png"))
    assert np.abs(drawn.astype(int) - photo).mean() > 10  # not the photo
    again = load_style("anime").stylize(photo[None], landmarks=np.asarray(marks[name])[None])[0]
    assert np.array_equal(again, drawn)  # exactly the look's drawing of that crop, with its landmarks
    # The plain crop is the canonical crop: its landmarks sit on the template (up to the face's shape).
    assert np.linalg.norm(np.asarray(marks[name]) - template(256), axis=1).mean() < 5.0


def test_unknown_teacher_and_conflicting_sources_are_one_line_errors(tmp_path: Path, capsys) -> None:
    assert main(["train", "data", "--teacher", "anime,nope", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown teacher look(s) nope") and "Traceback" not in err
    assert (
        main(["train", "data", "--teacher", "anime", "--anime", str(tmp_path), "--out", str(tmp_path / "y")])
        == 2
    )
    assert "--teacher draws the targets itself" in capsys.readouterr().err


def write_face_clip(path: Path, frames: int = 12) -> Path:
    """The astronaut's face sliding right and down by 2 px a frame, 320x320 MJPG."""
    photo = astronaut_bgr()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (320, 320))
    for index in range(frames):
        shift = np.float32([[0.625, 0, 2 * index], [0, 0.625, 2 * index]])
        writer.write(cv2.warpAffine(photo, shift, (320, 320), borderMode=cv2.BORDER_REPLICATE))
    writer.release()
    return path


def test_video_gives_tracked_aligned_faces(tmp_path: Path, capsys) -> None:
    clip = write_face_clip(tmp_path / "me.avi")
    crops = video_crops(clip, 256, every=3, test_fraction=0.25)
    assert len(crops) == 4 and [c.split for c in crops] == ["train"] * 3 + ["test"]
    for crop in crops:
        # Aligned: the tracked landmarks land on the canonical template in every crop (within the
        # astronaut's own difference from the template's face: 4-5 px at 256).
        assert np.linalg.norm(crop.landmarks - template(256), axis=1).mean() < 6.0
    first, last = crops[0].image.astype(int), crops[-1].image.astype(int)
    assert np.abs(first - last).mean() < 25  # the same face, though the clip moved it 18 px
    out = tmp_path / "ds"
    code = main(
        [
            "train",
            "data",
            "--teacher",
            "anime",
            "--video",
            str(clip),
            "--video-every",
            "6",
            "--no-library",
            "--size",
            "32",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    names = sorted(p.name for p in (out / "trainA").glob("*.png"))
    assert names and all(n.startswith("video_me_") for n in names)
    assert "video" in json.loads((out / "manifest.json").read_text())["photos"]["source"]
    assert (
        main(
            [
                "train",
                "data",
                "--teacher",
                "anime",
                "--video",
                str(tmp_path / "none.mp4"),
                "--no-library",
                "--out",
                str(tmp_path / "ds2"),
            ]
        )
        == 2
    )
    assert "cannot read the video" in capsys.readouterr().err


def test_temporal_loss_is_zero_for_an_equivariant_net_and_positive_otherwise() -> None:
    torch.manual_seed(0)
    images = torch.rand(3, 3, 32, 32) * 2 - 1
    theta = random_similarity(3, 5.0, 0.05, 0.05, images.device)
    pointwise = torch.nn.Conv2d(3, 3, 1)  # per pixel: commutes with any warp
    assert equivariance_error(pointwise, images, theta).item() < 1e-5
    ramp = torch.linspace(-1, 1, 32).expand(1, 1, 32, 32)  # draws something fixed to the crop
    assert equivariance_error(lambda x: x + ramp, images, theta).item() > 0.01
    still = torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]]).expand(3, 2, 3)
    moved, mask = warp(images, still)
    assert torch.allclose(moved, images, atol=1e-5) and mask[:, :, 1:-1, 1:-1].min() == 1


def distill_config(pairs: Path, **overrides: object) -> dict:
    values: dict = dict(
        model="twingan-rt-distill", dataset=str(pairs), steps=4, decay_steps=2, checkpoint_every=100
    )
    return {**values, **overrides}


def test_distill_model_trains_on_pairs_and_resumes_exactly(pairs: Path, tmp_path: Path) -> None:
    straight = Trainer(preset("cpu-tiny", **distill_config(pairs)), tmp_path / "a")
    losses = straight.train()
    assert {"pixel", "gradient", "temporal", "moved_pixel", "G_adv", "D"} <= set(losses)
    assert type(straight.batches.dataset).__name__ == "PairedDataset"
    Trainer(preset("cpu-tiny", **distill_config(pairs)), tmp_path / "b").train(stop_at=1)  # mid-epoch
    resumed = Trainer(preset("cpu-tiny", **distill_config(pairs)), tmp_path / "b")
    resumed.train(resume=True)
    assert resumed.step == 4
    for name, tensor in straight.model.state_dict().items():
        assert torch.equal(tensor, resumed.model.state_dict()[name]), name
    for ema, other in zip(straight.ema.parameters(), resumed.ema.parameters(), strict=True):
        assert torch.equal(ema, other)


def test_distill_learns_the_pairs(pairs: Path, tmp_path: Path) -> None:
    """A few dozen steps lower the pixel loss on the (two) training pairs well below the start."""
    options = {"twingan-rt-distill": {"channels": [8, 16], "lr": 5e-3, "lambda_adv": 0.0}}
    config = preset(
        "cpu-tiny",
        **distill_config(
            pairs, steps=40, decay_steps=0, log_every=100, sample_every=100, model_options=options
        ),
    )
    trainer = Trainer(config, tmp_path / "run")
    first = trainer.model.train_step(*_batch(trainer), trainer.optimizers, None)["pixel"]
    trainer.train()
    last = trainer.model.train_step(*_batch(trainer), trainer.optimizers, None)["pixel"]
    assert last < 0.7 * first


def _batch(trainer: Trainer) -> tuple:
    batch = next(iter(trainer.batches.epoch(0)))
    return batch["a"], batch["b"], trainer.style_weights(batch["style"])


def test_export_gives_a_pack_whose_styles_are_the_looks(pairs: Path, tmp_path: Path) -> None:
    from animecam.engine.packs import StylePack
    from animecam.training.export import export_pack

    Trainer(preset("cpu-tiny", **distill_config(pairs, steps=2)), tmp_path / "run").train()
    folder = export_pack(tmp_path / "run", tmp_path / "pack", name="tiny-distill")
    pack = StylePack.load(folder)
    assert [s.name for s in pack.styles] == sorted(LOOKS) and pack.model_family == "twingan-rt-distill"
    assert (
        "teacher looks anime, manga"
        in json.loads((folder / "style.json").read_text())["training"]["data_source"]
    )


def test_a_run_can_start_from_a_pack_to_fine_tune_it(pairs: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from animecam.core.errors import UserError
    from animecam.training.export import export_pack

    Trainer(preset("cpu-tiny", **distill_config(pairs, steps=2)), tmp_path / "run").train()
    folder = export_pack(tmp_path / "run", tmp_path / "pack", name="tiny-distill")
    tuned = Trainer(preset("cpu-tiny", **distill_config(pairs, init=str(folder))), tmp_path / "tune")
    packed = load_file(str(folder / "weights.safetensors"))
    for name, tensor in tuned.model.generator.state_dict().items():
        assert torch.equal(tensor, packed[name]), name
    def same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
        return all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))

    assert same(tuned.ema, tuned.model.generator)  # the EMA starts from the pack too
    fresh = Trainer(preset("cpu-tiny", **distill_config(pairs)), tmp_path / "fresh")
    assert not same(fresh.model.generator, tuned.model.generator)
    wrong = distill_config(pairs, model="twingan-rt", init=str(folder))
    with pytest.raises(UserError, match="pass --model twingan-rt-distill"):
        Trainer(preset("cpu-tiny", **wrong), tmp_path / "x")


def test_bundled_twingan_anime_engine_lists_the_looks_and_is_nearer_them_than_the_photo() -> None:
    """The shipped engine (scripts/train_twingan_anime.sh): one net, the looks as its style input.
    A weak check on purpose: after 500 CPU steps it has its teachers' tones, not their drawing
    (README), so it is only asked to be nearer the looks than the photo is, on unseen LFW faces."""
    from animecam.engine.packs import StylePack
    from animecam.engine.packs.install import BUILTIN_PACKS_DIR
    from animecam.engine.styles import list_styles
    from animecam.training.data import FaceFinder
    from animecam.training.distill import augmented_crops, library_faces
    from animecam.training.face_augment import FaceAugmentConfig

    pack = StylePack.load(BUILTIN_PACKS_DIR / "twingan-anime")
    assert pack.model_family == "twingan-rt-distill" and pack.input_size == 256
    assert [s.name for s in pack.styles] == ["anime", "manga", "shoujo"]
    assert sum(int(f["size"]) for f in pack.files.values()) <= 5 * 1024 * 1024
    training = json.loads((pack.root / "style.json").read_text())["training"]
    assert "skimage.data.astronaut" in training["data_source"] and "teacher looks" in training["data_source"]
    listed = {info.name for info in list_styles("onnxruntime")}
    assert {"twingan-anime/anime", "twingan-anime/manga", "twingan-anime/shoujo"} <= listed
    unseen = [f for f in library_faces(FaceFinder(), holdout=20) if f.split == "test"][:4]
    crops, _ = augmented_crops(unseen, 256, 1, 2, FaceAugmentConfig(), seed=0)
    style = load_style("twingan-anime/anime", "onnxruntime")
    engine = style._engine
    to_engine, to_photo = [], []
    for index, look in enumerate(["anime", "manga", "shoujo"]):
        style.set_style(index)
        teacher = load_style(look)
        for crop in crops:
            drawn = teacher.stylize(crop.image[None], landmarks=crop.landmarks[None].astype(float))[0]
            to_engine.append(np.abs(style.stylize(crop.image[None])[0].astype(int) - drawn).mean())
            to_photo.append(np.abs(crop.image.astype(int) - drawn).mean())
    assert np.mean(to_engine) < 0.85 * np.mean(to_photo)
    image = crops[0].image[None]
    style.set_style(0)
    first = style.stylize(image)[0].astype(int)
    style.set_style(1)
    second = style.stylize(image)[0].astype(int)
    style.set_style_mix([0.5, 0.5, 0.0])
    mixed = style.stylize(image)[0].astype(int)
    assert style._engine is engine  # a blend changes the style input only, never the loaded engine
    assert np.abs(mixed - first).mean() > 1 and np.abs(mixed - second).mean() > 1
