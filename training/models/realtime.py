"""twingan-rt: TwinGAN with a generator sized for engine/'s CPU budget (1.36 GMACs at 256x256).

The same conditional-norm multi-style generator, losses and training step as `twingan`, only narrower
and with one conv per block (dense 3x3 convs: on a 2-core CPU they beat depthwise ones). Optionally
distilled from a trained full TwinGAN generator: L1 to the teacher's output plus, if weighted, an L1
between the student's decoder features (through learned 1x1 projections) and the teacher's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from animecam.core.errors import UserError
from animecam.training.losses import feature_distillation, l1
from animecam.training.models.generator_file import load_generator
from animecam.training.models.twingan import TwinGan, TwinGanConfig, TwinGenerator


@dataclass
class TwinGanRtConfig(TwinGanConfig):
    # Multiples of 16 fill onnxruntime's AVX-512 NCHWc blocks; 1.36 GMACs, the decoder convs dominate.
    channels: tuple[int, ...] = (16, 32, 48, 64, 128)
    convs_per_block: int = 1
    teacher: str | None = None  # generator .safetensors of a trained full twingan (save_generator)
    lambda_distill: float = 1.0  # L1 between student and teacher outputs
    lambda_distill_features: float = 0.0  # L1 between projected decoder features, finest levels first


class FeatureAdapters(nn.Module):
    """1x1 convs from the student's decoder widths to the teacher's, finest levels matched by resolution."""

    def __init__(self, student_widths: list[int], teacher_widths: list[int]) -> None:
        super().__init__()
        levels = min(len(student_widths), len(teacher_widths))
        self.levels = levels
        pairs = zip(student_widths[-levels:], teacher_widths[-levels:], strict=True)
        self.proj = nn.ModuleList(nn.Conv2d(s, t, 1) for s, t in pairs)

    def forward(self, features: list[Tensor]) -> list[Tensor]:
        return [proj(f) for proj, f in zip(self.proj, features[-self.levels :], strict=True)]


def decoder_widths(generator: TwinGenerator) -> list[int]:
    """Output widths of the decoder blocks, coarse to fine (the order of its features)."""
    return [block.convs[-1].out_channels for block in generator.up]


class TwinGanRt(TwinGan):
    name = "twingan-rt"
    config_class = TwinGanRtConfig
    config: TwinGanRtConfig

    def __init__(self, config: TwinGanRtConfig) -> None:
        super().__init__(config)
        # The teacher is frozen and kept out of the registered submodules (and so out of checkpoints).
        self._teacher: dict[str, TwinGenerator] = {}
        self.adapters: FeatureAdapters | None = None
        if config.teacher is not None:
            teacher = self._load_teacher(config.teacher)
            self._teacher["net"] = teacher
            if config.lambda_distill_features > 0:
                self.adapters = FeatureAdapters(decoder_widths(self.generator_net), decoder_widths(teacher))

    def _load_teacher(self, path: str) -> TwinGenerator:
        name, teacher = load_generator(path)
        if not isinstance(teacher, TwinGenerator):
            raise UserError(
                f"distillation teacher {path} is a {name} generator; pass a twingan generator file"
            )
        if teacher.num_styles != self.config.num_styles:
            raise UserError(
                f"teacher {path} has {teacher.num_styles} styles but the model has "
                f"{self.config.num_styles}; set num_styles to match"
            )
        teacher.requires_grad_(False)
        return teacher.eval()

    def networks(self) -> dict[str, nn.Module]:
        nets = super().networks()
        if self.adapters is not None:
            nets["adapters"] = self.adapters
        return nets

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        optimizers = super().make_optimizers()
        if self.adapters is not None:
            optimizers["G"] = self.adam([*self.generator_modules(), self.adapters])
        return optimizers

    def extra_generator_losses(
        self, real_a: Tensor, target_a: Tensor, fake_b: Tensor, features: list[Tensor]
    ) -> dict[str, Tensor]:
        if "net" not in self._teacher:
            return {}
        teacher = self._teacher["net"].to(real_a.device)
        with torch.no_grad():
            teacher_out, teacher_features = teacher(
                real_a, source=teacher.photo_domain(real_a), target=target_a, with_features=True
            )
        losses = {"distill": self.config.lambda_distill * l1(fake_b, teacher_out)}
        if self.adapters is not None:
            projected = self.net("adapters")(features)
            losses["distill_features"] = self.config.lambda_distill_features * feature_distillation(
                projected, teacher_features[-len(projected) :]
            )
        return losses
