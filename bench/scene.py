"""The scene stage (engine/scene.py): CPU per frame for each look, and a still scene as a still drawing.

Per look, on 1280x720 frames:
  cpu ms     process CPU time (all threads) per SceneRenderer.draw, median of the frames
  shimmer    mean |drawing(t) - drawing(t-1)| on a still picture with camera-like noise (sigma
             --noise grey levels): steadied (the default) vs drawn per frame (still_weight 1)
  lag        mean |steadied - per-frame drawing| on the demo clip's still background while its light
             ramps (what steadying costs in following a slow change)
  moving     the same inside the moving photo: a trail would show here; what is left is mostly the
             per-frame drawing's own noise (ink and band borders flipping), which steadying removes

    python bench/scene.py [--frames 60] [--noise 3] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time

import cv2
import numpy as np

from animecam.engine.scene import SCENE_LOOKS, SceneConfig, SceneLook, SceneRenderer
from animecam.videofilter.demo import PHOTO_CROP, DemoSource


def still_frames(count: int, noise: float) -> list[np.ndarray]:
    """The demo's first frame `count` times, each with fresh noise of sigma `noise` (seeded)."""
    still = DemoSource(1.0).render(0)
    rng = np.random.default_rng(0)
    return [np.clip(still + rng.normal(0, noise, still.shape), 0, 255).astype(np.uint8) for _ in range(count)]


def _drawings(
    look: SceneLook, frames: list[np.ndarray], steady: bool
) -> tuple[list[np.ndarray], list[float]]:
    """Each frame's drawing (float32) and the CPU ms it took; `steady` False = per frame only."""
    config = SceneConfig(look=look) if steady else SceneConfig(look=look, still_weight=1.0)
    renderer = SceneRenderer(config)
    out, cpu = [], []
    for frame in frames:
        started = time.process_time()
        drawing = renderer.draw(frame)
        cpu.append((time.process_time() - started) * 1e3)
        out.append(drawing.astype(np.float32))
    return out, cpu


def _shimmer(drawings: list[np.ndarray]) -> float:
    settled = drawings[len(drawings) // 3 :]  # after the steadier has settled
    return statistics.fmean(float(np.abs(a - b).mean()) for a, b in itertools.pairwise(settled))


def run(frames: int, noise: float) -> dict[str, dict[str, float]]:
    still = still_frames(frames, noise)
    source = DemoSource(frames / 30.0)
    clip = [source.render(i) for i in range(frames)]
    # The photo's footprint in each demo frame (where things move); the rest is still background.
    x0, y0, side = PHOTO_CROP
    moving = []
    for i in range(frames):
        mask = np.zeros(clip[0].shape[:2], np.uint8)
        corners = np.array([[x0, y0], [x0 + side, y0], [x0 + side, y0 + side], [x0, y0 + side]], np.float64)
        projected = cv2.perspectiveTransform(corners[None], source.motion(i))[0]
        cv2.fillPoly(mask, [np.round(projected).astype(np.int32)], 1)
        moving.append(cv2.dilate(mask, np.ones((9, 9), np.uint8)) > 0)
    results = {}
    for name, look in SCENE_LOOKS.items():
        steadied, cpu = _drawings(look, still, steady=True)
        per_frame, _ = _drawings(look, still, steady=False)
        clip_steady, _ = _drawings(look, clip, steady=True)
        clip_plain, _ = _drawings(look, clip, steady=False)
        lag, moving_diff = [], []
        for a, b, inside in zip(clip_steady, clip_plain, moving, strict=True):
            diff = np.abs(a - b).mean(axis=2)
            lag.append(float(diff[~inside].mean()))
            moving_diff.append(float(diff[inside].mean()))
        results[name] = {
            "cpu_ms": statistics.median(cpu[2:]),
            "shimmer_steadied": _shimmer(steadied),
            "shimmer_per_frame": _shimmer(per_frame),
            "lag": statistics.fmean(lag),
            "moving": statistics.fmean(moving_diff),
        }
    return results


def main() -> None:
    cv2.setNumThreads(1)  # as the pipeline runs it (PipelineConfig.opencv_threads)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--noise", type=float, default=3.0, help="camera noise, grey levels (sigma)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    results = run(args.frames, args.noise)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.frames} frames at 1280x720, noise sigma {args.noise}")
    print(f"{'look':<8}{'cpu ms':>8}{'shimmer':>9}{'per-frame':>11}{'cut':>6}{'lag':>7}{'moving':>8}")
    for name, r in results.items():
        cut = 1.0 - r["shimmer_steadied"] / max(r["shimmer_per_frame"], 1e-9)
        print(f"{name:<8}{r['cpu_ms']:>8.2f}{r['shimmer_steadied']:>9.2f}{r['shimmer_per_frame']:>11.2f}"
              f"{cut:>6.0%}{r['lag']:>7.2f}{r['moving']:>8.2f}")


if __name__ == "__main__":
    main()
