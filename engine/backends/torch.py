"""Eager torch backend for debugging and training previews (the only engine module importing torch).

The generator is rebuilt from `animecam.engine.nets` with the pack's `model_config` and loaded from the
pack's `weights.safetensors` (safetensors only; nothing is unpickled).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from animecam.core.errors import UserError
from animecam.engine.backends import InferenceBackend
from animecam.engine.nets import build_generator, net_spec
from animecam.engine.packs import StylePack

try:
    import torch
except ImportError:
    torch = None


class TorchBackend(InferenceBackend):
    name = "torch"

    def __init__(
        self, model: StylePack | str | Path, *, input_size: int | None = None, precision: str = "fp32"
    ) -> None:
        super().__init__(model, input_size=input_size, precision=precision)
        pack = self.pack
        if pack is None or pack.weights_path is None:
            raise UserError(
                "the torch backend needs a pack with weights.safetensors; this one has only ONNX: "
                "use --backend onnxruntime"
            )
        from safetensors.torch import load_file


        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            generator = build_generator(pack.model_family, **pack.model_config)
            generator.load_state_dict(load_file(str(pack.weights_path)))
        except (TypeError, RuntimeError, ValueError) as err:
            raise UserError(
                f"{pack.root}: weights.safetensors does not fit its model_config "
                f"({str(err).splitlines()[0][:160]})"
            ) from None
        self._dtype = torch.float16 if precision == "fp16" and self.device == "cuda" else torch.float32
        self.generator = generator.eval().to(self.device, self._dtype)
        self.num_styles = int(generator.num_styles) if net_spec(pack.model_family).takes_style else 0

    @classmethod
    def available(cls) -> bool:
        return torch is not None

    def run(
        self, images: np.ndarray, style: np.ndarray | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        images, style = self._inputs(images, style)
        with torch.inference_mode():
            x = torch.from_numpy(images).to(self.device, self._dtype)
            s = None if style is None else torch.from_numpy(style).to(self.device, self._dtype)
            result = self.generator(x, s).float().cpu().numpy()
        if out is None:
            return result
        out[...] = result
        return out
