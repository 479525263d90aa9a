"""Differentiable augmentation for the discriminators (Zhao et al. 2020, "Differentiable Augmentation
for Data-Efficient GAN Training"): real and generated images both pass through the same kinds of
random transform before D sees them, in D's update and in G's adversarial term alike, so D cannot win
by memorising the few training images and G still gets gradients through the transform.

Policies, comma-separated: `color` (brightness, saturation, contrast), `translation` (shift by up to
1/8 of the side, zero-filled) and `cutout` (one zeroed square of half the side per image).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

POLICIES = ("color", "translation", "cutout")


def check_policy(policy: str) -> tuple[str, ...]:
    """The policy's parts; an unknown part is a ValueError (a config error, caught at build time)."""
    parts = tuple(p for p in policy.split(",") if p)
    unknown = [p for p in parts if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown d_augment part(s) {', '.join(unknown)}; choose from {', '.join(POLICIES)}")
    return parts


def _rand(image: Tensor) -> Tensor:
    """One uniform [0, 1) number per image, shaped to broadcast over [N, C, H, W]."""
    return torch.rand(len(image), 1, 1, 1, dtype=image.dtype, device=image.device)


def color(image: Tensor) -> Tensor:
    image = image + (_rand(image) - 0.5)  # brightness, on the [-1, 1] scale: +-0.25 of the range
    mean = image.mean(dim=1, keepdim=True)
    image = (image - mean) * (_rand(image) * 2) + mean  # saturation x0..2
    mean = image.mean(dim=(1, 2, 3), keepdim=True)
    return (image - mean) * (_rand(image) + 0.5) + mean  # contrast x0.5..1.5


def translation(image: Tensor, ratio: float = 0.125) -> Tensor:
    """Shift each image by up to `ratio` of its side, filling with zeros (grey on the [-1, 1] scale)."""
    n, _, h, w = image.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sy, sy + 1, (n, 1, 1), device=image.device)
    tx = torch.randint(-sx, sx + 1, (n, 1, 1), device=image.device)
    grid_y, grid_x = torch.meshgrid(
        torch.arange(h, device=image.device), torch.arange(w, device=image.device), indexing="ij"
    )
    # Indices into a one-pixel zero border: out-of-range reads land on the border.
    y = (grid_y[None] + ty + 1).clamp(0, h + 1)
    x = (grid_x[None] + tx + 1).clamp(0, w + 1)
    padded = F.pad(image, (1, 1, 1, 1))
    flat = (y * (w + 2) + x).flatten(1)  # [N, H*W] indices into each padded image
    out = padded.flatten(2).gather(2, flat[:, None].expand(-1, image.shape[1], -1))
    return out.view_as(image)


def cutout(image: Tensor, ratio: float = 0.5) -> Tensor:
    """Zero one square of `ratio` x the side per image, at a random centre."""
    n, _, h, w = image.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=image.device)
    cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=image.device)
    ys = torch.arange(h, device=image.device)[None, :, None]
    xs = torch.arange(w, device=image.device)[None, None, :]
    inside = ((ys - cy).abs() < ch / 2) & ((xs - cx).abs() < cw / 2)
    return image * (~inside)[:, None].to(image.dtype)


_TRANSFORMS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(image: Tensor, parts: tuple[str, ...]) -> Tensor:
    """`image` through each part of the policy in order (the identity for an empty policy)."""
    for part in parts:
        image = _TRANSFORMS[part](image)
    return image
