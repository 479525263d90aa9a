"""TensorRT plans: build one from a pack's ONNX (fp16 or fp32), cache it, find it again.

Plans are built locally and cached under the data folder's `plans/<pack>-<model hash>/`, one file per
GPU model + TensorRT version + precision (a plan only runs on the GPU model and TensorRT release that
built it). Plans shipped inside a pack (`trt_plans` in style.json) are used only when the caller
passes `trust_pack_plans=True`: a plan is an opaque binary that TensorRT deserialises without
further checks. Everything here imports TensorRT lazily, so it can be imported without it.

The network is always built strongly typed: TensorRT 11 removed the weakly typed builder flags
(BuilderFlag.FP16 is gone), so fp16 means an ONNX model whose weights and arithmetic are fp16
(converted here, inputs and outputs kept float32, normalisation kept fp32 for its range), which also
builds the same way on TensorRT 10.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from animecam.core.errors import UserError
from animecam.engine.packs import StylePack, plans_dir

WORKSPACE_BYTES = 1 << 30
MAX_BATCH = 4
# Kept in fp32 by the fp16 conversion: reductions over a whole feature map lose too much in fp16.
FP32_OPS = ("InstanceNormalization", "ReduceMean", "ReduceSumSquare", "Pow", "Sqrt", "Reciprocal")
TENSORRT_MISSING = (
    "TensorRT is not available here: it needs an NVIDIA GPU, its driver and "
    "pip install 'animecam[tensorrt]' (TensorRT 10+ and cuda-python)"
)


def fp16_model_bytes(model_bytes: bytes) -> bytes:
    """The same ONNX model computing in fp16, with float32 inputs/outputs (casts at the edges)."""
    try:
        import onnx
        from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16
    except ImportError:
        raise UserError(
            "fp16 models need the onnx package: pip install onnx (or use --precision fp32)"
        ) from None
    model = onnx.load_model_from_string(model_bytes)
    converted = convert_float_to_float16(
        model, keep_io_types=True, op_block_list=[*DEFAULT_OP_BLOCK_LIST, *FP32_OPS]
    )
    return converted.SerializeToString()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower() or "unknown"


def plan_key(gpu: str, trt_version: str, precision: str) -> str:
    """File stem of a plan: the three things a plan is only valid for."""
    return f"{_slug(gpu)}-trt{_slug(trt_version)}-{precision}"


def plan_path(pack: StylePack, gpu: str, trt_version: str, precision: str) -> Path:
    return plans_dir() / pack.model_id / f"{plan_key(gpu, trt_version, precision)}.plan"


def _tqdm_monitor(trt: Any) -> Any:
    """An IProgressMonitor that draws one tqdm bar per top-level build phase."""
    from tqdm import tqdm

    class TqdmMonitor(trt.IProgressMonitor):
        def __init__(self) -> None:
            trt.IProgressMonitor.__init__(self)
            self._bars: dict[str, Any] = {}

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            if parent_phase is None:
                self._bars[phase_name] = tqdm(total=num_steps, desc=phase_name, unit="step", disable=None)

        def step_complete(self, phase_name: str, step: int) -> bool:
            bar = self._bars.get(phase_name)
            if bar is not None:
                bar.n = step + 1
                bar.refresh()
            return True  # False would cancel the build

        def phase_finish(self, phase_name: str) -> None:
            bar = self._bars.pop(phase_name, None)
            if bar is not None:
                bar.close()

    return TqdmMonitor()


def build_plan(onnx_path: Path, plan_file: Path, *, precision: str = "fp16", progress: bool = True) -> Path:
    """Build a serialized TensorRT engine (batch 1..4 at the model's size) and write it atomically."""
    from animecam.engine.backends.tensorrt import trt

    if trt is None:
        raise UserError(TENSORRT_MISSING)
    model_bytes = onnx_path.read_bytes()
    if precision == "fp16":
        model_bytes = fp16_model_bytes(model_bytes)
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    parser = trt.OnnxParser(network, logger)
    # Parsing bytes (not the file) means external-data references inside the model cannot be followed.
    if not parser.parse(model_bytes):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise UserError(f"{onnx_path}: TensorRT cannot parse this model ({errors[:200]})")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
    profile = builder.create_optimization_profile()
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        item = tuple(tensor.shape)[1:]
        profile.set_shape(tensor.name, (1, *item), (1, *item), (MAX_BATCH, *item))
    config.add_optimization_profile(profile)
    if progress:
        config.progress_monitor = _tqdm_monitor(trt)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise UserError(f"{onnx_path}: TensorRT could not build a {precision} plan (see its log above)")
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=plan_file.parent, suffix=".partial")
    with os.fdopen(fd, "wb") as handle:
        handle.write(serialized)
    os.replace(tmp, plan_file)
    return plan_file


def ensure_plan(
    pack: StylePack,
    *,
    precision: str = "fp16",
    trust_pack_plans: bool = False,
    rebuild: bool = False,
    progress: bool = True,
) -> Path:
    """The cached plan for this GPU + TensorRT + precision, building it on first use."""
    from animecam.engine.backends.tensorrt import gpu_name, trt

    if trt is None:
        raise UserError(TENSORRT_MISSING)
    gpu, version = gpu_name(), trt.__version__
    if trust_pack_plans and not rebuild:
        for entry in pack.trt_plans.values():
            if (_slug(entry["gpu"]), entry["tensorrt"], entry["precision"]) == (
                _slug(gpu),
                version,
                precision,
            ):
                return pack.root / entry["file"]
    target = plan_path(pack, gpu, version, precision)
    if target.is_file() and not rebuild:
        return target
    return build_plan(pack.onnx_path, target, precision=precision, progress=progress)
