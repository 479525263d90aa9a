"""The contract between a GAN model and the trainer.

A `GanModel` owns its networks, its losses and one full optimisation step; the trainer owns the
loop, schedules, checkpoints, EMA and DDP. Networks stay registered as plain submodules (so
`state_dict()` keys do not change when training is distributed); `distribute()` keeps the DDP
wrappers aside and `train_step` runs every gradient-carrying forward through them.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import torch
from torch import Tensor, nn

from animecam.core.errors import UserError
from animecam.training.losses import sliced_wasserstein
from animecam.training.models.augment import check_policy, diff_augment

ConfigT = TypeVar("ConfigT", bound="ModelConfig")


@dataclass
class ModelConfig:
    """Fields every model has; each model subclasses it with its own fields and defaults."""

    num_styles: int = 1  # K anime styles (domains 1..K; domain 0 is photo)
    lr: float = 2e-4  # the trainer applies its schedule on top
    betas: tuple[float, float] = (0.5, 0.999)
    init_std: float = 0.02  # conv weights ~ N(0, init_std)

    @classmethod
    def from_dict(cls: type[ConfigT], values: Mapping[str, Any]) -> ConfigT:
        """Build from JSON/TOML values (lists become tuples); unknown keys are a user error."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise UserError(
                f"unknown model option(s) {', '.join(unknown)}; known: {', '.join(sorted(fields))}"
            )
        defaults = cls()
        converted = {}
        for key, value in values.items():
            default = getattr(defaults, key)
            if isinstance(default, tuple) and isinstance(value, list):
                value = tuple(value)
            elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            converted[key] = value
        try:
            return cls(**converted)
        except (TypeError, ValueError) as err:
            raise UserError(f"bad {cls.__name__} option: {err}") from err

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


@dataclass
class UnpairedConfig(ModelConfig):
    """Options shared by the unpaired models (cyclegan, twingan and its subclasses), all off by default.
    PatchNCE (CUT) ties each output patch to the input patch at the same place in the generator's
    encoder features; `d_steps` and `lr_d` set the discriminator's schedule (n_critic, TTUR);
    `d_augment` passes D's inputs through DiffAugment; `warmup_steps` first fits the generators to the
    identity (their outputs have no input skip, so an unpaired run otherwise spends its first hundreds
    of steps climbing from noise to where the identity already is)."""

    lambda_nce: float = 0.0  # > 0: add PatchNCE with this weight to G's loss
    nce_patches: int = 64  # patch positions sampled per tapped layer and image (CUT: 256)
    nce_dim: int = 64  # width of the projection MLPs (CUT: 256)
    nce_tau: float = 0.07  # InfoNCE temperature
    d_steps: int = 1  # discriminator updates per generator update (on the same batch)
    lr_d: float | None = None  # the discriminator's learning rate; None: the same as lr
    d_augment: str = ""  # DiffAugment policy for D's inputs, e.g. "translation,cutout" (augment.py)
    warmup_steps: int = 0  # first steps: G fits L1 to its input (both directions), D trains as usual
    # > 0: G's translations must also match the target domain's distribution of small colour patches
    # (sliced Wasserstein, losses.sliced_wasserstein) with this weight; `swd_patch` is their side.
    lambda_swd: float = 0.0
    swd_patch: int = 5

    def __post_init__(self) -> None:
        if self.d_steps < 1:
            raise ValueError("d_steps must be at least 1")
        if self.lambda_nce < 0 or self.nce_patches < 2 or self.nce_dim < 1 or self.nce_tau <= 0:
            raise ValueError("PatchNCE needs lambda_nce >= 0, nce_patches >= 2, nce_dim >= 1, nce_tau > 0")
        if self.warmup_steps < 0:
            raise ValueError("warmup_steps must be >= 0")
        if self.lambda_swd < 0 or self.swd_patch < 1:
            raise ValueError("the patch distribution loss needs lambda_swd >= 0 and swd_patch >= 1")
        check_policy(self.d_augment)

    @property
    def discriminator_lr(self) -> float:
        return self.lr if self.lr_d is None else self.lr_d

    def augment(self, image: Tensor) -> Tensor:
        """What D sees of a real or generated batch: `image` through the `d_augment` policy."""
        return diff_augment(image, check_policy(self.d_augment))

    def patch_loss(self, *pairs: tuple[Tensor, Tensor]) -> Tensor:
        """The `lambda_swd` term (unweighted): the patch distribution distance of each
        (translation, target domain batch) pair, summed."""
        return torch.stack([sliced_wasserstein(fake, real, self.swd_patch) for fake, real in pairs]).sum()

    def warming_up(self, generator_optimizer: torch.optim.Optimizer) -> bool:
        """Whether this step is an identity warm-up step. Counted by the optimiser's own step count,
        which checkpoints carry, so a resumed run does not warm up again."""
        return optimizer_steps(generator_optimizer) < self.warmup_steps


def optimizer_steps(optimizer: torch.optim.Optimizer) -> int:
    """How many steps an Adam(-like) optimiser has taken (0 before its first)."""
    for state in optimizer.state.values():
        if "step" in state:
            return int(state["step"])
    return 0


def set_requires_grad(modules: list[nn.Module], flag: bool) -> None:
    for module in modules:
        for param in module.parameters():
            param.requires_grad_(flag)


def optimise(loss: Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None) -> None:
    """zero_grad, backward and step, through the AMP scaler when there is one (update() is the caller's)."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
    else:
        loss.backward()
        optimizer.step()


class GanModel(nn.Module, ABC):
    """A trainable photo->anime GAN: its networks, optimisers and one G+D step."""

    name: ClassVar[str]
    config_class: ClassVar[type[ModelConfig]]
    network_names: ClassVar[tuple[str, ...]]  # attributes holding the trainable nets

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if not isinstance(config, self.config_class):
            raise TypeError(f"{self.name} needs a {self.config_class.__name__}, got {type(config).__name__}")
        self.config = config
        self._wrapped: dict[str, nn.Module] = {}

    @property
    @abstractmethod
    def generator(self) -> nn.Module:
        """The exportable photo->anime generator: forward(image [N,3,H,W], style [N,K]) -> image."""

    @abstractmethod
    def generator_config(self) -> dict[str, Any]:
        """JSON-able kwargs such that `build_generator(self.name, **cfg)` rebuilds the generator."""

    def networks(self) -> dict[str, nn.Module]:
        """Every trainable net by attribute name (the unwrapped modules, also after distribute())."""
        return {name: getattr(self, name) for name in self.network_names}

    def distribute(self, wrap: Callable[[nn.Module], nn.Module]) -> None:
        """Wrap each trainable net (e.g. in DistributedDataParallel) for train_step's forwards."""
        self._wrapped = {name: wrap(net) for name, net in self.networks().items()}

    def net(self, name: str) -> nn.Module:
        """The net to call in a gradient-carrying forward: its DDP wrapper if distributed."""
        wrapped = self._wrapped.get(name)
        return getattr(self, name) if wrapped is None else wrapped

    def adam(self, modules: list[nn.Module], lr: float | None = None) -> torch.optim.Adam:
        params: Iterator[nn.Parameter] = (p for m in modules for p in m.parameters())
        return torch.optim.Adam(params, lr=self.config.lr if lr is None else lr, betas=self.config.betas)

    @abstractmethod
    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    @abstractmethod
    def train_step(
        self,
        real_a: Tensor,
        real_b: Tensor,
        style_b: Tensor | None,
        optimizers: Mapping[str, torch.optim.Optimizer],
        scaler: torch.amp.GradScaler | None,
    ) -> dict[str, float]:
        """One full generator and discriminator update; returns the loss scalars."""

    @abstractmethod
    def samples(self, real_a: Tensor, real_b: Tensor) -> dict[str, Tensor]:
        """Images for sample grids ("photo", "anime_result", "reconstruction", "anime", ...)."""

    def encode(self, image: Tensor, domain: int) -> Tensor:
        raise NotImplementedError(f"{self.name} has no shared latent space")

    @staticmethod
    def autocast(device: torch.device, scaler: torch.amp.GradScaler | None) -> AbstractContextManager[Any]:
        """Mixed precision exactly when the trainer passes an enabled scaler (GPU runs)."""
        if scaler is None or not scaler.is_enabled():
            return nullcontext()
        return torch.autocast(device_type=device.type)
