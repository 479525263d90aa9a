"""How much a still face's drawing moves: the landmarks the look draws from, and the drawn eyes.

The demo's first frame held still, with fresh camera-like noise (sigma --noise grey levels) in
every frame, through the whole default pipeline (tracker with its One-Euro landmark filter, the
look with the crop's landmarks, the scene, the temporal smoother at 0 and at the default 0.6).

  frame px      std over time of each tracked landmark in the frame (mean of the 5 points)
  landmark px   std over time of each crop-space landmark (what the look draws eyes, brows and
                mouth from), mean of the 5 points and the largest
  eye px        shift of each drawn eye between a frame and the first settled one (phase
                correlation of the output around the eye): median and largest over the frames
  drawn         the share of the settled frames the face was drawn on (the rest carry a drawing)
  CPU ms        the filter's CPU time per settled frame (scene on this thread, OpenCV on one)

    python bench/still_face.py [--frames 90] [--noise 3] [--style anime] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import cv2
import numpy as np
from scene import still_frames  # bench/scene.py: this folder is on the path when run as a script

from animecam.core.align import apply, crop_transform
from animecam.core.frames import Frame
from animecam.core.style import crop_framing
from animecam.engine.styles import load_style
from animecam.videofilter.pipeline import FaceFilter, PipelineConfig

WARM_UP = 15  # frames for the tracker's filter and the smoother to settle


def _patch(image: np.ndarray, centre: np.ndarray, side: int) -> np.ndarray:
    x, y = (round(float(v)) - side // 2 for v in centre)
    grey = cv2.cvtColor(image[y : y + side, x : x + side], cv2.COLOR_BGR2GRAY)
    return grey.astype(np.float32)


def run(frames: int, noise: float, style_name: str, smoothing: float) -> dict[str, float]:
    style = load_style(style_name)
    cv2.setNumThreads(1)  # as the pipeline runs it
    face_filter = FaceFilter(style, PipelineConfig(smoothing=smoothing, scene_thread=False))
    frame_points, crop_points, outputs, eyes = [], [], [], None
    drawings, cpu = 0, 0.0
    for index, image in enumerate(still_frames(frames, noise)):
        started = time.process_time()
        result = face_filter.process(Frame(image, index, index / 30.0))
        if index >= WARM_UP:
            cpu += time.process_time() - started
            drawings += "style" in result.stage_ms
        if len(result.faces) != 1:
            raise SystemExit(f"expected one face in frame {index}, found {len(result.faces)}")
        landmarks = result.faces[0].landmarks
        frame_points.append(landmarks)
        crop_points.append(apply(crop_transform(landmarks, style.input_size, crop_framing(style)), landmarks))
        outputs.append(result.output.image)
        eyes = landmarks[:2] if eyes is None else eyes
    points = np.array(crop_points[WARM_UP:])  # (T, 5, 2)
    jitter = np.linalg.norm(points.std(axis=0), axis=1)  # per landmark, px
    side = int(0.6 * np.linalg.norm(eyes[1] - eyes[0]))
    window = cv2.createHanningWindow((side, side), cv2.CV_32F)
    shifts = []
    for eye in eyes:
        reference = _patch(outputs[WARM_UP], eye, side)
        for image in outputs[WARM_UP + 1 :]:
            (dx, dy), _ = cv2.phaseCorrelate(reference, _patch(image, eye, side), window)
            shifts.append(float(np.hypot(dx, dy)))
    frame_jitter = np.linalg.norm(np.array(frame_points[WARM_UP:]).std(axis=0), axis=1)
    return {
        "frame_px_mean": float(frame_jitter.mean()),
        "landmark_px_mean": float(jitter.mean()),
        "landmark_px_max": float(jitter.max()),
        "eye_px_median": statistics.median(shifts),
        "eye_px_max": max(shifts),
        "drawn_share": drawings / max(frames - WARM_UP, 1),
        "cpu_ms_per_frame": 1e3 * cpu / max(frames - WARM_UP, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--noise", type=float, default=3.0, help="camera noise, grey levels (sigma)")
    parser.add_argument("--style", default="anime")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    results = {f"smoothing {s}": run(args.frames, args.noise, args.style, s) for s in (0.0, 0.6)}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"still face, {args.frames} frames, noise sigma {args.noise}, style {args.style}")
    print(f"{'':<15}{'frame px':>9}{'landmark px mean':>17}{'max':>7}{'eye px median':>15}{'max':>7}"
          f"{'drawn':>7}{'CPU ms':>8}")
    for name, r in results.items():
        print(f"{name:<15}{r['frame_px_mean']:>9.3f}{r['landmark_px_mean']:>17.3f}{r['landmark_px_max']:>7.3f}"
              f"{r['eye_px_median']:>15.3f}{r['eye_px_max']:>7.3f}{r['drawn_share']:>7.0%}"
              f"{r['cpu_ms_per_frame']:>8.1f}")


if __name__ == "__main__":
    main()
