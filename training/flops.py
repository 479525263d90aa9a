"""Parameter and multiply-accumulate counts of a generator, by forward hooks (no extra dependency).

Counted per image: convolutions (output elements x input channels per group x kernel area; for
transposed convs the input elements instead), linear layers, and one MAC per element for
normalisations (their scale-and-shift). Activations, pooling and resampling count as free, the
usual thop/ptflops convention: CycleGAN's ResNet-9 at 256x256 comes to 49.58 G, of which 49.55 G are
convolutions, the ~49.6 GMACs usually quoted.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from animecam.engine.nets.layers import ConditionalInstanceNorm

_NORMS = (nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm, ConditionalInstanceNorm)


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _layer_macs(layer: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> int:
    if isinstance(layer, nn.Conv2d):
        kh, kw = layer.kernel_size
        return output.numel() * (layer.in_channels // layer.groups) * kh * kw
    if isinstance(layer, nn.ConvTranspose2d):
        kh, kw = layer.kernel_size
        return inputs[0].numel() * (layer.out_channels // layer.groups) * kh * kw
    if isinstance(layer, nn.Linear):
        return math.prod(output.shape[:-1]) * layer.in_features * layer.out_features
    if isinstance(layer, _NORMS):
        return output.numel()
    return 0


def count_macs(generator: nn.Module, size: int) -> int:
    """MACs of one forward pass of `generator` on a single size x size RGB image (style: an even mix)."""
    total = 0

    def hook(layer: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        nonlocal total
        total += _layer_macs(layer, inputs, output)

    counted = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, *_NORMS)
    handles = [m.register_forward_hook(hook) for m in generator.modules() if isinstance(m, counted)]
    param = next(generator.parameters())
    num_styles = int(getattr(generator, "num_styles", 1))
    image = torch.zeros(1, 3, size, size, device=param.device)
    style = torch.full((1, num_styles), 1.0 / num_styles, device=param.device)
    was_training = generator.training
    try:
        generator.eval()
        with torch.no_grad():
            generator(image, style)
    finally:
        generator.train(was_training)
        for handle in handles:
            handle.remove()
    return total


def gmacs(generator: nn.Module, size: int) -> float:
    """Giga-MACs of one forward pass at size x size."""
    return count_macs(generator, size) / 1e9
