"""Does int8 keep the engine's look? A pack's ONNX generator quantised (static QDQ, per-channel,
onnxruntime.quantization) with calibration on real face crops, against its fp32 self, on the held-out
crops of a paired dataset (`animecam train data --teacher ...`), per look:
- PSNR (dB) of the int8 drawing to the fp32 one (whole crop and inside the face ellipse): how much of
  the look quantisation moves;
- face PSNR of each to the teacher's drawing (bench/distill.py's measure), so the change is seen
  against the engine's own error;
- ms per 256 crop for each, one crop at a time, on one thread (as the app runs it per face).

    python bench/int8_engine.py --dataset DS [--pack engine/packs_builtin/twingan-anime] [--calibrate 24]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from functools import partial
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distill import load_split, psnr
from engines import quantize_int8, time_ms

from animecam.training.face_augment import face_mask

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 10.0  # the most seconds one timing repeats for


def _feed(crop: np.ndarray, style: np.ndarray) -> dict[str, np.ndarray]:
    """A BGR uint8 crop as the pack's input (RGB, -1..1, NCHW) with its style weights."""
    rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) / 127.5 - 1.0
    return {"image": rgb.transpose(2, 0, 1)[None], "style": style[None].astype(np.float32)}


def _picture(output: np.ndarray) -> np.ndarray:
    rgb = np.clip((output[0].transpose(1, 2, 0) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run(args: argparse.Namespace) -> dict:
    meta = json.loads((args.pack / "style.json").read_text(encoding="utf-8"))
    looks = [entry["name"] for entry in sorted(meta["styles"], key=lambda e: e["index"])]
    eye = np.eye(len(looks), dtype=np.float32)
    train, train_images = load_split(args.dataset, "train", [])
    rng = np.random.default_rng(0)
    picked = rng.choice(len(train), size=min(args.calibrate, len(train)), replace=False)
    calibration = [_feed(train_images[train[i]], eye[k % len(looks)]) for k, i in enumerate(picked)]
    names, images = load_split(args.dataset, "test", looks)
    marks = json.loads((args.dataset / "landmarks.json").read_text(encoding="utf-8"))["test"]
    with tempfile.TemporaryDirectory() as work:
        int8_path = quantize_int8(
            args.pack / "model.onnx", Path(work) / "int8.onnx", meta["input_size"], len(looks), calibration
        )
        fp32, int8 = _session(args.pack / "model.onnx"), _session(int8_path)
        results: dict = {"test_crops": len(names), "calibration_crops": len(calibration), "looks": {}}
        for index, look in enumerate(looks):
            rows: dict[str, list[float]] = {k: [] for k in ("crop", "face", "fp32_teacher", "int8_teacher")}
            for name in names:
                feed = _feed(images[name], eye[index])
                a, b = (_picture(s.run(None, feed)[0]) for s in (fp32, int8))
                mask = (face_mask(a.shape[:2], np.asarray(marks[name])) > 0.5).astype(np.float64)
                teacher = images[f"{look}:{name}"]
                rows["crop"].append(psnr(b, a))
                rows["face"].append(psnr(b, a, mask))
                rows["fp32_teacher"].append(psnr(a, teacher, mask))
                rows["int8_teacher"].append(psnr(b, teacher, mask))
            feed = _feed(images[names[0]], eye[index])
            results["looks"][look] = {
                "int8_vs_fp32_crop_db": float(np.mean(rows["crop"])),
                "int8_vs_fp32_face_db": float(np.mean(rows["face"])),
                "face_to_teacher_fp32_db": float(np.mean(rows["fp32_teacher"])),
                "face_to_teacher_int8_db": float(np.mean(rows["int8_teacher"])),
                "ms_fp32": time_ms(partial(fp32.run, None, feed), args.repeats, BUDGET_S),
                "ms_int8": time_ms(partial(int8.run, None, feed), args.repeats, BUDGET_S),
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="a paired dataset (train data --teacher)")
    parser.add_argument("--pack", type=Path, default=ROOT / "engine" / "packs_builtin" / "twingan-anime")
    parser.add_argument("--calibrate", type=int, default=24, help="training crops to calibrate on")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for needed in (args.dataset / "manifest.json", args.pack / "model.onnx", args.pack / "style.json"):
        if not needed.is_file():
            parser.error(f"{needed} is missing: give a paired dataset and a style pack folder")
    results = run(args)
    if args.json:
        print(json.dumps(results))
        return 0
    crops, calibration = results["test_crops"], results["calibration_crops"]
    print(f"{crops} held-out crops, calibrated on {calibration} training crops")
    print(f"{'look':8s} {'int8~fp32 crop':>14s} {'face':>6s} {'teacher fp32':>13s} {'int8':>6s} "
          f"{'ms fp32':>8s} {'ms int8':>8s}")  # fmt: skip
    for look, row in results["looks"].items():
        print(f"{look:8s} {row['int8_vs_fp32_crop_db']:14.2f} {row['int8_vs_fp32_face_db']:6.2f} "
              f"{row['face_to_teacher_fp32_db']:13.2f} {row['face_to_teacher_int8_db']:6.2f} "
              f"{row['ms_fp32']:8.1f} {row['ms_int8']:8.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
