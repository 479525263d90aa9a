"""Building blocks of the generators (and the trainer's discriminators): initialisation and
domain-conditional normalisation.

TwinGAN's switch between photo and anime (and between several anime styles) is entirely in the
normalisation: every conv weight is shared, while each domain owns one row of gamma/beta. A domain
vector `w` [N, D] (one-hot, or a mix over the anime domains) selects `gamma = w @ gamma_table`, so
mixing two styles interpolates their norm parameters (Dumoulin et al., conditional instance norm).
`ConditionalAdaLIN` is the same with U-GAT-IT's adaptive mix of instance and layer norm (a learned
per-domain, per-channel ratio rho); `CondConvBlock(norm="adalin")` uses it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

NORMS: tuple[str, ...] = ("in", "adalin")


def init_normal(module: nn.Module, std: float = 0.02) -> None:
    """The CycleGAN/pix2pix initialisation: conv and linear weights ~ N(0, std), biases 0.

    Layers flagged `zero_init` keep their zeros (offsets that must start as a no-op)."""
    for layer in module.modules():
        if getattr(layer, "zero_init", False):
            continue
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def zero_output(layer: nn.Conv2d) -> None:
    """Zero a conv and flag it `zero_init` (init_normal keeps it): a residual output starts as a no-op."""
    nn.init.zeros_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    layer.zero_init = True


def pixel_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    """PGGAN's per-pixel feature normalisation (unit mean square over channels)."""
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)


class ConditionalInstanceNorm(nn.Module):
    """Instance norm whose gamma/beta are a weighted mix of per-domain rows.

    With `style_dim > 0` a reference embedding [N, style_dim] adds a learned offset to gamma/beta
    (zero-initialised, so an untrained offset changes nothing).
    """

    def __init__(self, channels: int, num_domains: int, style_dim: int = 0, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(num_domains, channels))
        self.beta = nn.Parameter(torch.zeros(num_domains, channels))
        self.style_offset: nn.Linear | None = None
        if style_dim > 0:
            self.style_offset = nn.Linear(style_dim, 2 * channels)
            nn.init.zeros_(self.style_offset.weight)
            nn.init.zeros_(self.style_offset.bias)
            self.style_offset.zero_init = True

    def forward(self, x: Tensor, domain: Tensor, embedding: Tensor | None = None) -> Tensor:
        gamma = domain @ self.gamma
        beta = domain @ self.beta
        if embedding is not None and self.style_offset is not None:
            d_gamma, d_beta = self.style_offset(embedding).chunk(2, dim=1)
            gamma, beta = gamma + d_gamma, beta + d_beta
        return self.normalise(x, domain) * gamma[:, :, None, None] + beta[:, :, None, None]

    def normalise(self, x: Tensor, domain: Tensor) -> Tensor:
        """The feature normalisation before the domain's gamma/beta (instance norm here)."""
        return F.instance_norm(x, eps=self.eps)


class ConditionalAdaLIN(ConditionalInstanceNorm):
    """Adaptive layer-instance norm (Kim et al. 2020, U-GAT-IT) with per-domain rows:
    rho * IN(x) + (1 - rho) * LN(x), then the domain's gamma/beta. rho [D, C] is mixed by the domain
    weights like gamma and clipped to [0, 1]; it starts at `rho_init` (1.0: plain instance norm, so an
    untrained AdaLIN generator computes what the instance-norm one does)."""

    def __init__(
        self, channels: int, num_domains: int, style_dim: int = 0, eps: float = 1e-5, rho_init: float = 1.0
    ) -> None:
        super().__init__(channels, num_domains, style_dim, eps)
        self.rho = nn.Parameter(torch.full((num_domains, channels), float(rho_init)))

    def normalise(self, x: Tensor, domain: Tensor) -> Tensor:
        rho = (domain @ self.rho).clamp(0.0, 1.0)[:, :, None, None]
        instance = F.instance_norm(x, eps=self.eps)
        layer = F.layer_norm(x, x.shape[1:], eps=self.eps)
        return rho * instance + (1.0 - rho) * layer


def conditional_norm(
    kind: str, channels: int, num_domains: int, style_dim: int = 0
) -> ConditionalInstanceNorm:
    """The per-domain norm called `kind` (one of NORMS)."""
    if kind == "in":
        return ConditionalInstanceNorm(channels, num_domains, style_dim)
    if kind == "adalin":
        return ConditionalAdaLIN(channels, num_domains, style_dim)
    raise ValueError(f"unknown norm {kind!r}; choose one of {', '.join(NORMS)}")


class CondConvBlock(nn.Module):
    """`convs` x (3x3 conv -> conditional norm -> [pixel norm] -> leaky ReLU), weights shared."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        convs: int,
        num_domains: int,
        style_dim: int,
        use_pixel_norm: bool,
        norm: str = "in",
    ) -> None:
        super().__init__()
        self.use_pixel_norm = use_pixel_norm
        self.convs = nn.ModuleList(
            nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, 3, padding=1) for i in range(convs)
        )
        self.norms = nn.ModuleList(
            conditional_norm(norm, out_ch, num_domains, style_dim) for _ in range(convs)
        )

    def forward(self, x: Tensor, domain: Tensor, embedding: Tensor | None = None) -> Tensor:
        for conv, norm in zip(self.convs, self.norms, strict=True):
            x = norm(conv(x), domain, embedding)
            if self.use_pixel_norm:
                x = pixel_norm(x)
            x = F.leaky_relu(x, 0.2)
        return x
