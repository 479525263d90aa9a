"""The generator networks style packs carry, shared by the torch backend and the trainer.

A pack's `model_family` names one entry of `NETS`. The registry itself imports no torch, so the pack
schema, the loaders and the CLI can ask what a family is (`net_spec(name).takes_style`) on machines
without the train extra; `build_generator` imports the network's module only when it is called.

    generator = build_generator("twingan-rt", channels=[16, 32], num_styles=3)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from animecam.core.errors import UserError

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class NetSpec:
    name: str  # the pack's model_family
    module: str  # module under animecam.engine.nets defining the class
    cls: str
    # True: forward(image, style) reads the [N, K] style-weight input and the pack may hold K styles;
    # False: one style, the style input is ignored (and absent from the ONNX graph).
    takes_style: bool


NETS: dict[str, NetSpec] = {
    spec.name: spec
    for spec in (
        NetSpec("cyclegan", "resnet", "ResnetGenerator", takes_style=False),
        NetSpec("twingan", "twin", "TwinGenerator", takes_style=True),
        NetSpec("twingan-rt", "twin", "TwinGenerator", takes_style=True),
        # twingan-rt's generator fitted to teacher pairs (training/models/distill.py)
        NetSpec("twingan-rt-distill", "twin", "TwinGenerator", takes_style=True),
    )
}


def net_spec(name: str) -> NetSpec:
    if name not in NETS:
        raise UserError(f"unknown model family {name!r}; choose one of: {', '.join(NETS)}")
    return NETS[name]


def net_class(name: str) -> type[nn.Module]:
    spec = net_spec(name)
    return getattr(importlib.import_module(f"{__name__}.{spec.module}"), spec.cls)


def build_generator(name: str, **cfg: Any) -> nn.Module:
    """The generator of family `name`, from the kwargs its pack's `model_config` holds (needs torch)."""
    return net_class(name)(**cfg)
