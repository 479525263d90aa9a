"""Generator speed per architecture x crop size x backend, from one run (never run by the tests).

    python bench/engines.py                                  # every arch in animecam.training.models.MODELS
    python bench/engines.py --archs twingan-rt --sizes 256 --repeats 20
    python bench/engines.py --json                           # rows: arch, size, backend, ms, params, gmacs

Backends: `torch` (eager), `onnxruntime` (fp32), `onnxruntime-int8` (static QDQ quantisation with
onnxruntime.quantization, calibrated on random crops: a speed figure, its quality is not measured),
`tensorrt` (fp16; only where TensorRT and a GPU exist). Each row is the median of `--repeats` single-crop
runs after warm-up; a slow row stops repeating once it has used `--budget` seconds. Small models vary
10-35% between runs on a busy machine: compare rows of one run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BACKENDS = ("torch", "onnxruntime", "onnxruntime-int8", "tensorrt")
DEFAULT_BACKENDS = ("torch", "onnxruntime", "onnxruntime-int8")
BASELINE, REALTIME = "cyclegan", "twingan-rt"


def export_onnx(generator: nn.Module, size: int, num_styles: int, path: Path) -> Path:
    import torch

    args = (torch.zeros(1, 3, size, size),)
    names = ["image"]
    if num_styles:
        args += (torch.full((1, num_styles), 1.0 / num_styles),)
        names.append("style")
    torch.onnx.export(generator, args, str(path), dynamo=True, input_names=names, output_names=["output"],
                      external_data=False, verbose=False)
    return path


class _Feeds:
    """Calibration data for static quantisation: the given feeds, or a few random crops (and an
    even style mix)."""

    def __init__(self, size: int, num_styles: int, feeds: list[dict[str, np.ndarray]] | None = None) -> None:
        if feeds is None:
            rng = np.random.default_rng(0)
            feeds = []
            for _ in range(8):
                feed = {"image": rng.uniform(-1, 1, (1, 3, size, size)).astype(np.float32)}
                if num_styles:
                    feed["style"] = np.full((1, num_styles), 1.0 / num_styles, np.float32)
                feeds.append(feed)
        self._feeds = list(feeds)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return self._feeds.pop() if self._feeds else None


def quantize_int8(
    src: Path, dst: Path, size: int, num_styles: int, feeds: list[dict[str, np.ndarray]] | None = None
) -> Path:
    """Static QDQ int8 of an ONNX generator, calibrated on `feeds` (default: random crops)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    reader = type("Reader", (_Feeds, CalibrationDataReader), {})(size, num_styles, feeds)
    quantize_static(str(src), str(dst), reader, quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    return dst


def time_ms(run: Callable[[], object], repeats: int, budget_s: float) -> float:
    run()  # warm-up (lazy allocations, kernel selection)
    run()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < repeats and (len(times) < 3 or time.perf_counter() - started < budget_s):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return 1000.0 * statistics.median(times)


def runner(
    backend: str, family: str, generator: nn.Module, onnx_path: Path, size: int, num_styles: int, work: Path
) -> Callable[[], object]:
    image = np.random.default_rng(1).uniform(-1, 1, (1, 3, size, size)).astype(np.float32)
    style = np.full((1, num_styles), 1.0 / num_styles, np.float32) if num_styles else None
    if backend == "torch":
        import torch

        x = torch.from_numpy(image)
        s = None if style is None else torch.from_numpy(style)

        def run_torch() -> object:
            with torch.inference_mode():
                return generator(x, s)

        return run_torch
    from animecam.engine.backends import BACKENDS as REGISTRY

    if backend == "onnxruntime-int8":
        model = quantize_int8(onnx_path, work / f"int8-{size}.onnx", size, num_styles)
        engine = REGISTRY["onnxruntime"](model, input_size=size)
    elif backend == "tensorrt":
        from animecam.engine.packs import StylePack, write_pack

        styles = [f"s{i}" for i in range(max(num_styles, 1))]
        folder = write_pack(work / f"pack-{size}", name="bench", version="0", model_family=family,
                            input_size=size, styles=styles, onnx_path=onnx_path)
        engine = REGISTRY["tensorrt"](StylePack.load(folder), precision="fp16")
    else:
        engine = REGISTRY["onnxruntime"](onnx_path, input_size=size)
    out = np.empty_like(image)
    return lambda: engine.run(image, style, out=out)


def measure(
    archs: list[str], sizes: list[int], backends: list[str], repeats: int, budget_s: float
) -> list[dict]:
    from tqdm import tqdm

    from animecam.engine.nets import net_spec
    from animecam.training.flops import count_params, gmacs
    from animecam.training.models import build_model

    rows: list[dict] = []
    bar = tqdm(total=len(archs) * len(sizes) * len(backends), desc="bench", unit="row", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="animecam-bench-") as tmp:
        for arch in archs:
            generator = build_model(arch).generator.eval()
            num_styles = int(generator.num_styles) if net_spec(arch).takes_style else 0
            params = count_params(generator)
            for size in sizes:
                work = Path(tmp) / f"{arch}-{size}"
                work.mkdir()
                onnx_path = export_onnx(generator, size, num_styles, work / "model.onnx")
                macs = gmacs(generator, size)
                for backend in backends:
                    bar.set_postfix_str(f"{arch} {size} {backend}")
                    run = runner(backend, arch, generator, onnx_path, size, num_styles, work)
                    ms = time_ms(run, repeats, budget_s)
                    rows.append({"arch": arch, "size": size, "backend": backend, "ms": round(ms, 2),
                                 "params": params, "gmacs": round(macs, 3)})
                    bar.update(1)
    bar.close()
    return rows


def speedups(rows: list[dict]) -> list[tuple[int, str, float]]:
    """(size, backend, cyclegan ms / twingan-rt ms) wherever both were measured."""
    ms = {(r["arch"], r["size"], r["backend"]): r["ms"] for r in rows}
    return [(size, backend, ms[(BASELINE, size, backend)] / ms[(REALTIME, size, backend)])
            for (arch, size, backend) in ms if arch == REALTIME and (BASELINE, size, backend) in ms]


def table(rows: list[dict]) -> str:
    lines = [f"{'arch':<12}{'size':>5}  {'backend':<18}{'ms/crop':>9}{'fps':>8}{'params':>12}{'GMACs':>8}"]
    for r in rows:
        lines.append(f"{r['arch']:<12}{r['size']:>5}  {r['backend']:<18}{r['ms']:>9.1f}{1000 / r['ms']:>8.1f}"
                     f"{r['params']:>12,}{r['gmacs']:>8.2f}")
    for size, backend, factor in speedups(rows):
        lines.append(f"speed-up of {REALTIME} over {BASELINE} at {size}, {backend}: {factor:.1f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from animecam.training.models import MODELS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[128, 192, 256])
    parser.add_argument("--backends", nargs="+", default=list(DEFAULT_BACKENDS), choices=BACKENDS)
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per row (median)")
    parser.add_argument("--budget", type=float, default=5.0, help="seconds per row before it stops repeating")
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    args = parser.parse_args(argv)
    rows = measure(args.archs, args.sizes, args.backends, args.repeats, args.budget)
    print(json.dumps(rows) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
