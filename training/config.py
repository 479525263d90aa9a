"""Training configuration: one typed dataclass with every knob and its default, and named presets.

A run folder keeps its configuration as `config.json`, so a run can be resumed, exported or read by
a person without the command line that started it. Model options live in `model_options`, keyed by
model name, so one preset can hold sizes for every model and `--model` picks among them.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from animecam.core.errors import UserError

CONFIG_FILE = "config.json"


@dataclass
class AugmentConfig:
    flip: bool = True  # horizontal flips (faces and drawings are left-right symmetric enough)
    max_rotate: float = 5.0  # degrees of affine jitter
    max_scale: float = 0.05  # +- share of size
    max_shift: float = 0.03  # +- share of size
    brightness: float = 0.1  # +- share, colour jitter
    contrast: float = 0.1
    saturation: float = 0.1


@dataclass
class TrainConfig:
    model: str = "twingan"
    model_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # model name -> options
    image_size: int = 256
    batch_size: int = 1  # per process; torchrun multiplies it by the world size
    steps: int = 200_000
    decay_steps: int = 100_000  # the last `decay_steps` decay the learning rate linearly to zero
    ema_decay: float = 0.999
    log_every: int = 50
    sample_every: int = 1000
    checkpoint_every: int = 5000
    keep_checkpoints: int = 3
    time_limit_minutes: float = 0.0  # > 0: stop (and checkpoint) once training took this long
    time_limit_cpu: bool = False  # count the limit in this process's CPU time (fair on a busy machine)
    seed: int = 0
    amp: bool = True  # mixed precision when training on a GPU (ignored on CPU)
    workers: int = 4  # DataLoader worker processes
    threads: int = 0  # torch CPU threads (0 = torch's default); 1 is fastest on a busy, small CPU
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    dataset: str | None = None  # a prepared (training/data.py) or selfie2anime-layout folder
    # A generator file or style pack folder whose generator weights the run starts from (fine-tuning,
    # e.g. the bundled engine on one person's clip); None = fresh weights.
    init: str | None = None

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1 or self.image_size < 16:
            raise UserError("steps and batch_size must be positive and image_size at least 16")
        if not 0 <= self.decay_steps <= self.steps:
            self.decay_steps = min(max(self.decay_steps, 0), self.steps)
        if not 0.0 <= self.ema_decay < 1.0:
            raise UserError(f"ema_decay must be in [0, 1), got {self.ema_decay}")

    def options_for_model(self) -> dict[str, Any]:
        return dict(self.model_options.get(self.model, {}))

    def lr_factor(self, step: int) -> float:
        """Learning-rate multiplier after `step` steps: constant, then linear to zero over decay_steps."""
        constant = self.steps - self.decay_steps
        if step < constant or self.decay_steps == 0:
            return 1.0
        return max(0.0, 1.0 - (step - constant) / self.decay_steps)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UserError(
                f"unknown training option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values = dict(values)
        if isinstance(values.get("augment"), dict):
            values["augment"] = AugmentConfig(**values["augment"])
        return cls(**values)

    def save(self, run_dir: Path) -> Path:
        path = run_dir / CONFIG_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, run_dir: Path) -> TrainConfig:
        path = run_dir / CONFIG_FILE
        if not path.is_file():
            raise UserError(f"{run_dir} is not a training run: it has no {CONFIG_FILE}")
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as err:
            raise UserError(f"{path} is not a valid training config ({err})") from None


# Small widths and a high learning rate so 64x64 CPU runs learn within minutes (bench/unpaired.py).
# TwinGAN's author weights every loss 1.0; in a budget of ~2000 steps that lets the adversarial term
# paint colour artefacts below the identity's score (-0.6 dB in 10 CPU-minutes), so reconstruction
# and cycle weigh 10 (CycleGAN's cycle weight) and G learns at half D's rate (+0.85 dB).
_SMALL_MODELS: dict[str, dict[str, Any]] = {
    "cyclegan": {"ngf": 16, "ndf": 16, "n_blocks": 3, "n_layers_d": 2, "pool_size": 10, "lr": 1e-3},
    "twingan": {
        "channels": [16, 32, 64], "ndf": 16, "n_layers_d": 2, "lr": 5e-4, "lr_d": 1e-3,
        "lambda_cycle": 10.0, "lambda_rec_photo": 10.0, "lambda_rec_anime": 10.0,
    },
    "twingan-rt": {"channels": [16, 32, 48, 64], "ndf": 16, "n_layers_d": 2, "lr": 1e-3, "lr_d": 1e-3},
}
_TINY_MODELS: dict[str, dict[str, Any]] = {
    "cyclegan": {"ngf": 4, "ndf": 4, "n_blocks": 1, "n_layers_d": 1, "pool_size": 4},
    "twingan": {"channels": [4, 8, 8], "ndf": 4, "n_layers_d": 1},
    "twingan-rt": {"channels": [4, 8, 8], "ndf": 4, "n_layers_d": 1},
    "twingan-rt-distill": {"channels": [4, 8, 8], "ndf": 4, "n_layers_d": 1},
}

_DISTILL_256 = TrainConfig(
    model="twingan-rt-distill",
    model_options={"twingan-rt-distill": {"lr": 2e-3}},
    image_size=256,
    batch_size=2,
    steps=500,
    decay_steps=250,
    time_limit_minutes=100.0,
    time_limit_cpu=True,
    ema_decay=0.97,
    log_every=10,
    sample_every=100,
    checkpoint_every=25,
    keep_checkpoints=2,
    workers=0,
    threads=2,
)

PRESETS: dict[str, TrainConfig] = {
    # The real thing: selfie2anime (or your own faces) at 256x256 on one GPU, ~2-3 days for twingan.
    "selfie2anime-256": TrainConfig(),
    # CycleGAN paper schedule on selfie2anime (3400 images, batch 1): 100 + 100 epochs.
    "cyclegan-paper": TrainConfig(model="cyclegan", steps=680_000, decay_steps=340_000),
    # The bench's unpaired 64x64 task on CPU.
    "unpaired-64": TrainConfig(
        model_options=_SMALL_MODELS,
        image_size=64,
        batch_size=4,
        steps=3000,
        decay_steps=1000,
        ema_decay=0.99,
        log_every=20,
        sample_every=500,
        checkpoint_every=1000,
        workers=0,
        threads=1,
    ),
    # The bundled twingan-rt pack: 128x128 on CPU in about a quarter of an hour.
    "bundled-128": TrainConfig(
        model="twingan-rt",
        # The real-time widths, a small D; a high learning rate for a run of a few hundred steps.
        model_options={"twingan-rt": {"ndf": 16, "n_layers_d": 2, "lr": 1e-3, "lr_d": 1e-3}},
        image_size=128,
        batch_size=4,
        steps=900,
        decay_steps=400,
        time_limit_minutes=14.0,
        time_limit_cpu=True,
        ema_decay=0.99,
        log_every=20,
        sample_every=150,
        checkpoint_every=300,
        workers=0,
        threads=1,
    ),
    # The bundled twingan-anime engine: twingan-rt's generator fitted to teacher pairs at 256 px on a
    # shared 2-core CPU (scripts/train_twingan_anime.sh). Few, costly steps: a high learning rate, a
    # short EMA, checkpoints often (the recipe stops it by time and exports the latest).
    "distill-256": _DISTILL_256,
    # Fine-tuning the bundled engine for longer on a quiet 2-core host (0.4 s a batch-2 step there):
    # twice the batch at half the learning rate (batch 2 at 2e-3 made the loss swing by half its
    # value between steps; it fell only once the rate decayed), the rate decaying over the second half.
    "distill-256-long": dataclasses.replace(
        _DISTILL_256,
        model_options={"twingan-rt-distill": {"lr": 1e-3}},
        batch_size=4,
        steps=6000,
        decay_steps=3000,
        time_limit_minutes=240.0,
        ema_decay=0.99,
        sample_every=250,
        checkpoint_every=50,
    ),
    # A newcomer's first run: a small twingan-rt at 64 px for one minute of wall time on a laptop-class
    # CPU, e.g. on the faces the dependencies ship (`train data --teacher anime --size 64`). It
    # proves train -> export -> styles install; its drawing is a blurry sketch of the look.
    "cpu-minute": TrainConfig(
        model="twingan-rt",
        model_options=_SMALL_MODELS,
        image_size=64,
        batch_size=4,
        steps=2000,
        decay_steps=500,
        time_limit_minutes=1.0,
        ema_decay=0.95,
        log_every=20,
        sample_every=100,
        checkpoint_every=500,
        workers=0,
        threads=1,  # two threads on two busy cores ran 7x slower per step here than one
    ),
    # Tests: a few steps of tiny networks (a pack trained with it draws a grey oval, as expected).
    "cpu-tiny": TrainConfig(
        model_options=_TINY_MODELS,
        image_size=32,
        batch_size=2,
        steps=4,
        decay_steps=2,
        ema_decay=0.5,
        log_every=1,
        sample_every=2,
        checkpoint_every=2,
        workers=0,
        threads=1,
    ),
}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """A fresh copy of the named preset with `overrides` (None values are ignored)."""
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    values = PRESETS[name].to_dict()
    given = {k: v for k, v in overrides.items() if v is not None}
    if "steps" in given and "decay_steps" not in given:  # keep the preset's share of decaying steps
        given["decay_steps"] = round(given["steps"] * values["decay_steps"] / values["steps"])
    values.update(given)
    return TrainConfig.from_dict(values)


def describe_presets() -> str:
    lines = []
    for name, config in PRESETS.items():
        lines.append(
            f"{name:<18} model {config.model:<10} {config.image_size}px batch {config.batch_size} "
            f"steps {config.steps} (decay {config.decay_steps})"
            + (f", stops after {config.time_limit_minutes:g} min" if config.time_limit_minutes > 0 else "")
        )
    return "\n".join(lines)
