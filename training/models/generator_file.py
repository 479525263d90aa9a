"""Generator files: a trained generator on its own, rebuildable without its GAN model.

A generator file (`save_generator` / `load_generator`) is a safetensors file holding the generator's
weights with the model name and `generator_config()` in its metadata, so it can be rebuilt without
unpickling anything (the real-time model's distillation teacher is such a file).
"""

from __future__ import annotations

import json
from pathlib import Path

from torch import nn

from animecam.core.errors import UserError
from animecam.engine.nets import build_generator
from animecam.training.models.base import GanModel


def save_generator(path: str | Path, model: GanModel, generator: nn.Module | None = None) -> None:
    """Write `generator` (default: the model's own; pass the EMA copy to keep that) as a generator file."""
    from safetensors.torch import save_file

    state = (generator or model.generator).state_dict()
    metadata = {"model": model.name, "generator_config": json.dumps(model.generator_config())}
    save_file({k: v.detach().contiguous().cpu() for k, v in state.items()}, str(path), metadata=metadata)


def load_generator(path: str | Path) -> tuple[str, nn.Module]:
    """(model name, generator with weights) from a generator file; UserError if it is not one."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    path = Path(path)
    if not path.is_file():
        raise UserError(f"generator file {path} does not exist; pass a .safetensors file written by training")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError) as err:
        raise UserError(f"{path} is not a readable safetensors file ({err}); pass a generator file") from err
    if "model" not in metadata or "generator_config" not in metadata:
        raise UserError(f"{path} has no model/generator_config metadata; save it with save_generator()")
    name = metadata["model"]
    generator = build_generator(name, **json.loads(metadata["generator_config"]))
    missing, unexpected = generator.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise UserError(
            f"{path} does not match a {name} generator (missing {len(missing)}, "
            f"unexpected {len(unexpected)} tensors); was it written by another version?"
        )
    return name, generator


def start_from(model: GanModel, source: str | Path) -> None:
    """Loads the generator weights of a generator file or a style pack folder (its
    weights.safetensors) into `model`'s generator, in place: a run that fine-tunes them."""
    source = Path(source)
    path = source / "weights.safetensors" if source.is_dir() else source
    name, generator = load_generator(path)
    if name != model.name:
        raise UserError(
            f"{source} holds a {name} generator but this run trains {model.name}: pass --model {name}"
        )
    try:
        model.generator.load_state_dict(generator.state_dict())
    except RuntimeError as err:
        first = str(err).splitlines()[1:2] or [str(err)]
        raise UserError(
            f"{source} does not fit this run's generator ({first[0].strip()}): its options (width, number of "
            "styles) differ; train on a dataset with as many styles as the pack has"
        ) from None
