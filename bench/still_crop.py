"""How still a still face's crop is, over many noise seeds: the tracker alone (no look, no scene).

The astronaut's head (about 70 px wide) held still in a 640x480 frame with fresh sensor noise
(sigma 3) every frame, as tests/test_faces.py's still-crop test does, once per seed. Per seed, the
largest move of the aligned 256 px crop's corners (in frame px) from their mean over frames 10-60
(a new face settling) and 60-120 (settled), and how far the crop was from where it settles
(frames 90-120) at frame 45.

    python bench/still_crop.py [--seeds 16] [--json]
"""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np
from skimage.data import astronaut

from animecam.core.align import apply, crop_transform, invert
from animecam.videofilter.faces import FaceTracker

CORNERS = [[0, 0], [256, 0], [0, 256]]


def _corners(seed: int, portrait: np.ndarray, frames: int = 120) -> np.ndarray:
    """(frames, 3, 2) crop corners of the tracked face, noise seeded by `seed`."""
    rng = np.random.default_rng(seed)
    tracker = FaceTracker()
    base = np.full((480, 640, 3), 100, np.uint8)
    h, w = portrait.shape[:2]
    base[90 : 90 + h, 150 : 150 + w] = portrait[: 480 - 90, : 640 - 150]
    out = []
    for i in range(frames):
        frame = np.clip(base + rng.normal(0, 3.0, base.shape), 0, 255).astype(np.uint8)
        faces = tracker.update(frame, i / 30)
        if not faces:
            raise SystemExit(f"error: the tracker lost the face at frame {i} (seed {seed})")
        out.append(apply(invert(crop_transform(faces[0].landmarks, 256)), CORNERS))
    return np.array(out)


def _largest_move(corners: np.ndarray) -> float:
    return float(np.abs(corners - corners.mean(axis=0)).max())


def run(seeds: int) -> list[dict[str, float]]:
    photo = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    portrait = cv2.resize(photo[:300, 60:420], None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    rows = []
    for seed in range(seeds):
        corners = _corners(seed, portrait)
        settled = corners[90:].mean(axis=0)
        rows.append({
            "seed": seed,
            "settling_px": _largest_move(corners[10:60]),
            "settled_px": _largest_move(corners[60:]),
            "off_at_45_px": float(np.abs(corners[45] - settled).max()),
        })  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = run(args.seeds)
    if args.json:
        print(json.dumps(rows))
        return 0
    print("largest move of the crop's corners, px")
    print(f"{'seed':>4s} {'frames 10-60':>13s} {'60-120':>8s} {'off at 45':>10s}")
    for row in rows:
        values = (row["settling_px"], row["settled_px"], row["off_at_45_px"])
        print(f"{row['seed']:4d} {values[0]:13.2f} {values[1]:8.2f} {values[2]:10.2f}")
    for name, pick in (("mean", np.mean), ("worst", np.max)):
        values = [pick([row[k] for row in rows]) for k in ("settling_px", "settled_px", "off_at_45_px")]
        print(f"{name:>4s} {values[0]:13.2f} {values[1]:8.2f} {values[2]:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
