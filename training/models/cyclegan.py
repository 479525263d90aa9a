"""CycleGAN (Zhu et al. 2017) as in the reference implementation.

ResNet-9 generators (reflection padding, instance norm without affine, 2 down / 9 residual / 2 up,
tanh; 11,378,179 parameters at 3->3 channels), 70x70 PatchGANs, least-squares GAN loss, cycle
weight 10, identity weight 0.5 x cycle, a pool of 50 past fakes per discriminator, Adam 2e-4
beta1 0.5 and N(0, 0.02) initialisation.

Options, off by default (bench/unpaired.py measures them): PatchNCE (CUT) between the photo's and its
translation's features in the photo->anime generator's encoder, the discriminators' schedule
(`d_steps`, `lr_d`), spectral norm in place of their instance norms (`d_spectral`), DiffAugment of
their inputs (`d_augment`), an identity warm-up (`warmup_steps`) and residual generators
(`residual`: output = input + a change whose last conv starts at zero).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from animecam.engine.nets.layers import init_normal
from animecam.engine.nets.resnet import ResnetGenerator
from animecam.training.losses import GanLossKind, check_gan_loss, discriminator_loss, generator_loss, l1
from animecam.training.models.base import GanModel, UnpairedConfig, optimise, set_requires_grad
from animecam.training.models.patchnce import FeatureTap, PatchNCEHead, sequential_features


@dataclass
class CycleGanConfig(UnpairedConfig):
    ngf: int = 64
    ndf: int = 64
    n_blocks: int = 9
    n_layers_d: int = 3  # 3 -> the 70x70 PatchGAN
    lambda_cycle: float = 10.0
    identity_ratio: float = 0.5  # identity weight = identity_ratio * lambda_cycle
    pool_size: int = 50
    gan_loss: GanLossKind = "lsgan"
    d_spectral: bool = False  # spectral-norm PatchGANs without instance norm (as twingan's)
    residual: bool = False  # generators add a change to their input (start as the identity)
    # Layers of the ResNet generator's stack PatchNCE taps: 0 the padded input, 3 the stem, 6 and 9
    # the two downsamplings, 10 the first residual block (CUT taps pixels, downsamplings, residuals).
    nce_layers: tuple[int, ...] = (0, 3, 6, 9, 10)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_gan_loss(self.gan_loss)
        if self.lambda_nce > 0 and not all(0 <= i < 10 + self.n_blocks for i in self.nce_layers):
            raise ValueError(f"nce_layers must index the generator's encoder, 0..{9 + self.n_blocks}")
        if self.num_styles != 1:
            raise ValueError("cyclegan translates to one anime style: num_styles must be 1")


class PatchDiscriminator(nn.Module):
    """PatchGAN: with n_layers=3 each output logit sees a 70x70 input patch. With `spectral`, every conv
    is spectrally normalised and the instance norms go (instance norm hides each image's colour and
    contrast statistics from the logits, which are what a colour style changes)."""

    def __init__(
        self, in_channels: int = 3, ndf: int = 64, n_layers: int = 3, spectral: bool = False
    ) -> None:
        super().__init__()

        def conv(cin: int, cout: int, stride: int) -> nn.Module:
            layer = nn.Conv2d(cin, cout, 4, stride=stride, padding=1)
            return spectral_norm(layer) if spectral else layer

        layers: list[nn.Module] = [conv(in_channels, ndf, 2), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            layers.append(conv(ndf * prev, ndf * mult, 2 if n < n_layers else 1))
            if not spectral:
                layers.append(nn.InstanceNorm2d(ndf * mult))
            layers.append(nn.LeakyReLU(0.2, True))
        layers.append(conv(ndf * mult, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, image: Tensor) -> Tensor:
        return self.model(image)


class ImagePool(nn.Module):
    """The history of generated images D trains on (Shrivastava et al.); half of each query is swapped.

    The stored images travel in `state_dict()` as extra state, so a resumed run sees the same pool.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.images: Tensor | None = None

    def query(self, images: Tensor) -> Tensor:
        """Detached images for D: each new one, or (half the time once full) a stored one it replaces."""
        images = images.detach().float()  # float32 so the stored history does not depend on autocast
        if self.size == 0:
            return images
        out = []
        for image in images:
            stored = 0 if self.images is None else len(self.images)
            if stored < self.size:
                self.images = image[None] if self.images is None else torch.cat([self.images, image[None]])
                out.append(image)
            elif torch.rand(()) < 0.5:
                slot = int(torch.randint(self.size, ()))
                out.append(self.images[slot].clone())
                self.images[slot] = image
            else:
                out.append(image)
        return torch.stack(out)

    def get_extra_state(self) -> Tensor:
        return torch.empty(0) if self.images is None else self.images

    def set_extra_state(self, state: Tensor) -> None:
        self.images = None if state.numel() == 0 else state.clone()


class CycleGan(GanModel):
    name = "cyclegan"
    config_class = CycleGanConfig
    network_names = ("G_A2B", "G_B2A", "D_A", "D_B")
    config: CycleGanConfig

    def __init__(self, config: CycleGanConfig) -> None:
        super().__init__(config)
        self.G_A2B = ResnetGenerator(**self.generator_config())
        self.G_B2A = ResnetGenerator(**self.generator_config())
        self.D_A = PatchDiscriminator(ndf=config.ndf, n_layers=config.n_layers_d, spectral=config.d_spectral)
        self.D_B = PatchDiscriminator(ndf=config.ndf, n_layers=config.n_layers_d, spectral=config.d_spectral)
        for net in (self.G_A2B, self.G_B2A, self.D_A, self.D_B):
            init_normal(net, config.init_std)
        self.pool_a = ImagePool(config.pool_size)
        self.pool_b = ImagePool(config.pool_size)
        self.nce: PatchNCEHead | None = None
        if config.lambda_nce > 0:
            with torch.no_grad():
                probe = sequential_features(self.G_A2B.model, torch.zeros(1, 3, 16, 16), config.nce_layers)
            widths = [f.shape[1] for f in probe]
            self.nce = PatchNCEHead(widths, config.nce_dim, config.nce_patches, config.nce_tau)

    @property
    def generator(self) -> nn.Module:
        return self.G_A2B

    def generator_config(self) -> dict[str, Any]:
        # `residual` only when set, so generators (and packs) without the option keep their exact config.
        residual = {"residual": True} if self.config.residual else {}
        return {"ngf": self.config.ngf, "n_blocks": self.config.n_blocks, **residual}

    def networks(self) -> dict[str, nn.Module]:
        nets = super().networks()
        if self.nce is not None:
            nets["nce"] = self.nce
        return nets

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        heads = [self.nce] if self.nce is not None else []
        return {
            "G": self.adam([self.G_A2B, self.G_B2A, *heads]),
            "D": self.adam([self.D_A, self.D_B], lr=self.config.discriminator_lr),
        }

    def train_step(
        self,
        real_a: Tensor,
        real_b: Tensor,
        style_b: Tensor | None,
        optimizers: Mapping[str, torch.optim.Optimizer],
        scaler: torch.amp.GradScaler | None,
    ) -> dict[str, float]:
        cfg = self.config
        g_a2b, g_b2a = self.net("G_A2B"), self.net("G_B2A")
        lambda_idt = cfg.identity_ratio * cfg.lambda_cycle
        taps = [self.G_A2B.model[i] for i in cfg.nce_layers] if self.nce is not None else []
        if cfg.warming_up(optimizers["G"]):
            return self.warmup_step(real_a, real_b, optimizers, scaler)
        with self.autocast(real_a.device, scaler):
            with FeatureTap(taps) as photo_taps:
                fake_b = g_a2b(real_a)
            fake_a = g_b2a(real_b)
            rec_a = g_b2a(fake_b)
            rec_b = g_a2b(fake_a)
            # The discriminators only judge here: their raw modules keep DDP out of G's backward.
            set_requires_grad([self.D_A, self.D_B], False)
            g_adv = generator_loss(cfg.gan_loss, self.D_B(cfg.augment(fake_b))) + generator_loss(
                cfg.gan_loss, self.D_A(cfg.augment(fake_a))
            )
            cycle = l1(rec_a, real_a) + l1(rec_b, real_b)
            loss_g = g_adv + cfg.lambda_cycle * cycle
            idt = torch.zeros((), device=real_a.device)
            if lambda_idt > 0:
                idt = l1(g_a2b(real_b), real_b) + l1(g_b2a(real_a), real_a)
                loss_g = loss_g + lambda_idt * idt
            extra: dict[str, Tensor] = {}
            if cfg.lambda_swd > 0:
                extra["swd"] = cfg.patch_loss((fake_b, real_b), (fake_a, real_a))
                loss_g = loss_g + cfg.lambda_swd * extra["swd"]
            if self.nce is not None:
                # The translation through the same encoder (only as deep as the tapped layers).
                queries = sequential_features(self.G_A2B.model, fake_b, cfg.nce_layers)
                extra["nce"] = self.net("nce")(queries, photo_taps.last())
                loss_g = loss_g + cfg.lambda_nce * extra["nce"]
        optimise(loss_g, optimizers["G"], scaler)
        return {
            **{k: v.item() for k, v in extra.items()},
            "G_adv": g_adv.item(),
            "cycle": cycle.item(),
            "idt": idt.item(),
            **self.discriminator_steps(real_a, real_b, fake_a, fake_b, optimizers, scaler),
        }

    def warmup_step(
        self,
        real_a: Tensor,
        real_b: Tensor,
        optimizers: Mapping[str, torch.optim.Optimizer],
        scaler: torch.amp.GradScaler | None,
    ) -> dict[str, float]:
        """An identity warm-up step: both generators fit L1 to their inputs; D trains as usual."""
        with self.autocast(real_a.device, scaler):
            fake_b, fake_a = self.net("G_A2B")(real_a), self.net("G_B2A")(real_b)
            warmup = l1(fake_b, real_a) + l1(fake_a, real_b)
        optimise(warmup, optimizers["G"], scaler)
        return {
            "warmup": warmup.item(),
            **self.discriminator_steps(real_a, real_b, fake_a, fake_b, optimizers, scaler),
        }

    def discriminator_steps(
        self,
        real_a: Tensor,
        real_b: Tensor,
        fake_a: Tensor,
        fake_b: Tensor,
        optimizers: Mapping[str, torch.optim.Optimizer],
        scaler: torch.amp.GradScaler | None,
    ) -> dict[str, float]:
        """`d_steps` updates of both discriminators on the reals and the pooled fakes (then the scaler's)."""
        cfg, d_a, d_b = self.config, self.net("D_A"), self.net("D_B")
        set_requires_grad([self.D_A, self.D_B], True)
        pooled_b, pooled_a = self.pool_b.query(fake_b), self.pool_a.query(fake_a)
        n_b, n_a = len(real_b), len(real_a)
        for d_step in range(cfg.d_steps):
            if scaler is not None and d_step > 0:
                scaler.update()  # one scaler step per optimiser between updates
            with self.autocast(real_a.device, scaler):
                # Real and pooled fake through D in one batch (instance norm is per sample): one DDP forward.
                logits_b = d_b(cfg.augment(torch.cat([real_b, pooled_b])))
                logits_a = d_a(cfg.augment(torch.cat([real_a, pooled_a])))
                loss_d_b = discriminator_loss(cfg.gan_loss, logits_b[:n_b], logits_b[n_b:])
                loss_d_a = discriminator_loss(cfg.gan_loss, logits_a[:n_a], logits_a[n_a:])
            optimise(loss_d_a + loss_d_b, optimizers["D"], scaler)
        if scaler is not None:
            scaler.update()
        return {"D_A": loss_d_a.item(), "D_B": loss_d_b.item(), "D": (loss_d_a + loss_d_b).item()}

    @torch.no_grad()
    def samples(self, real_a: Tensor, real_b: Tensor) -> dict[str, Tensor]:
        anime_result = self.G_A2B(real_a)
        return {
            "photo": real_a,
            "anime_result": anime_result,
            "reconstruction": self.G_B2A(anime_result),
            "anime": real_b,
            "photo_result": self.G_B2A(real_b),
        }
