"""The unpaired options `warmup_steps` (identity warm-up), `d_augment` (DiffAugment for D),
cyclegan's `d_spectral` and `residual` generators: the transforms' shapes and gradients, that warm-up
steps fit the identity and then stop, the spectral discriminator, that a residual generator starts as
the identity and rebuilds from its config, and bad values."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from test_models import TINY, photo_anime_batch  # noqa: E402

from animecam.core.errors import UserError  # noqa: E402
from animecam.training.models import build_model  # noqa: E402
from animecam.training.models.augment import POLICIES, cutout, diff_augment, translation  # noqa: E402

MODELS = ("cyclegan", "twingan", "twingan-rt")


def test_augment_keeps_shape_and_passes_gradients() -> None:
    image = (torch.rand(3, 3, 16, 16) * 2 - 1).requires_grad_(True)
    out = diff_augment(image, POLICIES)
    assert out.shape == image.shape
    out.sum().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0


def test_translation_moves_content_and_fills_with_zeros() -> None:
    torch.manual_seed(0)
    image = torch.ones(8, 1, 8, 8)
    out = translation(image, ratio=0.25)
    # Every image keeps a 6x6 block of ones (a shift of at most 2) and zeros stand where it moved.
    assert (out[:, :, 2:6, 2:6] == 1).all()
    assert ((out == 0) | (out == 1)).all()


def test_cutout_zeroes_a_quarter_of_the_image() -> None:
    torch.manual_seed(0)
    out = cutout(torch.ones(4, 3, 16, 16), ratio=0.5)
    zeroed = (out == 0).float().mean(dim=(1, 2, 3))
    assert ((zeroed > 0) & (zeroed <= 0.25)).all(), zeroed


@pytest.mark.parametrize("name", MODELS)
def test_warmup_fits_the_identity_then_trains_as_before(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name, {**TINY[name], "warmup_steps": 2, "d_augment": "translation,cutout"})
    optimizers = model.make_optimizers()
    d_before = [p.detach().clone() for p in model.networks()[model.network_names[-1]].parameters()]
    steps = [model.train_step(*photo_anime_batch(), None, optimizers, None) for _ in range(3)]
    assert [("warmup" in losses) for losses in steps] == [True, True, False]
    assert "G_adv" in steps[2] and "D" in steps[0]
    assert all(torch.isfinite(torch.tensor(v)) for losses in steps for v in losses.values())
    # D trains during the warm-up too.
    after = model.networks()[model.network_names[-1]].parameters()
    assert any(not torch.equal(a, b) for a, b in zip(d_before, after, strict=True))


def test_warmup_lowers_the_identity_error() -> None:
    torch.manual_seed(0)
    model = build_model("cyclegan", {**TINY["cyclegan"], "warmup_steps": 30, "lr": 1e-2})
    optimizers = model.make_optimizers()
    batch = photo_anime_batch()
    losses = [model.train_step(*batch, None, optimizers, None)["warmup"] for _ in range(30)]
    # The last steps' mean: single steps at this learning rate jump by 20% with the thread count.
    assert sum(losses[-5:]) / 5 < 0.6 * losses[0], losses


@pytest.mark.parametrize("options", [{"warmup_steps": -1}, {"d_augment": "rotate"}])
def test_bad_warmup_or_augment_options_are_user_errors(options: dict[str, object]) -> None:
    with pytest.raises(UserError):
        build_model("twingan", {**TINY["twingan"], **options})


def test_spectral_discriminator_has_no_instance_norm_and_trains() -> None:
    torch.manual_seed(0)
    model = build_model("cyclegan", {**TINY["cyclegan"], "d_spectral": True})
    assert not any(isinstance(m, torch.nn.InstanceNorm2d) for m in model.D_A.modules())
    losses = model.train_step(*photo_anime_batch(), None, model.make_optimizers(), None)
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values()), losses


@pytest.mark.parametrize("name", MODELS)
def test_residual_generator_starts_as_the_identity_and_rebuilds(name: str) -> None:
    from animecam.training.models import build_generator

    torch.manual_seed(0)
    model = build_model(name, {**TINY[name], "residual": True})
    photo, anime = photo_anime_batch()
    assert torch.allclose(model.generator(photo), photo.clamp(-1, 1))
    assert model.generator_config()["residual"] is True
    rebuilt = build_generator(name, **model.generator_config())
    rebuilt.load_state_dict(model.generator.state_dict())
    model.train_step(photo, anime, None, model.make_optimizers(), None)
    # Trained, it changes the image, and the rebuilt generator (as a pack loads it) draws the same.
    rebuilt.load_state_dict(model.generator.state_dict())
    out = model.generator.eval()(photo)
    assert not torch.allclose(out, photo) and torch.allclose(rebuilt.eval()(photo), out)
    assert "residual" not in build_model(name, TINY[name]).generator_config()
