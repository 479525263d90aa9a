"""TwinGAN's generator (Jerry Li, 2018): an encoder and a PGGAN-style UNet decoder over K+1 domains
(domain 0 photo, 1..K anime styles). Every conv weight is shared; each domain owns only its rows of
the conditional instance norms, so a style mix interpolates norm parameters. `norm="adalin"` makes
those U-GAT-IT's adaptive layer-instance norms (per-domain rho too); the default is instance norm.
`residual=True` adds the output to the input image (its last conv starting at zero, so an untrained
generator is the identity and training learns only the change); the default is a tanh output."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from animecam.engine.nets.layers import CondConvBlock, zero_output


class TwinGenerator(nn.Module):
    """Encoder + UNet generator over K+1 domains; forward(image, style) is the exported photo->anime."""

    def __init__(
        self,
        channels: list[int] | tuple[int, ...],
        num_styles: int = 1,
        convs_per_block: int = 2,
        pixel_norm: bool = False,
        skips: bool = True,
        style_dim: int = 0,
        embedding_drop: float = 0.0,
        norm: str = "in",
        residual: bool = False,
    ) -> None:
        super().__init__()
        self.num_styles = num_styles
        self.residual = residual
        self.num_domains = num_styles + 1
        self.skips = skips
        self.style_dim = style_dim
        self.embedding_drop = embedding_drop
        chans = list(channels)
        self.size_multiple = 2 ** (len(chans) - 1)  # image sides must divide by this (UNet skips)

        def block(cin: int, cout: int, convs: int, embed_dim: int = 0) -> CondConvBlock:
            return CondConvBlock(cin, cout, convs, self.num_domains, embed_dim, pixel_norm, norm)

        self.stem = block(3, chans[0], 1)
        self.down = nn.ModuleList(
            block(chans[i - 1], chans[i], convs_per_block) for i in range(1, len(chans))
        )
        # Only the generator half takes the reference embedding: it conditions how anime is drawn.
        self.up = nn.ModuleList(
            block(chans[i] + (chans[i - 1] if skips else 0), chans[i - 1], convs_per_block, style_dim)
            for i in range(len(chans) - 1, 0, -1)
        )
        self.to_rgb = nn.Conv2d(chans[0], 3, 1)
        if residual:
            zero_output(self.to_rgb)
        self.style_proj = nn.Linear(chans[-1], style_dim, bias=False) if style_dim > 0 else None

    def photo_domain(self, like: Tensor) -> Tensor:
        """One-hot photo weights [N, D] for a batch like `like` (built from it, so export keeps N dynamic)."""
        ones = torch.ones_like(like.reshape(like.shape[0], -1)[:, :1])
        return torch.cat([ones, ones.expand(-1, self.num_styles) * 0], dim=1)

    def even_style(self, like: Tensor) -> Tensor:
        """An even mix over the K anime styles, [N, K] for a batch like `like`."""
        return self.photo_domain(like)[:, :1].expand(-1, self.num_styles) / self.num_styles

    def anime_domain(self, style: Tensor) -> Tensor:
        """Domain weights [N, D] for anime style mix weights [N, K]."""
        return torch.cat([torch.zeros_like(style[:, :1]), style], dim=1)

    def encode(self, image: Tensor, domain: Tensor) -> tuple[Tensor, list[Tensor]]:
        """The shared latent and the skip features (fine to coarse)."""
        x = self.stem(image, domain)
        skips = []
        for block in self.down:
            skips.append(x)
            x = block(F.avg_pool2d(x, 2), domain)
        return x, skips

    def decode(
        self,
        latent: Tensor,
        skips: list[Tensor],
        domain: Tensor,
        embedding: Tensor | None = None,
        image: Tensor | None = None,
    ) -> tuple[Tensor, list[Tensor]]:
        """The image and the decoder's feature maps (coarse to fine; used by distillation). A residual
        generator adds its output to `image`, the input."""
        x, features = latent, []
        for block, skip in zip(self.up, reversed(skips), strict=True):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = block(torch.cat([x, skip], dim=1) if self.skips else x, domain, embedding)
            features.append(x)
        if not self.residual:
            return torch.tanh(self.to_rgb(x)), features
        if image is None:
            raise ValueError("a residual generator decodes onto its input: pass image")
        return (image + self.to_rgb(x)).clamp(-1.0, 1.0), features

    def embed(self, reference: Tensor, domain: Tensor) -> Tensor:
        """A reference anime image's style embedding: its pooled latent, projected, scaled by the anime
        share of `domain` (photo targets get none) and randomly dropped in training, so the model also
        works without a reference (the exported ONNX has no reference input)."""
        if self.style_proj is None:
            raise ValueError("this generator was built with style_dim=0 and takes no reference image")
        latent, _ = self.encode(reference, domain)
        embedding = self.style_proj(latent.mean(dim=(2, 3))) * (1 - domain[:, :1])
        if self.training and self.embedding_drop > 0:
            keep = torch.rand(len(embedding), 1, device=embedding.device) >= self.embedding_drop
            embedding = embedding * keep
        return embedding

    def forward(
        self,
        image: Tensor,
        style: Tensor | None = None,
        *,
        source: Tensor | None = None,
        target: Tensor | None = None,
        reference: Tensor | None = None,
        with_features: bool = False,
    ) -> Tensor | tuple[Tensor, list[Tensor]]:
        """Translate `image` from domain weights `source` (default photo) to `target` (default the anime
        mix `style` [N, K], itself defaulting to an even mix)."""
        if source is None:
            source = self.photo_domain(image)
        if target is None:
            if style is None:
                style = self.even_style(image)
            target = self.anime_domain(style)
        embedding = None if reference is None else self.embed(reference, target)
        latent, skips = self.encode(image, source)
        out, features = self.decode(latent, skips, target, embedding, image)
        return (out, features) if with_features else out
