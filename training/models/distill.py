"""twingan-rt-distill: the real-time TwinGAN generator fitted to teacher pairs (training/distill.py).

One generator for every teacher look: the look is the style input [N, K] and lives only in the
per-style rows of the conditional instance norms, so a pack built from it switches and blends looks
by that input alone (`set_style_mix`). The generator is `twingan-rt`'s (the same widths and
speed; nothing of the photo domain is needed, but the photo row stays so the net is a TwinGenerator).
Objective per step, on pairs (photo x, teacher drawing y, look s):

    L1(G(x,s), y) + lambda_gradient * multi-scale gradient L1 (crisp ink)
    + lambda_adv * hinge PatchGAN (spectral norm, one output per look: sharpness)
    + lambda_temporal * |G(W(x),s) - W(G(x,s))| for a random small similarity W (no flicker)
    + lambda_moved_pixel * |G(W(x),s) - W(y)| (the moved copy is a training sample too)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from animecam.engine.nets.layers import init_normal
from animecam.engine.nets.twin import TwinGenerator
from animecam.training.distill_losses import gradient_loss, random_similarity, temporal_loss, warp
from animecam.training.losses import GanLossKind, check_gan_loss, discriminator_loss, generator_loss, l1
from animecam.training.models.base import GanModel, ModelConfig, optimise, set_requires_grad
from animecam.training.models.twingan import SpectralPatchDiscriminator


@dataclass
class DistillConfig(ModelConfig):
    lr: float = 1e-3  # a regression target: Adam with its usual betas learns far faster than GAN's
    betas: tuple[float, float] = (0.9, 0.999)
    channels: tuple[int, ...] = (16, 32, 48, 64, 128)  # twingan-rt's: 1.36 GMACs at 256x256
    convs_per_block: int = 1
    pixel_norm: bool = False
    skips: bool = True
    lambda_pixel: float = 1.0
    lambda_gradient: float = 1.0
    lambda_adv: float = 0.01  # small: the pairs carry the look; D only sharpens what L1 blurs
    lambda_temporal: float = 1.0
    # The moved copy the temporal term needs costs a full forward; supervising it too (L1 to the moved
    # drawing, where defined) makes that forward a second training sample instead of a regulariser only.
    lambda_moved_pixel: float = 1.0
    temporal_rotate_deg: float = 3.0  # the motion between two frames of a face, roughly
    temporal_scale: float = 0.03
    temporal_shift: float = 0.03  # share of the crop side
    gan_loss: GanLossKind = "hinge"
    ndf: int = 16  # at 256 px a 32-wide D cost half of G's step here; 16 sharpens as well
    n_layers_d: int = 2
    lr_d: float = 2e-4
    betas_d: tuple[float, float] = (0.5, 0.999)

    def __post_init__(self) -> None:
        check_gan_loss(self.gan_loss)
        if len(self.channels) < 2 or self.num_styles < 1:
            raise ValueError("need at least two widths and one style")


class TwinGanRtDistill(GanModel):
    name = "twingan-rt-distill"
    config_class = DistillConfig
    network_names = ("generator_net", "discriminator")
    config: DistillConfig

    def __init__(self, config: DistillConfig) -> None:
        super().__init__(config)
        self.generator_net = TwinGenerator(**self.generator_config())
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
        }

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        optimizers: dict[str, torch.optim.Optimizer] = {"G": self.adam([self.generator_net])}
        if self.config.lambda_adv > 0:  # without the PatchGAN term D is never trained
            d_params = self.discriminator.parameters()
            optimizers["D"] = torch.optim.Adam(d_params, lr=self.config.lr_d, betas=self.config.betas_d)
        return optimizers

    def train_step(
        self,
        real_a: Tensor,
        real_b: Tensor,
        style_b: Tensor | None,
        optimizers: Mapping[str, torch.optim.Optimizer],
        scaler: torch.amp.GradScaler | None,
    ) -> dict[str, float]:
        cfg, n = self.config, len(real_a)
        style = self.generator_net.even_style(real_a) if style_b is None else style_b.to(real_a.dtype)
        theta = random_similarity(
            n, cfg.temporal_rotate_deg, cfg.temporal_scale, cfg.temporal_shift, real_a.device
        )
        moved, mask = warp(real_a, theta)
        with self.autocast(real_a.device, scaler):
            # Instance norm is per sample: the crop and its moved copy share one batched forward.
            out = self.net("generator_net")(torch.cat([real_a, moved]), torch.cat([style, style]))
            fake, fake_moved = out.split([n, n])
            warped_fake, _ = warp(fake, theta)
            moved_b, _ = warp(real_b, theta)
            losses = {
                "pixel": l1(fake, real_b),
                "gradient": gradient_loss(fake, real_b),
                "temporal": temporal_loss(warped_fake, fake_moved, mask),
                "moved_pixel": temporal_loss(moved_b, fake_moved, mask),
            }
            loss_g = (
                cfg.lambda_pixel * losses["pixel"]
                + cfg.lambda_gradient * losses["gradient"]
                + cfg.lambda_temporal * losses["temporal"]
                + cfg.lambda_moved_pixel * losses["moved_pixel"]
            )
            if cfg.lambda_adv > 0:
                set_requires_grad([self.discriminator], False)
                losses["G_adv"] = generator_loss(cfg.gan_loss, self.discriminator(fake, style))
                loss_g = loss_g + cfg.lambda_adv * losses["G_adv"]
        optimise(loss_g, optimizers["G"], scaler)
        scalars = {k: v.item() for k, v in losses.items()}
        if cfg.lambda_adv > 0:
            set_requires_grad([self.discriminator], True)
            with self.autocast(real_a.device, scaler):
                logits = self.net("discriminator")(
                    torch.cat([real_b, fake.detach()]), torch.cat([style, style])
                )
                loss_d = discriminator_loss(cfg.gan_loss, logits[:n], logits[n:])
            optimise(loss_d, optimizers["D"], scaler)
            scalars["D"] = loss_d.item()
        if scaler is not None:
            scaler.update()
        return scalars

    @torch.no_grad()
    def samples(self, real_a: Tensor, real_b: Tensor) -> dict[str, Tensor]:
        """The fixed photos drawn in look 0, next to the teacher's look-0 drawings (`real_b`)."""
        gen = self.generator_net
        first = F.one_hot(torch.zeros(len(real_a), dtype=torch.long, device=real_a.device), gen.num_styles)
        return {"photo": real_a, "anime_result": gen(real_a, first.to(real_a.dtype)), "anime": real_b}
