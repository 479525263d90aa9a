"""The training models: reference sizes, one training step, overfitting, conditional norms, ONNX parity."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from animecam.core.errors import UserError  # noqa: E402
from animecam.engine.nets.layers import ConditionalInstanceNorm  # noqa: E402
from animecam.engine.nets.twin import TwinGenerator  # noqa: E402
from animecam.training.flops import count_macs, count_params  # noqa: E402
from animecam.training.models import MODELS, build_generator, build_model, load_generator, save_generator  # noqa: E402
from animecam.training.models.listing import run_models  # noqa: E402
from animecam.training.models.twingan import TwinGanConfig  # noqa: E402

TINY: dict[str, dict[str, Any]] = {
    "cyclegan": {"ngf": 8, "ndf": 8, "n_blocks": 2, "n_layers_d": 2},
    "twingan": {"channels": [8, 16, 32], "convs_per_block": 1, "ndf": 8, "n_layers_d": 2},
    "twingan-rt": {"channels": [8, 16, 32], "ndf": 8, "n_layers_d": 2},
    "twingan-rt-distill": {"channels": [8, 16, 32], "ndf": 8, "n_layers_d": 2},
}


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny nets gain nothing from a second thread, and on a busy 2-core machine OpenMP barriers
    made the CycleGAN steps ~10x slower with two threads than with one (535 vs 52 ms per step)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def smooth_images(seed: int, n: int = 2, size: int = 32) -> torch.Tensor:
    """High-contrast smooth images in [-1, 1]: random 4x4 colour fields, bilinearly upsampled."""
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, 4, 4, generator=gen) * 2 - 1
    return F.interpolate(coarse, size=size, mode="bilinear", align_corners=False)


def photo_anime_batch(size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    # Domain B is a fixed colour transform of *other* images: unpaired, with a known mapping.
    return smooth_images(1, size=size), -smooth_images(2, size=size).flip(1)


def test_registry_names() -> None:
    assert list(MODELS) == ["cyclegan", "twingan", "twingan-rt", "twingan-rt-distill"]
    for name, cls in MODELS.items():
        assert cls.name == name


def test_cyclegan_reference_parameter_counts() -> None:
    model = build_model("cyclegan")
    assert count_params(model.G_A2B) == 11_378_179
    assert count_params(model.G_B2A) == 11_378_179
    assert count_params(model.D_A) == 2_764_737
    assert count_params(model.D_B) == 2_764_737
    assert count_params(model.generator) == 11_378_179


def test_cyclegan_70x70_patchgan_receptive_field() -> None:
    disc = build_model("cyclegan").D_A
    # Instance norm's statistics see the whole image; without them each logit sees only its patch.
    for i, layer in enumerate(disc.model):
        if isinstance(layer, torch.nn.InstanceNorm2d):
            disc.model[i] = torch.nn.Identity()
    image = torch.zeros(1, 3, 140, 140, requires_grad=True)
    out = disc(image)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = torch.nonzero(image.grad[0].abs().sum(dim=(0, 2)))
    assert int(rows.max() - rows.min() + 1) == 70


@pytest.mark.parametrize("name", list(MODELS))
def test_train_step_returns_finite_losses(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name, TINY[name])
    real_a, real_b = photo_anime_batch()
    losses = model.train_step(real_a, real_b, None, model.make_optimizers(), None)
    expected = {"G_adv", "cycle", "D"} | ({"idt"} if name == "cyclegan" else {"rec_a", "rec_b"})
    if name == "twingan-rt-distill":  # paired: the batch's B is taken as A's teacher drawing
        expected = {"pixel", "gradient", "temporal", "moved_pixel", "G_adv", "D"}
    assert expected <= set(losses)
    assert all(np.isfinite(v) for v in losses.values())


@pytest.mark.parametrize("name", ["cyclegan", "twingan"])
def test_train_step_with_amp_scaler(name: str) -> None:
    """The mixed-precision path (autocast + GradScaler; bfloat16 on CPU) updates the nets."""
    torch.manual_seed(0)
    model = build_model(name, TINY[name])
    before = [p.detach().clone() for p in model.generator.parameters()]
    scaler = torch.amp.GradScaler("cpu")
    losses = model.train_step(*photo_anime_batch(), None, model.make_optimizers(), scaler)
    assert all(np.isfinite(v) for v in losses.values())
    assert any(not torch.equal(b, p) for b, p in zip(before, model.generator.parameters(), strict=True))


@pytest.mark.parametrize(
    ("name", "keys", "steps", "lr"),
    [
        ("cyclegan", ("cycle", "idt"), 60, 1e-3),
        ("twingan", ("rec_a", "rec_b", "cycle"), 150, 2e-3),
        ("twingan-rt", ("rec_a", "rec_b", "cycle"), 150, 2e-3),
    ],
)
def test_overfits_a_tiny_batch(name: str, keys: tuple[str, ...], steps: int, lr: float) -> None:
    """Cycle/reconstruction losses on two fixed 16x16 pairs at least halve (first vs last 5 steps)."""
    torch.manual_seed(0)
    model = build_model(name, {**TINY[name], "lr": lr})
    optimizers = model.make_optimizers()
    real_a, real_b = photo_anime_batch(size=16)
    history = [model.train_step(real_a, real_b, None, optimizers, None) for _ in range(steps)]
    first = np.mean([sum(h[k] for k in keys) for h in history[:5]])
    last = np.mean([sum(h[k] for k in keys) for h in history[-5:]])
    assert last < first / 2, f"{name}: {keys} went {first:.3f} -> {last:.3f}"


def test_style_mix_equals_interpolated_norm_params() -> None:
    torch.manual_seed(0)
    two = TwinGenerator([8, 16, 32], num_styles=2, convs_per_block=1).eval()
    with torch.no_grad():
        for norm in (m for m in two.modules() if isinstance(m, ConditionalInstanceNorm)):
            norm.gamma.normal_(1.0, 0.5)
            norm.beta.normal_(0.0, 0.5)
    one = TwinGenerator([8, 16, 32], num_styles=1, convs_per_block=1).eval()
    state = {}
    for key, value in two.state_dict().items():
        # Keep photo's row, replace the two anime rows by their average.
        state[key] = torch.stack([value[0], value[1:].mean(0)]) if key.endswith(("gamma", "beta")) else value
    one.load_state_dict(state)
    image = smooth_images(3)
    with torch.no_grad():
        mixed = two(image, torch.tensor([[0.5, 0.5], [0.5, 0.5]]))
        averaged = one(image, torch.ones(2, 1))
        pure = two(image, torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
    torch.testing.assert_close(mixed, averaged, rtol=1e-5, atol=1e-5)
    assert (mixed - pure).abs().max() > 1e-2  # the mix is not just one of the styles


def test_conv_weights_shared_and_norms_per_domain() -> None:
    def split_counts(gen: TwinGenerator) -> tuple[int, int]:
        norm = sum(p.numel() for n, p in gen.named_parameters() if n.endswith(("gamma", "beta")))
        return count_params(gen) - norm, norm

    conv1, norm1 = split_counts(TwinGenerator([8, 16, 32], num_styles=1))
    conv3, norm3 = split_counts(TwinGenerator([8, 16, 32], num_styles=3))
    assert conv1 == conv3  # one set of conv weights whatever the number of domains
    assert norm3 == 2 * norm1  # 4 domains vs 2: one gamma/beta row each

    torch.manual_seed(0)
    model = build_model("twingan", TINY["twingan"])
    optimizers = model.make_optimizers()
    real_a, real_b = photo_anime_batch()
    for _ in range(5):
        model.train_step(real_a, real_b, None, optimizers, None)
    gamma = model.generator.stem.norms[0].gamma
    assert gamma.shape[0] == 2 and (gamma[0] - gamma[1]).abs().max() > 1e-4  # photo and anime rows diverged
    # Photo and anime translations run the very same conv tensor.
    seen: list[int] = []
    conv = model.generator.stem.convs[0]
    handle = conv.register_forward_hook(lambda m, i, o: seen.append(id(m.weight)))
    with torch.no_grad():
        model.encode(real_a, 0)
        model.encode(real_b, 1)
    handle.remove()
    assert len(seen) == 2 and seen[0] == seen[1]


def test_discriminator_uses_spectral_norm() -> None:
    from torch.nn.utils import parametrize

    torch.manual_seed(0)
    disc = build_model("twingan", TINY["twingan"]).discriminator.train()
    convs = [m for m in disc.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(parametrize.is_parametrized(c, "weight") for c in convs)
    with torch.no_grad():
        for _ in range(30):  # power iterations converge during forwards
            disc(smooth_images(4), torch.ones(2, 1))
        for conv in convs:
            sigma = torch.linalg.matrix_norm(conv.weight.flatten(1), ord=2)
            assert abs(float(sigma) - 1.0) < 0.05


def test_multi_style_training_and_samples() -> None:
    torch.manual_seed(0)
    model = build_model("twingan", {**TINY["twingan"], "num_styles": 3})
    real_a, real_b = photo_anime_batch()
    style_b = F.one_hot(torch.tensor([0, 2]), 3).float()
    losses = model.train_step(real_a, real_b, style_b, model.make_optimizers(), None)
    assert all(np.isfinite(v) for v in losses.values())
    samples = model.samples(real_a, real_b)
    assert {"photo", "anime_result", "reconstruction", "anime"} <= set(samples)
    assert all(v.shape == real_a.shape for v in samples.values())
    assert model.encode(real_a, 0).shape == (2, 32, 8, 8)
    assert model.generator.size_multiple == 4
    with pytest.raises(NotImplementedError):
        build_model("cyclegan", TINY["cyclegan"]).encode(real_a, 0)


def test_reference_embedding_is_optional_and_trains() -> None:
    torch.manual_seed(0)
    model = build_model("twingan", {**TINY["twingan"], "style_dim": 4})
    real_a, real_b = photo_anime_batch()
    optimizers = model.make_optimizers()
    for _ in range(3):
        model.train_step(real_a, real_b, None, optimizers, None)
    gen = model.generator.eval()
    with torch.no_grad():
        plain = gen(real_a)
        conditioned = gen(real_a, reference=real_b)
    assert plain.shape == conditioned.shape
    assert (plain - conditioned).abs().max() > 0  # the embedding changes the drawing once trained


def test_distribute_routes_training_through_wrappers() -> None:
    calls: dict[str, int] = {}

    class Counting(torch.nn.Module):
        def __init__(self, net: torch.nn.Module, name: str) -> None:
            super().__init__()
            self.module, self.name = net, name

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            calls[self.name] = calls.get(self.name, 0) + 1
            return self.module(*args, **kwargs)

    for name in MODELS:
        calls.clear()
        model = build_model(name, TINY[name])
        keys = set(model.state_dict())
        nets = model.networks()
        model.distribute(lambda net, nets=nets: Counting(net, next(k for k, v in nets.items() if v is net)))
        model.train_step(*photo_anime_batch(), None, model.make_optimizers(), None)
        assert set(calls) == set(nets), name  # every trainable net's gradients went through a wrapper
        assert set(model.state_dict()) == keys  # checkpoints keep their keys
        assert not isinstance(model.generator, Counting)


def test_generator_file_roundtrip_and_distillation(tmp_path: Path) -> None:
    torch.manual_seed(0)
    real_a, real_b = photo_anime_batch(size=16)
    teacher_model = build_model("twingan", {**TINY["twingan"], "num_styles": 2, "lr": 2e-3})
    teacher_optimizers = teacher_model.make_optimizers()
    for _ in range(20):  # a teacher with a mapping of its own, not an untrained near-zero output
        teacher_model.train_step(real_a, real_b, None, teacher_optimizers, None)
    path = tmp_path / "teacher.safetensors"
    save_generator(path, teacher_model)
    name, loaded = load_generator(path)
    with torch.no_grad():
        teacher_out = teacher_model.generator(real_a)
        torch.testing.assert_close(loaded(real_a), teacher_out)
    assert name == "twingan"

    def student_distance(options: dict[str, Any]) -> float:
        torch.manual_seed(1)
        student = build_model("twingan-rt", {**TINY["twingan-rt"], "num_styles": 2, "lr": 2e-3, **options})
        optimizers = student.make_optimizers()
        for _ in range(40):
            losses = student.train_step(real_a, real_b, None, optimizers, None)
        if "teacher" in options:
            assert not any(k.startswith("_teacher") for k in student.state_dict())
            assert "adapters" in student.networks()
            assert {"distill", "distill_features"} <= set(losses)
        with torch.no_grad():
            return float((student.generator(real_a) - teacher_out).abs().mean())

    distilled = student_distance(
        {"teacher": str(path), "lambda_distill": 10.0, "lambda_distill_features": 0.5}
    )
    alone = student_distance({})
    assert distilled < 0.7 * alone, (distilled, alone)

    cyc = tmp_path / "cyclegan.safetensors"
    save_generator(cyc, build_model("cyclegan", TINY["cyclegan"]))
    with pytest.raises(UserError, match="twingan generator"):
        build_model("twingan-rt", {"teacher": str(cyc)})
    with pytest.raises(UserError, match="styles"):
        build_model("twingan-rt", {"teacher": str(path)})  # 1 style vs the teacher's 2
    with pytest.raises(UserError, match="does not exist"):
        load_generator(tmp_path / "missing.safetensors")


def test_config_from_dict() -> None:
    cfg = TwinGanConfig.from_dict({"channels": [8, 16], "lr": 1})
    assert cfg.channels == (8, 16) and isinstance(cfg.lr, float)
    with pytest.raises(UserError, match="unknown model option"):
        build_model("cyclegan", {"ngf_typo": 3})
    with pytest.raises(UserError, match="unknown model"):
        build_model("pix2pix")
    with pytest.raises(UserError, match="GAN loss"):
        build_model("twingan", {"gan_loss": "wgan"})
    assert build_generator("twingan", **build_model("twingan", TINY["twingan"]).generator_config())


def test_mac_count_of_known_layers() -> None:
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1))
    assert count_macs(generator_shaped(conv), 16) == 16 * 16 * 8 * 3 * 9
    # CycleGAN's ResNet-9 at 256x256: the ~49.6 GMACs usually quoted.
    assert 49.0e9 < count_macs(build_model("cyclegan").generator, 256) < 50.2e9


def generator_shaped(net: torch.nn.Module) -> torch.nn.Module:
    """A generator-shaped wrapper (image, style) -> image around a plain net."""

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, image: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
            return self.net(image)

    return Wrapped()


def test_train_models_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_models(argparse.Namespace(json=True)) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(MODELS)
    assert all(set(r) == {"name", "params", "gmacs_256"} for r in rows)
    by_name = {r["name"]: r for r in rows}
    assert by_name["cyclegan"]["params"] == 11_378_179
    assert 1.0 <= by_name["twingan-rt"]["gmacs_256"] <= 2.0
    assert 10.0 <= by_name["twingan"]["gmacs_256"] <= 15.0
    assert run_models(argparse.Namespace(json=False)) == 0
    assert "twingan-rt" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "num_styles"), [("cyclegan", 1), ("twingan", 2), ("twingan-rt", 2), ("twingan-rt", 1)]
)
def test_onnx_export_matches_torch(name: str, num_styles: int, tmp_path: Path) -> None:
    """Opset 18, dynamic batch; single-style generators are exported with the image as only input."""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    torch.manual_seed(0)
    options = {**TINY[name], **({} if name == "cyclegan" else {"num_styles": num_styles})}
    generator = build_model(name, options).generator.eval()
    image, style = smooth_images(6, n=1), torch.full((1, num_styles), 1.0 / num_styles)
    batch = torch.export.Dim("batch", min=1, max=4)
    args, dynamic = (image,), {"image": {0: batch}}
    if num_styles > 1:
        args, dynamic = (image, style), {**dynamic, "style": {0: batch}}
    path = tmp_path / f"{name}.onnx"
    torch.onnx.export(
        generator,
        args,
        str(path),
        input_names=["image", "style"][: len(args)],
        output_names=["output"],
        dynamic_shapes=dynamic,
        opset_version=18,
        dynamo=True,
    )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image", "style"][: len(args)]
    images = smooth_images(7, n=3)
    styles = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.3, 0.7]]) if num_styles > 1 else torch.ones(3, 1)
    feed = {"image": images.numpy(), "style": styles.numpy()}
    got = session.run(["output"], {i.name: feed[i.name] for i in session.get_inputs()})[0]
    with torch.no_grad():
        want = generator(images, styles).numpy()
    assert got.shape == want.shape == (3, 3, 32, 32)
    assert np.abs(got - want).max() / np.abs(want).max() <= 1e-4


def test_image_pool_history_survives_state_dict() -> None:
    torch.manual_seed(0)
    model = build_model("cyclegan", {**TINY["cyclegan"], "pool_size": 3})
    fakes = [smooth_images(10 + i) for i in range(3)]
    returned = [model.pool_b.query(f) for f in fakes]
    torch.testing.assert_close(returned[0], fakes[0])  # an unfilled pool hands back the new images
    assert len(model.pool_b.images) == 3
    restored = build_model("cyclegan", {**TINY["cyclegan"], "pool_size": 3})
    restored.load_state_dict(model.state_dict())
    torch.testing.assert_close(restored.pool_b.images, model.pool_b.images)
    assert model.pool_b.query(fakes[0]).requires_grad is False
