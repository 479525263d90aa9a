"""`animecam train export RUN --out PACK [--tensorrt]`: a run's EMA generator as a style pack.

The pack (engine/packs/pack.py's format) holds the ONNX model (opset 18, batch 1..4; a `style` input
[N,K] when the model has several styles), the generator's weights as safetensors (for the torch
backend and `animecam twin`), one preview per style (a public-domain face photo and its result) and
the run's metadata: data source, steps, final losses. Export checks the ONNX model against the torch
generator (relative error <= 1e-4) before writing anything.
"""

from __future__ import annotations

import argparse
import logging
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from animecam.core.errors import UserError
from animecam.core.samples import astronaut_bgr
from animecam.engine.backends import MAX_BATCH
from animecam.training.config import TrainConfig
from animecam.training.data import FaceAligner, centre_square, to_image, to_tensor
from animecam.training.models import GanModel, build_model, save_generator
from animecam.training.trainer import RUN_FILE, Checkpoints, unprefixed

ONNX_OPSET = 18
PARITY_TOLERANCE = 1e-4


class LoadedRun:
    """A run folder's config, summary and model whose generator holds the EMA weights."""

    def __init__(self, run_dir: Path) -> None:
        import json

        self.run_dir = run_dir
        self.config = TrainConfig.load(run_dir)
        checkpoints = Checkpoints(run_dir / "checkpoints", self.config.keep_checkpoints)
        if not checkpoints.steps():
            raise UserError(f"{run_dir} has no checkpoint yet; train it first ('animecam train run')")
        self.step = checkpoints.steps()[-1]
        tensors, _ = checkpoints.load(self.step)
        options = self.config.options_for_model()
        options.pop("teacher", None)  # a distillation teacher is not needed to run the student
        self.model: GanModel = build_model(self.config.model, options).eval()
        self.model.generator.load_state_dict(unprefixed("ema", tensors))
        summary_path = run_dir / RUN_FILE
        self.summary: dict[str, Any] = (
            json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
        )

    @property
    def generator(self) -> nn.Module:
        return self.model.generator

    @property
    def num_styles(self) -> int:
        return int(getattr(self.generator, "num_styles", 1))


def export_onnx(generator: nn.Module, num_styles: int, size: int, path: Path) -> list[str]:
    """Write the generator as ONNX with a dynamic batch axis; returns the input names."""
    generator = generator.eval()
    image = torch.rand(1, 3, size, size) * 2 - 1
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    args: tuple[torch.Tensor, ...] = (image,)
    dynamic: dict[str, Any] = {"image": {0: batch}}
    if num_styles > 1:
        args, dynamic = (
            (image, torch.full((1, num_styles), 1.0 / num_styles)),
            {**dynamic, "style": {0: batch}},
        )
    names = ["image", "style"][: len(args)]
    # The exporter reports optional ops it skips (torchvision's) and axis renaming: noise for users.
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            generator,
            args,
            str(path),
            input_names=names,
            output_names=["output"],
            dynamic_shapes=dynamic,
            opset_version=ONNX_OPSET,
            dynamo=True,
            verbose=False,
        )
    return names


def check_parity(generator: nn.Module, onnx_path: Path, num_styles: int, size: int) -> float:
    """Largest |onnx - torch| / max|torch| over a batch of 3 with mixed styles; UserError above 1e-4."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    images = torch.rand(3, 3, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1
    styles = torch.softmax(torch.arange(3 * num_styles, dtype=torch.float32).reshape(3, num_styles), dim=1)
    feed = {"image": images.numpy(), "style": styles.numpy()}
    got = session.run(["output"], {i.name: feed[i.name] for i in session.get_inputs()})[0]
    with torch.no_grad():
        want = generator(images, styles).numpy()
    error = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-12))
    if error > PARITY_TOLERANCE:
        raise UserError(
            f"the exported ONNX model differs from the torch generator (relative error {error:.2e})"
        )
    return error


def preview_photo(size: int) -> np.ndarray:
    """The public-domain astronaut photo (scikit-image) as an aligned face crop, BGR."""
    photo = astronaut_bgr()
    crops = FaceAligner(size).crops(photo)
    return crops[0] if crops else centre_square(photo, size)


@torch.no_grad()
def write_previews(generator: nn.Module, styles: list[str], size: int, folder: Path) -> dict[str, Path]:
    """One PNG per style: the photo and its stylised result side by side."""
    photo = preview_photo(size)
    image = to_tensor(photo)[None]
    previews = {}
    for index, name in enumerate(styles):
        weights = torch.nn.functional.one_hot(torch.tensor([index]), len(styles)).float()
        result = to_image(generator(image, weights)[0])
        path = folder / f"{name}.png"
        cv2.imwrite(str(path), np.concatenate([photo, result], axis=1))
        previews[name] = path
    return previews


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:64] or "style"


def export_pack(
    run_dir: Path,
    out: Path,
    *,
    name: str | None = None,
    style_names: list[str] | None = None,
    license: str = "unspecified",
    version: str = "1.0.0",
) -> Path:
    """Write the style pack of a run's latest checkpoint (EMA generator) and return its folder."""
    from animecam.engine.packs import write_pack

    run = LoadedRun(run_dir)
    size = run.config.image_size
    styles = [slug(s) for s in (style_names or run.summary.get("styles") or ["anime"])]
    if len(styles) != run.num_styles:
        raise UserError(f"the model has {run.num_styles} styles but {len(styles)} names were given")
    data_source = run.summary.get("data_source", "unrecorded")
    with tempfile.TemporaryDirectory(prefix="animecam-export-") as tmp:
        folder = Path(tmp)
        onnx_path = folder / "model.onnx"
        export_onnx(run.generator, run.num_styles, size, onnx_path)
        error = check_parity(run.generator, onnx_path, run.num_styles, size)
        weights = folder / "weights.safetensors"
        save_generator(weights, run.model)
        previews = write_previews(run.generator, styles, size, folder)
        metadata = {
            "model": run.config.model,
            "data_source": data_source,
            "steps": run.step,
            "losses": run.summary.get("losses", {}),
            "train_seconds": run.summary.get("train_seconds"),
            "image_size": size,
            "onnx_parity_relative_error": float(f"{error:.3g}"),
        }
        return write_pack(
            out,
            name=slug(name or out.resolve().name),  # the folder a person exported it to
            version=version,
            model_family=run.config.model,
            input_size=size,
            styles=[{"name": s, "license": license, "data_source": data_source} for s in styles],
            onnx_path=onnx_path,
            weights_path=weights,
            previews=previews,
            model_config=run.model.generator_config(),
            metadata=metadata,
        )


def build_tensorrt(pack_dir: Path) -> str:
    """Build the pack's TensorRT plan into the local plan cache, or say in one line why not."""
    from animecam.engine.backends import BACKENDS
    from animecam.engine.builder import TENSORRT_MISSING, ensure_plan
    from animecam.engine.packs import StylePack

    # The backend's own check (TensorRT, cuda-python and a GPU), not torch's: the CPU torch build
    # this project recommends says "no CUDA" on a machine that can build plans.
    if not BACKENDS["tensorrt"].available():
        return f"TensorRT plan not built: {TENSORRT_MISSING}"
    return f"TensorRT plan: {ensure_plan(StylePack.load(pack_dir))}"


def run_export(args: argparse.Namespace) -> int:
    names = [s.strip() for s in args.style_names.split(",")] if args.style_names else None
    pack = export_pack(args.run, args.out, name=args.name, style_names=names, license=args.license)
    print(pack)
    if args.tensorrt:
        print(build_tensorrt(pack))
    return 0
