"""TensorRT plans: build one from a pack's ONNX (fp16 or fp32), cache it, find it again.

Plans are built locally and cached under the data folder's `plans/<pack>-<model hash>/`, one file per
GPU model + TensorRT version + build settings (precision, input size, style count, batch profile,
workspace): a plan only runs on the GPU model and TensorRT release that built it, and is only as fast
as the profile it was tuned for. Plans shipped inside a pack (`trt_plans` in style.json) are used only
when the caller passes `trust_pack_plans=True`: a plan is an opaque binary that TensorRT deserialises
without further checks. Everything here imports TensorRT lazily (through engine/backends/nvidia.py),
so it can be imported without it.

The network is always built strongly typed: TensorRT 11 removed the weakly typed builder flags
(BuilderFlag.FP16 is gone), so fp16 means an ONNX model whose weights and arithmetic are fp16
(converted here, inputs and outputs kept float32, normalisation kept fp32 for its range), which also
builds the same way on TensorRT 10.12+. fp32 plans are built without TF32 (on by default), whose
10-bit mantissa would miss the 1e-4 parity with onnxruntime on Ampere and newer GPUs.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animecam.core.errors import UserError
from animecam.engine.backends import MAX_BATCH, nvidia
from animecam.engine.packs import StylePack, plans_dir

WORKSPACE_BYTES = 1 << 30
# The batch TensorRT tunes its kernels for: two faces in view is the common multi-face case, and one
# face still runs (1..MAX_BATCH is the profile's range). Not measured: no GPU was available here.
OPT_BATCH = 2
# Kept in fp32 by the fp16 conversion: reductions over a whole feature map lose too much in fp16.
FP32_OPS = ("InstanceNormalization", "ReduceMean", "ReduceSumSquare", "Pow", "Sqrt", "Reciprocal")
TENSORRT_MISSING = nvidia.TENSORRT_MISSING


@dataclass(frozen=True)
class BuildSettings:
    """Everything a plan is built with besides the model, GPU and TensorRT release."""

    precision: str
    input_size: int
    num_styles: int
    opt_batch: int = OPT_BATCH
    max_batch: int = MAX_BATCH
    workspace_bytes: int = WORKSPACE_BYTES

    @classmethod
    def for_pack(cls, pack: StylePack, precision: str) -> BuildSettings:
        return cls(precision=precision, input_size=pack.input_size, num_styles=pack.num_styles)

    def key(self) -> str:
        return (
            f"{self.precision}-s{self.input_size}-k{self.num_styles}-b{self.opt_batch}of{self.max_batch}"
            f"-ws{self.workspace_bytes >> 20}m"
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


def plan_key(gpu: str, trt_version: str, settings: BuildSettings) -> str:
    """File stem of a plan: everything besides the model that a plan is only valid (or tuned) for."""
    return f"{_slug(gpu)}-trt{_slug(trt_version)}-{settings.key()}"


def plan_path(pack: StylePack, gpu: str, trt_version: str, settings: BuildSettings) -> Path:
    return plans_dir() / pack.model_id / f"{plan_key(gpu, trt_version, settings)}.plan"


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


def _profile_shapes(network: Any, settings: BuildSettings, onnx_path: Path) -> dict[str, tuple[int, ...]]:
    """Per-item shape of each network input, from style.json: the ONNX model's may be symbolic."""
    tensors = [network.get_input(i) for i in range(network.num_inputs)]
    inputs = {tensor.name: tuple(tensor.shape)[1:] for tensor in tensors}
    if "image" not in inputs or set(inputs) - {"image", "style"}:
        raise UserError(
            f"{onnx_path}: the model takes {sorted(inputs)}; a pack's model takes 'image' (and 'style')"
        )
    wanted = nvidia.contract_item_shapes(inputs, settings.input_size, settings.num_styles)
    for name, declared in inputs.items():
        if not nvidia.fits(declared, wanted[name]):
            raise UserError(
                f"{onnx_path}: input {name!r} is {declared} per item; style.json needs {wanted[name]}"
            )
    return {name: wanted[name] for name in inputs}


def _write_atomically(plan_file: Path, serialized: Any) -> None:
    """Write to a temporary file beside the plan, then rename: a reader never sees half a plan, and a
    failed write leaves nothing behind."""
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=plan_file.parent, suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(serialized)
        os.replace(tmp, plan_file)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):  # disk full, read-only folder, a folder in the plan's place
            raise UserError(f"{plan_file}: cannot write the TensorRT plan ({err.strerror or err})") from None
        raise


def build_plan(onnx_path: Path, plan_file: Path, settings: BuildSettings, *, progress: bool = True) -> Path:
    """Build a serialized TensorRT engine (batch 1..max at the pack's size) and write it atomically."""
    trt = nvidia.trt
    if trt is None:
        raise UserError(TENSORRT_MISSING)
    model_bytes = onnx_path.read_bytes()
    if settings.precision == "fp16":
        model_bytes = fp16_model_bytes(model_bytes)
    builder = trt.Builder(nvidia.LOGGER)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    parser = trt.OnnxParser(network, nvidia.LOGGER)
    # Parsing bytes (not the file) means external-data references inside the model cannot be followed.
    if not parser.parse(model_bytes):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise UserError(f"{onnx_path}: TensorRT cannot parse this model ({errors[:200]})")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, settings.workspace_bytes)
    if settings.precision == "fp32":
        config.clear_flag(trt.BuilderFlag.TF32)
    profile = builder.create_optimization_profile()
    for name, item in _profile_shapes(network, settings, onnx_path).items():
        profile.set_shape(name, (1, *item), (settings.opt_batch, *item), (settings.max_batch, *item))
    config.add_optimization_profile(profile)
    if progress:
        config.progress_monitor = _tqdm_monitor(trt)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise UserError(
            f"{onnx_path}: TensorRT could not build a {settings.precision} plan (see its log above)"
        )
    _write_atomically(plan_file, serialized)
    return plan_file


def ensure_plan(
    pack: StylePack,
    *,
    precision: str = "fp16",
    trust_pack_plans: bool = False,
    rebuild: bool = False,
    progress: bool = True,
) -> Path:
    """The cached plan for this GPU + TensorRT + build settings, building it on first use."""
    nvidia.require_tensorrt()
    gpu, version = nvidia.gpu_name(), nvidia.trt.__version__
    if trust_pack_plans and not rebuild:
        for entry in pack.trt_plans.values():
            if (_slug(entry["gpu"]), entry["tensorrt"], entry["precision"]) == (
                _slug(gpu),
                version,
                precision,
            ):
                return pack.root / entry["file"]
    settings = BuildSettings.for_pack(pack, precision)
    target = plan_path(pack, gpu, version, settings)
    if target.is_file() and not rebuild:
        return target
    return build_plan(pack.onnx_path, target, settings, progress=progress)
