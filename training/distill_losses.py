"""Losses of paired distillation: a multi-scale gradient loss for crisp ink, and a temporal term.

The temporal term asks the generator to commute with small motions: G(W(x)) = W(G(x)) for a random
small similarity warp W (rotation, scale, shift) of the input crop, compared where both are defined.
A face that moves a little between frames then moves its drawing the same little, instead of
redrawing it differently (flicker). A per-pixel net (e.g. a 1x1 conv) commutes exactly; a net that
reacts to position does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def gradient_loss(prediction: Tensor, target: Tensor, scales: int = 3) -> Tensor:
    """Mean L1 between horizontal and vertical finite differences, at 1x, 1/2x, 1/4x ... resolution:
    edges (ink lines) must sit where the target's are, which plain L1 rewards only weakly."""
    total = prediction.new_zeros(())
    p, t = prediction.float(), target.float()
    for level in range(scales):
        if level:
            p, t = F.avg_pool2d(p, 2), F.avg_pool2d(t, 2)
        for dim in (2, 3):
            total = total + F.l1_loss(torch.diff(p, dim=dim), torch.diff(t, dim=dim))
    return total / (2 * scales)


def random_similarity(
    n: int, max_rotate_deg: float, max_scale: float, max_shift: float, device: torch.device
) -> Tensor:
    """[n, 2, 3] affine_grid matrices (normalised coordinates) of random small similarities, drawn
    from torch's RNG (so a resumed run draws the same ones)."""
    u = torch.rand(n, 4, device=device) * 2 - 1
    angle = u[:, 0] * math.radians(max_rotate_deg)
    scale = 1 + u[:, 1] * max_scale
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    shift = u[:, 2:] * 2 * max_shift  # share of the size -> normalised units (the side spans 2)
    return torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)


def warp(images: Tensor, theta: Tensor) -> tuple[Tensor, Tensor]:
    """`images` resampled by `theta` (bilinear) and the mask [N,1,H,W] of pixels that came from
    inside the image (eroded by a pixel, so border interpolation is not compared)."""
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    moved = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    ones = images.new_ones(images.shape[0], 1, *images.shape[2:])
    inside = F.grid_sample(ones, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    mask = (-F.max_pool2d(-inside, 3, stride=1, padding=1) > 0.999).to(images.dtype)
    return moved, mask


def temporal_loss(warped_output: Tensor, output_of_warped: Tensor, mask: Tensor) -> Tensor:
    """Masked mean |G(W(x)) - W(G(x))| (both carry gradients)."""
    diff = (output_of_warped.float() - warped_output.float()).abs() * mask
    return diff.sum() / (mask.sum() * diff.shape[1]).clamp_min(1.0)


def equivariance_error(generator: Callable[[Tensor], Tensor], images: Tensor, theta: Tensor) -> Tensor:
    """temporal_loss of `generator` on `images` under `theta` (for tests and benches)."""
    moved, mask = warp(images, theta)
    warped_output, _ = warp(generator(images), theta)
    return temporal_loss(warped_output, generator(moved), mask)
