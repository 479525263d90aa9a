"""The model registry: name -> GanModel class (the training side: losses, discriminators, steps).
Each model's generator is a network of `animecam.engine.nets` under the same name.

    model = MODELS["twingan"](TwinGanConfig(num_styles=2))
    gen = build_generator("twingan", **model.generator_config())
"""

from __future__ import annotations

from typing import Any

from animecam.core.errors import UserError
from animecam.engine.nets import build_generator
from animecam.training.models.base import GanModel, ModelConfig
from animecam.training.models.cyclegan import CycleGan, CycleGanConfig
from animecam.training.models.distill import DistillConfig, TwinGanRtDistill
from animecam.training.models.generator_file import load_generator, save_generator
from animecam.training.models.realtime import TwinGanRt, TwinGanRtConfig
from animecam.training.models.twingan import TwinGan, TwinGanConfig

MODELS: dict[str, type[GanModel]] = {
    model.name: model for model in (CycleGan, TwinGan, TwinGanRt, TwinGanRtDistill)
}


def model_class(name: str) -> type[GanModel]:
    if name not in MODELS:
        raise UserError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    return MODELS[name]


def build_model(name: str, options: dict[str, Any] | None = None) -> GanModel:
    """A model from its registry name and (JSON/TOML) config options over the defaults."""
    cls = model_class(name)
    return cls(cls.config_class.from_dict(options or {}))


__all__ = [
    "MODELS",
    "CycleGan",
    "CycleGanConfig",
    "DistillConfig",
    "GanModel",
    "ModelConfig",
    "TwinGan",
    "TwinGanConfig",
    "TwinGanRt",
    "TwinGanRtConfig",
    "TwinGanRtDistill",
    "build_generator",
    "build_model",
    "load_generator",
    "model_class",
    "save_generator",
]
