"""Temporal consistency of the stylised face: no smoothing vs a plain EMA vs TemporalSmoother.

On the demo clip (animecam.videofilter.demo.DemoSource) the true motion of the photo in every frame is known
exactly, so consecutive output crops can be compared after an exact warp (warping error, Lai et al.
2018: warp output t-1 into crop t, mask pixels not seen in both crops, mean squared error). Smoothing
that only blurs or lags would lower that error too, so each method is also scored by its distance
from the per-frame stylised output (mean absolute difference and PSNR): a good smoother removes
most of the warping error while staying close to the per-frame look.

Crop matrices come from the astronaut's landmarks found once in the photo and carried by the known
motion (no tracker noise), or with --tracker from the real FaceTracker. The last rows are the live
pipeline's way: the face drawn every second (or, its default, third) frame, the frames between
carrying the last drawing with the face's motion (TemporalSmoother.carry).

    python bench/temporal.py [--frames 150] [--style anime] [--amount 0.6] [--tracker] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from tqdm import tqdm

from animecam.core.align import DEFAULT_ALIGN, AlignConfig, apply, crop_transform, warp_to_crop
from animecam.core.style import crop_framing
from animecam.engine.looks import procedural_style
from animecam.videofilter.demo import PHOTO_CROP, DemoSource
from animecam.videofilter.faces import FaceTracker, TrackerConfig
from animecam.videofilter.frame_filter import PipelineConfig, stylize_for_paste
from animecam.videofilter.schedule import scheduled_drawings
from animecam.videofilter.smoothing import SmootherConfig, TemporalSmoother

EMA_ALPHA = 0.5  # weight of the new frame in the plain EMA (Deep-Live-Cam's interpolation_weight)


@dataclass
class Clip:
    crops: list[np.ndarray]  # source crops (S, S, 3) uint8
    matrices: list[np.ndarray]  # frame -> crop, 3x3
    motions: list[np.ndarray]  # photo -> frame, 3x3 (exact)
    landmarks: list[np.ndarray]  # (5, 2) in crop pixels: what the pipeline hands the look


@dataclass
class Scores:
    warp_mse: list[float] = field(default_factory=list)
    distance: list[float] = field(default_factory=list)  # mean |out - per-frame stylised|
    psnr: list[float] = field(default_factory=list)
    brightness: list[float] = field(default_factory=list)  # mean(out) - mean(per-frame): lag shows here
    # The output's Laplacian energy over the per-frame drawing's: a carried drawing resampled frame
    # after frame loses its crisp lines (< 1), a fresh one keeps them.
    sharpness: list[float] = field(default_factory=list)
    # Mean |change| of the output from frame to frame in its own crop: a drawn figure is pasted by
    # that crop's matrix (the landmarks), so this is how much it changes beyond how it is moved.
    # With exact crops the same motion as the warp error's; with the tracker's, the photo's content
    # drifts inside the crop, and a figure placed by the landmarks should not follow it.
    wobble: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {
            "warp_mse": statistics.fmean(self.warp_mse),
            "distance": statistics.fmean(self.distance),
            "psnr_db": statistics.fmean(self.psnr),
            "brightness": statistics.fmean(self.brightness),
            "sharpness": statistics.fmean(self.sharpness),
            "wobble": statistics.fmean(self.wobble),
            "ms": statistics.median(self.ms) if self.ms else 0.0,
        }


def _square(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, np.float64)
    return matrix if matrix.shape == (3, 3) else np.vstack([matrix.reshape(2, 3), (0.0, 0.0, 1.0)])


def load_clip(frames: int, size: int, use_tracker: bool, framing: AlignConfig = DEFAULT_ALIGN) -> Clip:
    source = DemoSource(seconds=frames / 30.0, fps=30.0)  # the light ramp spans the whole clip
    photo = source.photo
    tracker = FaceTracker(TrackerConfig())
    found = tracker.update(photo, 0.0)
    if not found:
        raise SystemExit("the face detector found no face in the demo photo")
    photo_landmarks = found[0].landmarks.astype(np.float64)
    tracker.reset()
    clip = Clip([], [], [], [])
    for index in tqdm(range(frames), desc="clip", unit="frame"):
        frame = source.read()
        if frame is None:
            break
        motion = _square(source.motion(frame.index))
        if use_tracker:
            faces = tracker.update(frame.image, frame.pts)
            if not faces:
                raise SystemExit(f"the tracker lost the face at frame {index}")
            landmarks = faces[0].landmarks
        else:
            landmarks = apply(motion[:2], photo_landmarks)
        matrix = crop_transform(landmarks, size, framing)
        clip.crops.append(warp_to_crop(frame.image, matrix, size))
        clip.matrices.append(_square(matrix))
        clip.motions.append(motion)
        clip.landmarks.append(apply(matrix, landmarks))
    source.close()
    return clip


def _warp_previous(clip: Clip, index: int, previous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Output `index - 1` moved into crop `index` by the exact motion, and the mask of pixels that
    show the moving photo in both crops (the same scene point, seen twice; the demo's background is
    static, so it does not follow the motion)."""
    size = previous.shape[0]
    photo_to_crop = clip.matrices[index] @ clip.motions[index]
    prev_to_crop = photo_to_crop @ np.linalg.inv(clip.matrices[index - 1] @ clip.motions[index - 1])
    warped = cv2.warpAffine(previous, prev_to_crop[:2], (size, size), flags=cv2.INTER_LINEAR)
    x0, y0, side = PHOTO_CROP
    shown = np.zeros((y0 + side, x0 + side), np.uint8)
    shown[y0:, x0:] = 1
    seen_now = cv2.warpAffine(shown, photo_to_crop[:2], (size, size), flags=cv2.INTER_NEAREST)
    seen_before = cv2.warpAffine(np.ones((size, size), np.uint8), prev_to_crop[:2], (size, size),
                                 flags=cv2.INTER_NEAREST)
    # One pixel of margin: bilinear samples at the border mix in what lies outside.
    mask = cv2.erode(seen_now & seen_before, np.ones((3, 3), np.uint8)) > 0
    return warped, mask


def _edge_energy(picture: np.ndarray) -> float:
    grey = cv2.cvtColor(picture[..., :3], cv2.COLOR_BGR2GRAY)
    return float(np.square(cv2.Laplacian(grey, cv2.CV_32F)).mean())


def score(clip: Clip, stylised: list[np.ndarray], method: Callable[[int], np.ndarray]) -> Scores:
    scores = Scores()
    previous = None
    for index, drawing in enumerate(stylised):
        start = time.perf_counter()
        out = method(index)[..., :3]  # a drawn figure's colours (its alpha is not shown alone)
        target = drawing[..., :3]
        scores.ms.append((time.perf_counter() - start) * 1e3)
        diff = out.astype(np.float32) - target.astype(np.float32)
        scores.distance.append(float(np.abs(diff).mean()))
        scores.brightness.append(float(diff.mean()))
        mse = float((diff * diff).mean())
        scores.psnr.append(10 * np.log10(255.0**2 / mse) if mse > 0 else 99.0)  # 99 dB: identical
        scores.sharpness.append(_edge_energy(out) / max(_edge_energy(target), 1e-6))
        if previous is not None:
            warped, mask = _warp_previous(clip, index, previous)
            error = warped.astype(np.float32)[mask] - out.astype(np.float32)[mask]
            scores.warp_mse.append(float((error * error).mean()))
            scores.wobble.append(float(np.abs(out.astype(np.float32) - previous.astype(np.float32)).mean()))
        previous = out
    return scores


def run(frames: int, style_name: str, amount: float, use_tracker: bool) -> dict[str, dict[str, float]]:
    style = procedural_style(style_name)
    clip = load_clip(frames, style.input_size, use_tracker, crop_framing(style))
    # Drawn as the pipeline draws: with what the look keeps of the person between drawings, and
    # as the figure it pastes (BGRA: the smoother moves a figure by the crop's own motion).
    memory: dict = {}
    stylised = [
        stylize_for_paste(style, crop[None], points[None], 1.0, [memory])[0]
        for crop, points in tqdm(zip(clip.crops, clip.landmarks, strict=True), desc="stylise", unit="crop")
    ]

    def ema() -> Callable[[int], np.ndarray]:
        state: list[np.ndarray] = []

        def step(index: int) -> np.ndarray:
            new = stylised[index].astype(np.float32)
            state[:] = [new if not state else EMA_ALPHA * new + (1 - EMA_ALPHA) * state[0]]
            return np.clip(state[0] + 0.5, 0, 255).astype(np.uint8)

        return step

    def smoother(config: SmootherConfig, strength: float) -> Callable[[int], np.ndarray]:
        filt = TemporalSmoother(config)

        def step(index: int) -> np.ndarray:
            return filt.smooth(0, stylised[index], clip.crops[index], clip.matrices[index][:2], strength)

        return step

    live = PipelineConfig()

    def drawn_every(every: int, amount: float, still_every: int = 0) -> Callable[[int], np.ndarray]:
        """The live pipeline's way (`PipelineConfig.redraw_every`, its schedule: videofilter/schedule.py):
        frames between carry the last drawing; a face that still looks as drawn waits up to
        `still_every` frames (`PipelineConfig.redraw_still_every`)."""
        filt = TemporalSmoother(SmootherConfig())
        age: list[int | None] = [None]  # frames since the last drawing

        def step(index: int) -> np.ndarray:
            crop, matrix, since = clip.crops[index], clip.matrices[index][:2], age[0]
            due = since is None or bool(
                scheduled_drawings([since], every, 1, still_every, lambda _: filt.as_drawn(0, crop, matrix))
            )
            carried = None if due else filt.carry(0, crop, matrix)
            if carried is not None and since is not None:
                age[0] = since + 1
                return carried
            age[0] = 0
            return filt.smooth(0, stylised[index], crop, matrix, amount)

        return step

    methods: dict[str, Callable[[int], np.ndarray]] = {
        "none": lambda index: stylised[index],
        f"ema a={EMA_ALPHA}": ema(),
        f"smoother {amount}": smoother(SmootherConfig(), amount),
        f"smoother {amount} no flow": smoother(SmootherConfig(flow=False), amount),
        "smoother 1.0": smoother(SmootherConfig(), 1.0),
        f"smoother {amount}, drawn 1 frame in 2": drawn_every(2, amount),
        f"smoother {amount}, drawn 1 frame in {live.redraw_every}": drawn_every(live.redraw_every, amount),
        f"smoother {amount}, 1 in {live.redraw_every}, as drawn 1 in {live.redraw_still_every} (live)":
            drawn_every(live.redraw_every, amount, live.redraw_still_every),
    }
    results = {}
    for name, method in tqdm(methods.items(), desc="methods", unit="method"):
        results[name] = score(clip, stylised, method).summary()
    base = results["none"]["warp_mse"]
    for summary in results.values():
        summary["warp_reduction"] = 1.0 - summary["warp_mse"] / base if base > 0 else 0.0
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150, help="frames of the demo clip to use")
    parser.add_argument("--style", default="anime", help="built-in procedural look")
    parser.add_argument("--amount", type=float, default=0.6, help="smoothing amount (the pipeline default)")
    parser.add_argument("--tracker", action="store_true", help="crop with the real FaceTracker")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    results = run(args.frames, args.style, args.amount, args.tracker)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    crops = "tracker" if args.tracker else "exact motion"
    print(f"\n{args.frames} frames, style {args.style}, crops from {crops}")
    print(f"{'method':<54}{'warp MSE':>10}{'vs none':>9}{'|d| to per-frame':>18}{'PSNR dB':>9}"
          f"{'brightness':>12}{'sharpness':>11}{'wobble':>8}{'ms':>7}")
    for name, r in results.items():
        print(f"{name:<54}{r['warp_mse']:>10.2f}{-r['warp_reduction']:>+9.0%}{r['distance']:>18.2f}"
              f"{r['psnr_db']:>9.1f}{r['brightness']:>+12.2f}{r['sharpness']:>11.2f}{r['wobble']:>8.2f}"
              f"{r['ms']:>7.2f}")


if __name__ == "__main__":
    main()
