"""TwinGAN (Jerry Li, 2018): one encoder/generator pair shared by photo and anime domains.

A PGGAN-style generator (nearest upsampling + 3x3 conv blocks, optional pixel norm) decodes the
latent of an encoder symmetric to it, with UNet skips from encoder to generator. Every conv weight is
shared between domains; each domain only owns its rows of the conditional instance norms (domain 0
is photo, 1..K the anime styles), so a style mix interpolates norm parameters. The discriminator is a
spectral-norm PatchGAN with one output per anime style. Losses: photo reconstruction, anime
reconstruction, photo->anime adversarial and photo->anime->photo cycle, each weighted 1.0 as the
author does.

Options, all off by default (bench/unpaired.py --variant measures them): CycleGAN's identity term
(photo->anime of an anime image leaves it unchanged), PatchNCE between the photo's and its
translation's encoder features (the cycle pass encodes the translation anyway, so it costs no extra
generator pass), U-GAT-IT's AdaLIN in place of instance norm, the discriminator's schedule
(`d_steps`, `lr_d`), DiffAugment of its inputs (`d_augment`), an identity warm-up (`warmup_steps`)
and a residual generator (`residual`: output = input + a change whose last conv starts at zero).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from animecam.engine.nets.layers import NORMS, init_normal
from animecam.engine.nets.twin import TwinGenerator
from animecam.training.losses import GanLossKind, check_gan_loss, discriminator_loss, generator_loss, l1
from animecam.training.models.base import GanModel, UnpairedConfig, optimise, set_requires_grad
from animecam.training.models.patchnce import FeatureTap, PatchNCEHead


@dataclass
class TwinGanConfig(UnpairedConfig):
    # Widths from full resolution down to the latent; each step halves the resolution.
    channels: tuple[int, ...] = (32, 64, 128, 256, 256, 256)
    convs_per_block: int = 2
    pixel_norm: bool = False
    skips: bool = True
    style_dim: int = 0  # > 0: optional reference-character embedding into the norms
    embedding_drop: float = 0.5  # share of training samples decoded without the embedding
    ndf: int = 64
    n_layers_d: int = 3
    gan_loss: GanLossKind = "hinge"
    lambda_adv: float = 1.0
    lambda_rec_photo: float = 1.0
    lambda_rec_anime: float = 1.0
    lambda_cycle: float = 1.0
    lr_d: float | None = 2e-4
    norm: str = "in"  # the generator's per-domain norms: "in" (instance) or "adalin" (U-GAT-IT)
    residual: bool = False  # the generator adds a change to its input (starts as the identity)
    lambda_identity: float = 0.0  # > 0: L1 of photo->anime(anime image) to itself (CycleGAN's identity)
    nce_layers: tuple[int, ...] = (0, 1, 2)  # encoder levels PatchNCE taps: 0 the stem, i the i-th down block

    def __post_init__(self) -> None:
        super().__post_init__()
        check_gan_loss(self.gan_loss)
        if self.norm not in NORMS:
            raise ValueError(f"unknown norm {self.norm!r}; choose one of {', '.join(NORMS)}")
        if self.lambda_nce > 0 and not all(0 <= i < len(self.channels) for i in self.nce_layers):
            raise ValueError(f"nce_layers must be encoder levels 0..{len(self.channels) - 1}")
        if len(self.channels) < 2:
            raise ValueError("twingan needs at least two widths (full resolution and one downsampled)")
        if self.num_styles < 1:
            raise ValueError("num_styles must be at least 1")


class SpectralPatchDiscriminator(nn.Module):
    """PatchGAN with spectral norm on every layer and no normalisation; one logit map per anime style,
    mixed by the style weights (a per-domain output)."""

    def __init__(self, num_styles: int = 1, ndf: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            spectral_norm(nn.Conv2d(3, ndf, 4, stride=2, padding=1)),
            nn.LeakyReLU(0.2),
        ]
        width = ndf
        for n in range(1, n_layers + 1):
            out = ndf * min(2**n, 8)
            layers += [
                spectral_norm(nn.Conv2d(width, out, 4, stride=2 if n < n_layers else 1, padding=1)),
                nn.LeakyReLU(0.2),
            ]
            width = out
        layers.append(spectral_norm(nn.Conv2d(width, num_styles, 4, stride=1, padding=1)))
        self.model = nn.Sequential(*layers)

    def forward(self, image: Tensor, style: Tensor) -> Tensor:
        logits = self.model(image)
        return (logits * style[:, :, None, None]).sum(dim=1, keepdim=True)


class TwinGan(GanModel):
    name = "twingan"
    config_class = TwinGanConfig
    network_names: tuple[str, ...] = ("generator_net", "discriminator")
    config: TwinGanConfig

    def __init__(self, config: TwinGanConfig) -> None:
        super().__init__(config)
        self.generator_net = TwinGenerator(**self.generator_config(), embedding_drop=config.embedding_drop)
        self.discriminator = SpectralPatchDiscriminator(config.num_styles, config.ndf, config.n_layers_d)
        init_normal(self.generator_net, config.init_std)
        init_normal(self.discriminator, config.init_std)
        self.nce: PatchNCEHead | None = None
        if config.lambda_nce > 0:
            widths = [config.channels[i] for i in config.nce_layers]
            self.nce = PatchNCEHead(widths, config.nce_dim, config.nce_patches, config.nce_tau)

    @property
    def generator(self) -> TwinGenerator:
        return self.generator_net

    def generator_config(self) -> dict[str, Any]:
        cfg = self.config
        return {
            "channels": list(cfg.channels),
            "num_styles": cfg.num_styles,
            "convs_per_block": cfg.convs_per_block,
            "pixel_norm": cfg.pixel_norm,
            "skips": cfg.skips,
            "style_dim": cfg.style_dim,
            # Only when set, so generators (and packs) without the option keep their exact config.
            **({"norm": cfg.norm} if cfg.norm != "in" else {}),
            **({"residual": True} if cfg.residual else {}),
        }

    def networks(self) -> dict[str, nn.Module]:
        nets = super().networks()
        if self.nce is not None:
            nets["nce"] = self.nce
        return nets

    def generator_modules(self) -> list[nn.Module]:
        """What G's optimiser trains: the generator and, with PatchNCE, its projection MLPs."""
        return [self.generator_net] + ([self.nce] if self.nce is not None else [])

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {
            "G": self.adam(self.generator_modules()),
            "D": self.adam([self.discriminator], lr=self.config.discriminator_lr),
        }

    def encoder_taps(self) -> FeatureTap:
        """Records the encoder levels PatchNCE compares (no layers, so a no-op, when it is off)."""
        gen = self.generator_net
        levels = [gen.stem, *gen.down]
        return FeatureTap([levels[i] for i in self.config.nce_layers] if self.nce is not None else [])

    def extra_generator_losses(
        self, real_a: Tensor, target_a: Tensor, fake_b: Tensor, features: list[Tensor]
    ) -> dict[str, Tensor]:
        """Weighted extra G losses (the real-time model's distillation); none for the full model."""
        return {}

    def train_step(
        self,
        real_a: Tensor,
        real_b: Tensor,
        style_b: Tensor | None,
        optimizers: Mapping[str, torch.optim.Optimizer],
        scaler: torch.amp.GradScaler | None,
    ) -> dict[str, float]:
        cfg, gen = self.config, self.generator_net
        n_a, n_b = len(real_a), len(real_b)
        style_b = gen.even_style(real_b) if style_b is None else style_b.to(real_b.dtype)
        style_a = style_b[torch.arange(n_a, device=real_b.device) % n_b]  # the style each photo goes to
        photo, anime_a, anime_b = (
            gen.photo_domain(real_a),
            gen.anime_domain(style_a),
            gen.anime_domain(style_b),
        )
        if cfg.warming_up(optimizers["G"]):
            return self.warmup_step(real_a, real_b, style_a, style_b, optimizers, scaler)
        reference = real_b[torch.arange(n_a, device=real_b.device) % n_b] if cfg.style_dim > 0 else None
        identity = cfg.lambda_identity > 0
        # Photo->anime, photo->photo, anime->anime and (identity term) photo->anime of the anime images.
        inputs = [real_a, real_a, real_b, *([real_b] if identity else [])]
        sources = [photo, photo, anime_b, *([gen.photo_domain(real_b)] if identity else [])]
        targets = [anime_a, photo, anime_b, *([anime_b] if identity else [])]
        references = None if reference is None else [reference, reference, real_b, *inputs[3:]]
        g_run = self.net("generator_net")
        with self.autocast(real_a.device, scaler):
            # Instance norm is per sample, so the translations share one batched forward.
            with self.encoder_taps() as photo_taps:
                out, features = g_run(
                    torch.cat(inputs),
                    source=torch.cat(sources),
                    target=torch.cat(targets),
                    with_features=True,
                    reference=None if references is None else torch.cat(references),
                )
            fake_b, rec_a, rec_b, *idt_b = out.split([len(x) for x in inputs])
            with self.encoder_taps() as fake_taps:  # the cycle pass encodes the translation
                cyc_a = g_run(fake_b, source=anime_a, target=photo)
            set_requires_grad([self.discriminator], False)
            losses = {
                "G_adv": generator_loss(cfg.gan_loss, self.discriminator(cfg.augment(fake_b), style_a)),
                "rec_a": l1(rec_a, real_a),
                "rec_b": l1(rec_b, real_b),
                "cycle": l1(cyc_a, real_a),
            }
            loss_g = (
                cfg.lambda_adv * losses["G_adv"]
                + cfg.lambda_rec_photo * losses["rec_a"]
                + cfg.lambda_rec_anime * losses["rec_b"]
                + cfg.lambda_cycle * losses["cycle"]
            )
            if identity:
                losses["idt"] = l1(idt_b[0], real_b)
                loss_g = loss_g + cfg.lambda_identity * losses["idt"]
            if cfg.lambda_swd > 0:
                losses["swd"] = cfg.patch_loss((fake_b, real_b))
                loss_g = loss_g + cfg.lambda_swd * losses["swd"]
            if self.nce is not None:
                keys = [f[:n_a] for f in photo_taps.last()]
                losses["nce"] = self.net("nce")(fake_taps.last(), keys)
                loss_g = loss_g + cfg.lambda_nce * losses["nce"]
            extra = self.extra_generator_losses(real_a, anime_a, fake_b, [f[:n_a] for f in features])
            for value in extra.values():
                loss_g = loss_g + value
        optimise(loss_g, optimizers["G"], scaler)
        loss_d = self.discriminator_steps(real_b, fake_b, style_a, style_b, optimizers, scaler)
        return {**{k: v.item() for k, v in {**losses, **extra}.items()}, "D": loss_d}

    def warmup_step(
        self,
        real_a: Tensor,
        real_b: Tensor,
        style_a: Tensor,
        style_b: Tensor,
        optimizers: Mapping[str, torch.optim.Optimizer],
        scaler: torch.amp.GradScaler | None,
    ) -> dict[str, float]:
        """An identity warm-up step: photo->anime and anime->photo fit L1 to their inputs (one batched
        forward); D trains as usual on the photo->anime outputs."""
        gen = self.generator_net
        sources = torch.cat([gen.photo_domain(real_a), gen.anime_domain(style_b)])
        targets = torch.cat([gen.anime_domain(style_a), gen.photo_domain(real_b)])
        inputs = torch.cat([real_a, real_b])
        with self.autocast(real_a.device, scaler):
            out = self.net("generator_net")(inputs, source=sources, target=targets)
            warmup = l1(out, inputs)
        optimise(warmup, optimizers["G"], scaler)
        loss_d = self.discriminator_steps(real_b, out[: len(real_a)], style_a, style_b, optimizers, scaler)
        return {"warmup": warmup.item(), "D": loss_d}

    def discriminator_steps(
        self,
        real_b: Tensor,
        fake_b: Tensor,
        style_a: Tensor,
        style_b: Tensor,
        optimizers: Mapping[str, torch.optim.Optimizer],
        scaler: torch.amp.GradScaler | None,
    ) -> float:
        """`d_steps` updates of D on the anime images and the translations (then the scaler's); D's loss."""
        cfg, n_b = self.config, len(real_b)
        set_requires_grad([self.discriminator], True)
        for d_step in range(cfg.d_steps):
            if scaler is not None and d_step > 0:
                scaler.update()  # one scaler step per optimiser between updates
            with self.autocast(real_b.device, scaler):
                logits = self.net("discriminator")(
                    cfg.augment(torch.cat([real_b, fake_b.detach()])), torch.cat([style_b, style_a])
                )
                loss_d = discriminator_loss(cfg.gan_loss, logits[:n_b], logits[n_b:])
            optimise(loss_d, optimizers["D"], scaler)
        if scaler is not None:
            scaler.update()
        return loss_d.item()

    @torch.no_grad()
    def samples(self, real_a: Tensor, real_b: Tensor) -> dict[str, Tensor]:
        gen = self.generator_net
        photo, anime = gen.photo_domain(real_a), gen.anime_domain(gen.even_style(real_a))
        anime_result = gen(real_a, source=photo, target=anime)
        anime_b = gen.anime_domain(gen.even_style(real_b))
        return {
            "photo": real_a,
            "anime_result": anime_result,
            "reconstruction": gen(real_a, source=photo, target=photo),
            "cycle": gen(anime_result, source=anime, target=photo),
            "anime": real_b,
            "anime_reconstruction": gen(real_b, source=anime_b, target=anime_b),
        }

    @torch.no_grad()
    def encode(self, image: Tensor, domain: int) -> Tensor:
        """The shared latent [N, C, h, w] of `image` read as domain `domain` (0 photo, 1..K anime)."""
        gen = self.generator_net
        if not 0 <= domain < gen.num_domains:
            raise ValueError(f"domain must be in 0..{gen.num_domains - 1}, got {domain}")
        weights = F.one_hot(torch.full((len(image),), domain, device=image.device), gen.num_domains).to(
            image.dtype
        )
        return gen.encode(image, weights)[0]
