"""GAN and reconstruction losses: values at known logits and the direction they push."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from animecam.training.losses import (  # noqa: E402
    GAN_LOSSES,
    discriminator_loss,
    feature_distillation,
    generator_loss,
    l1,
    sliced_wasserstein,
)


def test_lsgan_matches_cyclegan_reference() -> None:
    real, fake = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    # D: 0.5 * (mean((real-1)^2) + mean(fake^2)) = 0.5 * (0.5 + 0.5); G: mean((fake-1)^2) = 0.5.
    assert discriminator_loss("lsgan", real, fake).item() == pytest.approx(0.5)
    assert generator_loss("lsgan", fake).item() == pytest.approx(0.5)


def test_hinge_values() -> None:
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    # relu(1 - real) = [0, 0.5] -> 0.25; relu(1 + fake) = [0, 1] -> 0.5
    assert discriminator_loss("hinge", real, fake).item() == pytest.approx(0.75)
    assert generator_loss("hinge", fake).item() == pytest.approx(1.0)


def test_vanilla_values() -> None:
    zero = torch.zeros(3)
    assert discriminator_loss("vanilla", zero, zero).item() == pytest.approx(2 * math.log(2))
    assert generator_loss("vanilla", zero).item() == pytest.approx(math.log(2))


@pytest.mark.parametrize("kind", GAN_LOSSES)
def test_gradients_push_the_right_way(kind: str) -> None:
    # At 0.5 every loss still has a gradient (LSGAN's fake term is flat at 0).
    real = torch.full((4,), 0.5, requires_grad=True)
    fake = torch.full((4,), 0.5, requires_grad=True)
    discriminator_loss(kind, real, fake).backward()
    assert (real.grad < 0).all() and (fake.grad > 0).all()  # D raises real scores, lowers fake ones
    fake_for_g = torch.full((4,), 0.5, requires_grad=True)
    generator_loss(kind, fake_for_g).backward()
    assert (fake_for_g.grad < 0).all()  # G raises its fakes' scores


def test_unknown_kind_rejected() -> None:
    with pytest.raises(ValueError, match="unknown GAN loss"):
        generator_loss("wgan", torch.zeros(1))  # type: ignore[arg-type]


def test_l1_and_feature_distillation() -> None:
    a, b = torch.zeros(2, 3), torch.ones(2, 3)
    assert l1(a, b).item() == pytest.approx(1.0)
    # Two maps with L1 1 and 3: equal weight per map.
    assert feature_distillation([a, a], [b, 3 * b]).item() == pytest.approx(2.0)
    with pytest.raises(ValueError):
        feature_distillation([a], [])


def test_losses_are_float32_under_half_inputs() -> None:
    fake = torch.zeros(4, dtype=torch.bfloat16)
    assert generator_loss("lsgan", fake).dtype == torch.float32


def test_sliced_wasserstein_sees_patch_statistics_not_positions() -> None:
    """Zero-ish for the same texture moved (a different crop), large for another texture, and its
    gradient moves a picture's patches towards the target's (a flat grey learns the stripes' contrast)."""
    torch.manual_seed(0)
    stripes = torch.zeros(2, 3, 32, 32)
    stripes[..., ::4, :] = 1.0  # horizontal lines every 4 rows
    shifted = torch.roll(stripes, shifts=(1, 5), dims=(2, 3))
    noise = torch.rand(2, 3, 32, 32)
    same, other = sliced_wasserstein(shifted, stripes), sliced_wasserstein(noise, stripes)
    assert float(same) < 0.1 * float(other)
    grey = torch.full((2, 3, 32, 32), 0.25, requires_grad=True)
    optimiser = torch.optim.Adam([grey], lr=0.05)
    before = float(sliced_wasserstein(grey, stripes))
    for _ in range(60):
        optimiser.zero_grad()
        sliced_wasserstein(grey, stripes).backward()
        optimiser.step()
    assert float(sliced_wasserstein(grey, stripes)) < 0.3 * before
    assert float(grey.std()) > 0.2  # it grew lines' contrast, not a mean grey
    with pytest.raises(ValueError, match="batches"):
        sliced_wasserstein(torch.zeros(3, 32, 32), stripes)
