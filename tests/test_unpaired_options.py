"""The unpaired-training options (PatchNCE, identity term, AdaLIN, discriminator schedule): the loss
and norm maths, that each option trains, that the defaults keep today's models, and DDP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from test_models import TINY, photo_anime_batch  # noqa: E402

from animecam.core.errors import UserError  # noqa: E402
from animecam.engine.nets.layers import ConditionalAdaLIN, ConditionalInstanceNorm  # noqa: E402
from animecam.engine.nets.twin import TwinGenerator  # noqa: E402
from animecam.training.losses import patch_nce  # noqa: E402
from animecam.training.models import build_model  # noqa: E402
from animecam.training.models.patchnce import FeatureTap, PatchNCEHead, sequential_features  # noqa: E402

OPTIONS: dict[str, dict[str, Any]] = {
    "cyclegan": {"lambda_nce": 1.0, "d_steps": 2, "lr_d": 1e-3, "lambda_swd": 10.0},
    "twingan": {"lambda_nce": 1.0, "lambda_identity": 2.0, "norm": "adalin", "d_steps": 2, "lr_d": 1e-3,
                "lambda_swd": 10.0, "swd_patch": 3},
    "twingan-rt": {"lambda_nce": 1.0, "nce_layers": [0, 2], "lambda_identity": 1.0},
}


def test_patch_nce_prefers_the_patch_at_the_same_place() -> None:
    torch.manual_seed(0)
    features = torch.randn(2, 16, 8, 8)
    head = PatchNCEHead([16], dim=32, patches=32)
    shuffled = features.flatten(2)[:, :, torch.randperm(64)].reshape(features.shape)
    identity_like = head([features + 0.05 * torch.randn_like(features)], [features])
    assert identity_like.item() < head([shuffled], [features]).item() - 1.0
    # Raw InfoNCE: queries equal to their keys beat queries matched to another patch's key.
    keys = F.normalize(torch.randn(2, 16, 8), dim=-1)
    assert patch_nce(keys, keys).item() < patch_nce(keys.roll(1, dims=1), keys).item()


def test_patch_nce_keys_are_targets() -> None:
    query = F.normalize(torch.randn(1, 8, 4), dim=-1).requires_grad_()
    key = F.normalize(torch.randn(1, 8, 4), dim=-1).requires_grad_()
    patch_nce(query, key).backward()
    assert query.grad is not None and key.grad is None
    with pytest.raises(ValueError):
        patch_nce(query, key[:, :4])


def test_feature_tap_records_and_removes_its_hooks() -> None:
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1))
    x = torch.rand(1, 3, 8, 8)
    with FeatureTap([net[1], net[2]]) as tap:
        net(x)
        net(x * 2)
    assert [len(out) for out in tap.outputs] == [2, 2]
    net(x)
    assert [len(out) for out in tap.outputs] == [2, 2]  # hooks gone after the block
    assert torch.equal(tap.last()[0], sequential_features(net, x * 2, [1])[0])
    with pytest.raises(RuntimeError):
        FeatureTap([net[0]]).last()


def test_adalin_is_instance_norm_at_rho_1_and_layer_norm_at_rho_0() -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 5, 6, 6) * 3 + 1
    adalin, plain = ConditionalAdaLIN(5, num_domains=2), ConditionalInstanceNorm(5, num_domains=2)
    with torch.no_grad():
        for norm in (adalin, plain):
            norm.gamma.copy_(torch.rand(2, 5) + 0.5)
            norm.beta.copy_(torch.randn(2, 5))
        plain.load_state_dict(adalin.state_dict(), strict=False)
    domain = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.3, 0.7]])
    gamma, beta = (domain @ adalin.gamma)[:, :, None, None], (domain @ adalin.beta)[:, :, None, None]
    assert torch.allclose(adalin(x, domain), plain(x, domain), atol=1e-5)  # rho starts at 1
    with torch.no_grad():
        adalin.rho.zero_()
    layer = F.layer_norm(x, x.shape[1:], eps=1e-5) * gamma + beta
    assert torch.allclose(adalin(x, domain), layer, atol=1e-5)
    with torch.no_grad():  # per-domain rho is mixed by the domain weights: photo IN, anime LN
        adalin.rho.copy_(torch.tensor([[1.0] * 5, [0.0] * 5]))
    mixed = 0.3 * F.instance_norm(x[2:], eps=1e-5) + 0.7 * F.layer_norm(x[2:], x.shape[1:], eps=1e-5)
    assert torch.allclose(adalin(x, domain)[2:], mixed * gamma[2:] + beta[2:], atol=1e-5)
    assert not torch.allclose(layer, plain(x, domain), atol=1e-2)  # the two norms do differ here


def test_untrained_adalin_generator_matches_the_instance_norm_one() -> None:
    torch.manual_seed(0)
    plain = TwinGenerator([4, 8, 8], num_styles=2)
    adalin = TwinGenerator([4, 8, 8], num_styles=2, norm="adalin")
    missing, unexpected = adalin.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(key.endswith(".rho") for key in missing)
    image, style = torch.rand(2, 3, 16, 16) * 2 - 1, torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    assert torch.allclose(adalin(image, style), plain(image, style), atol=1e-6)


@pytest.mark.parametrize("name", list(OPTIONS))
def test_options_train_with_finite_losses(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name, {**TINY[name], **OPTIONS[name]})
    optimizers = model.make_optimizers()
    assert optimizers["D"].param_groups[0]["lr"] == model.config.discriminator_lr
    head = model.nce
    assert head is not None and "nce" in model.networks()
    before = [p.detach().clone() for p in head.parameters()]
    for _ in range(2):
        losses = model.train_step(*photo_anime_batch(), None, optimizers, None)
    assert "nce" in losses and "idt" in losses
    assert ("swd" in losses) == ("lambda_swd" in OPTIONS[name])
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values()), losses
    # G's Adam trains the projection MLPs too.
    assert any(not torch.equal(a, b) for a, b in zip(before, head.parameters(), strict=True))


@pytest.mark.parametrize("name", list(OPTIONS))
def test_defaults_keep_the_models_as_they_were(name: str) -> None:
    model = build_model(name, TINY[name])
    assert model.nce is None and "nce" not in model.networks()
    assert "norm" not in model.generator_config()  # packs and configs keep their exact keys
    losses = model.train_step(*photo_anime_batch(), None, model.make_optimizers(), None)
    assert "nce" not in losses and "swd" not in losses
    if name != "cyclegan":
        assert "idt" not in losses
        assert model.generator_config() == build_model(name, {**TINY[name], "norm": "in"}).generator_config()


def test_adalin_generator_config_rebuilds_the_generator() -> None:
    from animecam.training.models import build_generator

    model = build_model("twingan", {**TINY["twingan"], "norm": "adalin"})
    rebuilt = build_generator("twingan", **model.generator_config())
    assert set(rebuilt.state_dict()) == set(model.generator.state_dict())


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("twingan", {"norm": "batch"}),
        ("twingan", {"lambda_nce": 1.0, "nce_layers": [5]}),
        ("cyclegan", {"lambda_nce": 1.0, "nce_layers": [99]}),
        ("cyclegan", {"d_steps": 0}),
        ("twingan", {"nce_tau": 0.0}),
        ("cyclegan", {"lambda_swd": -1.0}),
    ],
)
def test_bad_options_are_user_errors(name: str, options: dict[str, Any]) -> None:
    with pytest.raises(UserError):
        build_model(name, {**TINY[name], **options})


@pytest.mark.slow
def test_options_under_ddp_keep_ranks_identical(tmp_path: Path) -> None:
    """PatchNCE runs part of cyclegan's generator outside its DDP wrapper (only as deep as the tapped
    layers) and adds a net; two gloo ranks must still end with identical parameters."""
    from test_models_ddp import ddp_spread

    configs = {
        "cyclegan": {**TINY["cyclegan"], **OPTIONS["cyclegan"], "pool_size": 0},
        "twingan": {**TINY["twingan"], **OPTIONS["twingan"]},
    }
    spread = ddp_spread(tmp_path, configs, timeout=180)
    assert set(spread) == set(configs) and all(value == 0.0 for value in spread.values()), spread
