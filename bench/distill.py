"""Does the distilled engine draw what its teacher looks draw? Measured on faces it never saw.

On a paired dataset's test split (`animecam train data --teacher ...`: held-out LFW people and
augmented copies of them), per look:
- PSNR (dB) of the engine's crop against the teacher's drawing, inside the face ellipse (brows to
  chin, from the crop's landmarks) and over the whole crop. Goal: face >= 26 dB.
- SFace rank-1: is the drawn face's best match, in a gallery of the plain photo crop of every
  person of the dataset (train and test people), its own person? For the engine, the teacher, and
  the photos themselves (the ceiling). Goal: >= 90%, as for the teacher.
- flicker on the demo clip with exact motion (bench/temporal.py's warp error, Lai et al. 2018): the
  raw warp MSE of engine and teacher, and the cut the pipeline's smoother makes (goal >= 60%).
- ms per crop of engine and teacher, one crop at a time, here.
`--sheet PNG` writes photo | teacher | engine | |difference| x 4 for unseen faces, one block per look.

    python bench/distill.py --dataset DS [--engine twingan-anime] [--json] [--sheet PNG]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faces_id import FaceId
from temporal import load_clip, score

from animecam.engine.styles import load_style
from animecam.training.face_augment import face_mask
from animecam.videofilter.smoothing import SmootherConfig, TemporalSmoother

SMOOTHING = 0.6  # the pipeline's default amount


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    diff = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    mse = diff.mean() if mask is None else (diff * mask[..., None]).sum() / (3 * mask.sum())
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def person_of(name: str) -> str:
    return name.rsplit("_", 1)[0]


def load_split(dataset: Path, split: str, looks: list[str]) -> tuple[list[str], dict[str, np.ndarray]]:
    names = sorted(p.stem for p in (dataset / f"{split}A").glob("*.png"))
    images = {n: cv2.imread(str(dataset / f"{split}A" / f"{n}.png")) for n in names}
    for look in looks:
        for n in names:
            images[f"{look}:{n}"] = cv2.imread(str(dataset / f"{split}B" / look / f"{n}.png"))
    return names, images


def identity(
    face_id: FaceId,
    probes: dict[str, np.ndarray],
    marks: dict[str, np.ndarray],
    gallery: dict[str, np.ndarray],
) -> tuple[float, float]:
    """(rank-1 share, mean cosine to the own person) of `probes` against the gallery features."""
    people = sorted(gallery)
    table = np.stack([gallery[p] for p in people])
    hits, cosines = 0, []
    for name, image in probes.items():
        feature = face_id.feature(image, marks[name])
        sims = table @ feature
        own = people.index(person_of(name))
        hits += int(np.argmax(sims) == own)
        cosines.append(float(sims[own]))
    return hits / len(probes), float(np.mean(cosines))


def flicker(engine_style: object, teacher_style: object, frames: int) -> dict[str, dict[str, float]]:
    clip = load_clip(frames, 256, use_tracker=False)
    results = {}
    for label, style in (("engine", engine_style), ("teacher", teacher_style)):
        drawn = [style.stylize(crop[None])[0] for crop in clip.crops]  # type: ignore[attr-defined]
        smoother = TemporalSmoother(SmootherConfig())
        none = score(clip, drawn, lambda i, d=drawn: d[i]).summary()["warp_mse"]
        smoothed = score(
            clip,
            drawn,
            lambda i, d=drawn, f=smoother: f.smooth(0, d[i], clip.crops[i], clip.matrices[i][:2], SMOOTHING),
        ).summary()["warp_mse"]
        results[label] = {
            "warp_mse_none": none,
            "warp_mse_smoothed": smoothed,
            "cut": 1.0 - smoothed / none if none > 0 else 0.0,
        }
    return results


def ms_per_crop(style: object, crop: np.ndarray, marks: np.ndarray, repeats: int) -> float:
    style.stylize(crop[None], landmarks=marks[None])  # type: ignore[attr-defined]
    start = time.perf_counter()
    for _ in range(repeats):
        style.stylize(crop[None], landmarks=marks[None])  # type: ignore[attr-defined]
    return 1000 * (time.perf_counter() - start) / repeats


def sheet(rows: list[list[np.ndarray]], labels: list[str], path: Path, tile: int = 128) -> None:
    out = []
    for cells, label in zip(rows, labels, strict=True):
        row = np.hstack([cv2.resize(c, (tile, tile), interpolation=cv2.INTER_AREA) for c in cells])
        cv2.putText(row, label, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 255), 1, cv2.LINE_AA)
        out.append(row)
    head = np.full((18, out[0].shape[1], 3), 255, np.uint8)
    for k, text in enumerate(("photo (unseen)", "teacher look", "engine", "|difference| x4")):
        cv2.putText(head, text, (4 + k * tile, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.vstack([head, *out]))


def run(args: argparse.Namespace) -> dict:
    manifest = json.loads((args.dataset / "manifest.json").read_text(encoding="utf-8"))
    looks: list[str] = manifest["styles"]
    marks_all = json.loads((args.dataset / "landmarks.json").read_text(encoding="utf-8"))
    names, images = load_split(args.dataset, "test", looks)
    marks = {n: np.asarray(marks_all["test"][n], np.float64) for n in names}
    face_id = FaceId()
    gallery = {}
    for split in ("train", "test"):
        for name, points in marks_all[split].items():
            if name.endswith("_000"):
                photo = cv2.imread(str(args.dataset / f"{split}A" / f"{name}.png"))
                gallery[person_of(name)] = face_id.feature(photo, np.asarray(points))
    photo_rank1, photo_cos = identity(face_id, {n: images[n] for n in names}, marks, gallery)
    results: dict = {
        "test_crops": len(names),
        "test_people": len({person_of(n) for n in names}),
        "gallery_people": len(gallery),
        "photo_rank1": photo_rank1,
        "photo_cosine": photo_cos,
        "looks": {},
    }
    sheet_rows, sheet_labels = [], []
    for look in looks:
        engine = load_style(f"{args.engine}/{look}", "onnxruntime")
        crops = np.stack([images[n] for n in names])
        drawn = np.concatenate([engine.stylize(crops[i : i + 4]) for i in range(0, len(crops), 4)])
        face, whole = [], []
        for name, out in zip(names, drawn, strict=True):
            teacher = images[f"{look}:{name}"]
            mask = (face_mask(out.shape[:2], marks[name]) > 0.5).astype(np.float64)
            face.append(psnr(out, teacher, mask))
            whole.append(psnr(out, teacher))
        engine_rank1, engine_cos = identity(face_id, dict(zip(names, drawn, strict=True)), marks, gallery)
        teacher_rank1, teacher_cos = identity(
            face_id, {n: images[f"{look}:{n}"] for n in names}, marks, gallery
        )
        teacher_style = load_style(look)
        first = names[0]
        results["looks"][look] = {
            "psnr_face_db": float(np.mean(face)),
            "psnr_crop_db": float(np.mean(whole)),
            "rank1_engine": engine_rank1,
            "rank1_teacher": teacher_rank1,
            "cosine_engine": engine_cos,
            "cosine_teacher": teacher_cos,
            "ms_engine": ms_per_crop(engine, images[first], marks[first], args.repeats),
            "ms_teacher": ms_per_crop(teacher_style, images[first], marks[first], args.repeats),
        }
        if args.frames > 0:
            results["looks"][look]["flicker"] = flicker(engine, teacher_style, args.frames)
        # One crop per unseen person, the plain (grey) crop and a colourised, augmented copy in turn.
        for name in [f"{person_of(n)}_{k % 2:03d}" for k, n in enumerate(names[::3][: args.sheet_faces])]:
            out = drawn[names.index(name)]
            teacher = images[f"{look}:{name}"]
            diff = np.clip(np.abs(out.astype(np.int16) - teacher.astype(np.int16)) * 4, 0, 255).astype(
                np.uint8
            )
            sheet_rows.append([images[name], teacher, out, diff])
            sheet_labels.append(f"{look} {name}")
    if args.sheet is not None:
        sheet(sheet_rows, sheet_labels, args.sheet)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="a paired dataset (train data --teacher)")
    parser.add_argument("--engine", default="twingan-anime", help="pack whose styles are the looks")
    parser.add_argument("--frames", type=int, default=90, help="demo-clip frames for flicker (0: skip)")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per crop")
    parser.add_argument("--sheet", type=Path, default=None, help="write the comparison sheet here")
    parser.add_argument("--sheet-faces", type=int, default=4, help="unseen people per look on the sheet")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    if not (args.dataset / "landmarks.json").is_file():
        raise SystemExit(
            f"error: {args.dataset} is not a paired dataset; build one with 'animecam train data --teacher'"
        )
    results = run(args)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"\n{results['test_crops']} held-out crops of {results['test_people']} unseen people; "
        f"gallery {results['gallery_people']} people; photos themselves rank-1 {results['photo_rank1']:.0%}"
    )
    print(
        f"{'look':<8}{'PSNR face':>10}{'PSNR crop':>10}{'rank-1 eng':>11}{'rank-1 tch':>11}"
        f"{'cos eng':>8}{'cos tch':>8}{'flicker cut':>12}{'raw warp eng/tch':>18}{'ms eng':>8}{'ms tch':>8}"
    )
    for look, r in results["looks"].items():
        f = r.get("flicker", {})
        cut = f"{f['engine']['cut']:.0%}" if f else "-"
        raw = f"{f['engine']['warp_mse_none']:.1f}/{f['teacher']['warp_mse_none']:.1f}" if f else "-"
        print(
            f"{look:<8}{r['psnr_face_db']:>10.2f}{r['psnr_crop_db']:>10.2f}{r['rank1_engine']:>11.0%}"
            f"{r['rank1_teacher']:>11.0%}{r['cosine_engine']:>8.3f}{r['cosine_teacher']:>8.3f}{cut:>12}"
            f"{raw:>18}{r['ms_engine']:>8.1f}{r['ms_teacher']:>8.1f}"
        )


if __name__ == "__main__":
    main()
