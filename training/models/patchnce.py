"""PatchNCE for the unpaired models (Park et al. 2020, "Contrastive Learning for Unpaired
Image-to-Image Translation"): a patch of the output should be most like the input patch at the same
place, in the generator's own encoder features, and unlike the other patches of that image.

`FeatureTap` records what chosen layers output during forwards the model runs anyway (so TwinGAN's
cycle pass, which encodes the translated image, gives the output features for free, and DDP sees
every forward); `PatchNCEHead` holds CUT's small per-layer MLPs and samples the patches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from animecam.training.losses import patch_nce


class FeatureTap:
    """`with FeatureTap(modules) as tap:` records each module's outputs, in call order, in
    `tap.outputs[i]`; `tap.last()` is the latest output of every module."""

    def __init__(self, modules: Sequence[nn.Module]) -> None:
        self.modules = list(modules)
        self.outputs: list[list[Tensor]] = [[] for _ in self.modules]
        self._handles: list[RemovableHandle] = []

    def __enter__(self) -> FeatureTap:
        for index, module in enumerate(self.modules):
            self._handles.append(module.register_forward_hook(self._recorder(index)))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _recorder(self, index: int) -> Callable[[nn.Module, object, Tensor], None]:
        def hook(module: nn.Module, inputs: object, output: Tensor) -> None:
            self.outputs[index].append(output)

        return hook

    def last(self) -> list[Tensor]:
        missing = [i for i, out in enumerate(self.outputs) if not out]
        if missing:
            raise RuntimeError(f"tapped layers {missing} did not run")
        return [out[-1] for out in self.outputs]


def sequential_features(layers: nn.Sequential, image: Tensor, indices: Sequence[int]) -> list[Tensor]:
    """Outputs of `layers[i]` for each i in `indices`, running the stack only as far as needed."""
    wanted, out, x = set(indices), {}, image
    for i, layer in enumerate(layers[: max(indices) + 1]):
        x = layer(x)
        if i in wanted:
            out[i] = x
    return [out[i] for i in indices]


class PatchNCEHead(nn.Module):
    """CUT's projection F: per tapped layer a 2-layer MLP to `dim`, L2-normalised, over `patches`
    random positions (the same positions in input and output features)."""

    def __init__(self, widths: Sequence[int], dim: int = 64, patches: int = 64, tau: float = 0.07) -> None:
        super().__init__()
        if not widths or dim < 1 or patches < 2 or tau <= 0:
            raise ValueError("PatchNCE needs layers, dim >= 1, patches >= 2 and tau > 0")
        self.patches, self.tau = patches, tau
        self.mlps = nn.ModuleList(
            nn.Sequential(nn.Linear(width, dim), nn.ReLU(), nn.Linear(dim, dim)) for width in widths
        )

    def forward(self, output_features: Sequence[Tensor], input_features: Sequence[Tensor]) -> Tensor:
        """Mean PatchNCE over layers: queries from the output's features, keys from the input's."""
        if not len(output_features) == len(input_features) == len(self.mlps):
            raise ValueError(f"need {len(self.mlps)} feature maps on each side")
        losses = []
        for mlp, query, key in zip(self.mlps, output_features, input_features, strict=True):
            if query.shape != key.shape:
                raise ValueError(f"feature shapes differ: {tuple(query.shape)} vs {tuple(key.shape)}")
            positions = query.shape[2] * query.shape[3]
            ids = torch.randperm(positions, device=query.device)[: min(self.patches, positions)]

            def project(features: Tensor, mlp: nn.Module = mlp, ids: Tensor = ids) -> Tensor:
                picked = features.flatten(2)[:, :, ids].transpose(1, 2)  # [N, P, C]
                return F.normalize(mlp(picked.float()), dim=-1)

            losses.append(patch_nce(project(query), project(key.detach()), self.tau))
        return torch.stack(losses).mean()
