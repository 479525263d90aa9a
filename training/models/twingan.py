"""TwinGAN (Jerry Li, 2018): one encoder/generator pair shared by photo and anime domains.

A PGGAN-style generator (nearest upsampling + 3x3 conv blocks, optional pixel norm) decodes the
latent of an encoder symmetric to it, with UNet skips from encoder to generator. Every conv weight is
shared between domains; each domain only owns its rows of the conditional instance norms (domain 0
is photo, 1..K the anime styles), so a style mix interpolates norm parameters. The discriminator is a
spectral-norm PatchGAN with one output per anime style. Losses: photo reconstruction, anime
reconstruction, photo->anime adversarial and photo->anime->photo cycle, each weighted 1.0 as the
author does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from animecam.engine.nets.layers import init_normal
from animecam.engine.nets.twin import TwinGenerator
from animecam.training.losses import GanLossKind, check_gan_loss, discriminator_loss, generator_loss, l1
from animecam.training.models.base import GanModel, ModelConfig, optimise, set_requires_grad


@dataclass
class TwinGanConfig(ModelConfig):
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
    lr_d: float = 2e-4

    def __post_init__(self) -> None:
        check_gan_loss(self.gan_loss)
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
        }

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {
            "G": self.adam([self.generator_net]),
            "D": self.adam([self.discriminator], lr=self.config.lr_d),
        }

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
        reference = real_b[torch.arange(n_a, device=real_b.device) % n_b] if cfg.style_dim > 0 else None
        g_run = self.net("generator_net")
        with self.autocast(real_a.device, scaler):
            # Instance norm is per sample, so the three translations share one batched forward.
            out, features = g_run(
                torch.cat([real_a, real_a, real_b]),
                source=torch.cat([photo, photo, anime_b]),
                target=torch.cat([anime_a, photo, anime_b]),
                with_features=True,
                reference=None if reference is None else torch.cat([reference, reference, real_b]),
            )
            fake_b, rec_a, rec_b = out.split([n_a, n_a, n_b])
            cyc_a = g_run(fake_b, source=anime_a, target=photo)
            set_requires_grad([self.discriminator], False)
            losses = {
                "G_adv": generator_loss(cfg.gan_loss, self.discriminator(fake_b, style_a)),
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
            extra = self.extra_generator_losses(real_a, anime_a, fake_b, [f[:n_a] for f in features])
            for value in extra.values():
                loss_g = loss_g + value
        optimise(loss_g, optimizers["G"], scaler)

        set_requires_grad([self.discriminator], True)
        with self.autocast(real_a.device, scaler):
            logits = self.net("discriminator")(
                torch.cat([real_b, fake_b.detach()]), torch.cat([style_b, style_a])
            )
            loss_d = discriminator_loss(cfg.gan_loss, logits[:n_b], logits[n_b:])
        optimise(loss_d, optimizers["D"], scaler)
        if scaler is not None:
            scaler.update()
        return {**{k: v.item() for k, v in {**losses, **extra}.items()}, "D": loss_d.item()}

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
