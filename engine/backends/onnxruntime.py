"""ONNX Runtime backend: the default everywhere (CPU here; CUDA / TensorRT providers with onnxruntime-gpu).

Latency settings: one intra-op thread per core, sequential execution (one small graph, nothing to
run in parallel), every graph optimisation, no spinning of idle threads. The model is given to ORT
as bytes read from the verified pack file, so an ONNX file cannot pull in external data from
elsewhere on disk.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from animecam.core.errors import UserError
from animecam.engine.backends import InferenceBackend
from animecam.engine.packs import StylePack, plans_dir

try:
    import onnxruntime as ort
except ImportError:  # pragma: no cover - onnxruntime is a core dependency
    ort = None

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:200]


class OnnxRuntimeBackend(InferenceBackend):
    name = "onnxruntime"

    def __init__(
        self,
        model: StylePack | str | Path,
        *,
        input_size: int | None = None,
        precision: str = "fp32",
        providers: list[str] | None = None,
    ) -> None:
        super().__init__(model, input_size=input_size, precision=precision)
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle pool threads would otherwise spin and steal the cores the pipeline's other stages
        # (capture, detector, paste) need between frames: 99 vs 123 ms per twingan-rt 256² crop here
        # with a 10 ms gap between runs on a busy 2-core machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model_bytes = self._model_bytes()
        try:
            self.session = ort.InferenceSession(
                model_bytes, options, providers=providers or self._providers()
            )
        except Exception as err:  # ORT raises its own exception types (Fail, InvalidGraph, ...)
            raise UserError(
                f"{self.onnx_path}: onnxruntime cannot load this model ({_first_line(err)})"
            ) from None
        self.device = "cuda" if self.session.get_providers()[0] in GPU_PROVIDERS else "cpu"
        self._check_signature()

    def _model_bytes(self) -> bytes:
        data = self.onnx_path.read_bytes()
        if self.precision == "fp16":
            from animecam.engine.builder import fp16_model_bytes

            data = fp16_model_bytes(data)
        return data

    def _providers(self) -> list[str | tuple[str, dict[str, str]]]:
        available = ort.get_available_providers()
        providers: list[str | tuple[str, dict[str, str]]] = []
        if "TensorrtExecutionProvider" in available and self.pack is not None:
            cache = plans_dir() / self.pack.model_id / "ort-trt"
            cache.mkdir(parents=True, exist_ok=True)
            providers.append(
                (
                    "TensorrtExecutionProvider",
                    {
                        "trt_engine_cache_enable": "True",
                        "trt_engine_cache_path": str(cache),
                        "trt_fp16_enable": str(self.precision == "fp16"),
                    },
                )
            )
        if "CUDAExecutionProvider" in available:
            providers.append("CUDAExecutionProvider")
        providers.append("CPUExecutionProvider")
        return providers

    def _check_signature(self) -> None:
        """Refuse models that do not follow the pack contract (packs/pack.py), with a one-line reason."""
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = [o.name for o in self.session.get_outputs()]
        where = f"{self.onnx_path}:"
        if "image" not in inputs or outputs[:1] != ["output"] or set(inputs) - {"image", "style"}:
            raise UserError(
                f"{where} the model must take 'image' (and optionally 'style') and return 'output';"
                f" it takes {sorted(inputs)} and returns {outputs}"
            )
        shape = inputs["image"].shape
        if (
            len(shape) != 4
            or shape[1] != 3
            or any(isinstance(d, int) and d != self.input_size for d in shape[2:])
        ):
            raise UserError(
                f"{where} input 'image' has shape {shape}; expected [N,3,{self.input_size},"
                f"{self.input_size}] as style.json says"
            )
        if "style" in inputs:
            style_shape = inputs["style"].shape
            if len(style_shape) != 2 or not isinstance(style_shape[1], int) or style_shape[1] < 1:
                raise UserError(f"{where} input 'style' has shape {style_shape}; expected [N,K]")
            self.num_styles = style_shape[1]
            if self.pack is not None and self.num_styles != self.pack.num_styles:
                raise UserError(
                    f"{where} takes {self.num_styles} style weights but style.json lists "
                    f"{self.pack.num_styles} styles"
                )

    @classmethod
    def available(cls) -> bool:
        return ort is not None

    def run(
        self, images: np.ndarray, style: np.ndarray | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        images, style = self._inputs(images, style)
        feeds = {"image": images} if style is None else {"image": images, "style": style}
        if out is None or self.device != "cpu":
            result = self.session.run(["output"], feeds)[0]
            if out is None:
                return result
            out[...] = result
            return out
        # A caller's buffer on CPU: ORT writes straight into it through I/O binding. Measured here it is
        # no faster than run() (the output copy is ~0.1 ms at 256²), so plain run() stays the default.
        out = self._output(images, out)
        binding = self.session.io_binding()
        for name, array in feeds.items():
            binding.bind_cpu_input(name, array)
        binding.bind_output("output", "cpu", 0, np.float32, out.shape, out.ctypes.data)
        self.session.run_with_iobinding(binding)
        return out
