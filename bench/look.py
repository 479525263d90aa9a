"""Do the built-in anime looks keep the person? SFace identity, rank-1, speed, and the comparison sheet.

Faces: scikit-image's astronaut, tone- and light-varied copies of it (darker and lighter skin, dim
warm light with noise, side light, closed eyes, drawn-on glasses, a cap, a hand at the chin) and
LFW's 100 faces (25x25 grey, upscaled). Each face is aligned by its YuNet landmarks, drawn by each
look, and compared with the original by SFace (cosine; OpenCV's same-person threshold is 0.363),
both aligned with the original's landmarks. Rank-1: the drawn face's best match in a gallery of the
originals (the astronaut + the 100 LFW faces) is its own person. The room: a small set of distinct
people at webcam size (the astronaut, scikit-image's cameraman, 8 LFW people), each also dim and
side-lit, against their plain photos. Strength s blends photo -> drawn crop (s = 0 is the photo, 1
the full look), as the pipeline does. Also: CPU ms per crop split by stage, and how far the drawn
eyes move when a still face's landmarks wander by +-0.3 px.

    python bench/look.py [--json] [--sheet docs/images/looks.png] [--lfw 100] [--tracker refined|coarse]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faces_id import SAME_PERSON_COSINE, FaceId
from look_faces import ASTRONAUT, Face, build_faces, webcam_people, with_tracker

from animecam.core.align import apply, crop_transform, warp_to_crop
from animecam.core.frames import Frame
from animecam.core.style import Style, crop_framing
from animecam.engine.looks import PROCEDURAL_STYLES, procedural_style
from animecam.videofilter.faces import TrackerConfig
from animecam.videofilter.frame_filter import FaceFilter, PipelineConfig

SIZE = 256
STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)


def drawn_crops(faces: list[Face], look: str) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """(photo crops, drawn crops, crop landmarks) of every face."""
    style = procedural_style(look)
    photos, drawn, marks = [], [], []
    for face in faces:
        # Cropped where the tracker puts the face (with --tracker), scored where it is.
        placed = face.landmarks if face.tracked is None else face.tracked
        matrix = crop_transform(placed, SIZE, crop_framing(style))
        crop = warp_to_crop(face.image, matrix, SIZE)
        photos.append(crop)
        drawn.append(style.stylize(crop[None], apply(matrix, placed)[None])[0])
        marks.append(apply(matrix, face.landmarks))
    return photos, drawn, marks


def _stolen_seconds() -> float | None:
    """CPU time the hypervisor has taken from this machine's cores so far (Linux /proc/stat), or None."""
    try:
        ticks = int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[8])
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, AttributeError):
        return None


def timing(look: str, crop: np.ndarray, points: np.ndarray, repeats: int = 30) -> dict:
    """CPU ms per crop on one core, and its split by stage. CPU time, not wall time: the machines
    this runs on are shared, and waiting for a core is not the look's cost. A virtual machine's
    CPU time still stretches when its host is busy, so the share of the cores' time the host took
    meanwhile is reported too (`host_steal`; its ms are not comparable across runs above a few %)."""
    style = procedural_style(look)
    style.draw(crop, points)
    split: dict[str, float] = {}
    times = []
    stolen, wall = _stolen_seconds(), time.perf_counter()
    for _ in range(repeats):
        start = time.process_time()
        style.draw(crop, points, split)
        times.append(time.process_time() - start)
    after, wall = _stolen_seconds(), time.perf_counter() - wall
    steal = None if stolen is None or after is None else (after - stolen) / (wall * (os.cpu_count() or 1))
    total = sum(split.values())
    ms = 1e3 * float(np.median(times))
    # The split is wall time per stage, scaled to the CPU total (stages share one clock).
    return {"ms_per_crop": ms, "split_ms": {k: round(ms * v / total, 2) for k, v in split.items()},
            "host_steal": steal}  # fmt: skip


def eye_jitter(
    style: Style, crop: np.ndarray, points: np.ndarray, noise: float = 0.3, trials: int = 8
) -> float:
    """How far (px, the largest over trials and both eyes) the drawn eyes move when the landmarks
    of a still face wander by up to +-`noise` px: the dark mass (lash line, iris) of each eye's box
    in the drawing, compared with the drawing from the exact landmarks."""
    gap = float(np.linalg.norm(points[1] - points[0]))

    def centres(drawn: np.ndarray) -> np.ndarray:
        out = []
        for x, y in points[:2]:
            x0, y0 = int(x - 0.45 * gap), int(y - 0.3 * gap)
            box = drawn[y0 : int(y + 0.3 * gap), x0 : int(x + 0.45 * gap)].min(axis=2).astype(np.float64)
            weight = np.clip((120.0 - box) / 60.0, 0.0, 1.0)
            ys, xs = np.mgrid[0 : box.shape[0], 0 : box.shape[1]]
            total = max(weight.sum(), 1e-6)
            out.append([(weight * xs).sum() / total + x0, (weight * ys).sum() / total + y0])
        return np.array(out)

    reference = centres(style.stylize(crop[None], points[None])[0])
    rng = np.random.default_rng(0)
    moved = 0.0
    for _ in range(trials):
        noisy = points + rng.uniform(-noise, noise, points.shape)
        shift = np.linalg.norm(centres(style.stylize(crop[None], noisy[None])[0]) - reference, axis=1)
        moved = max(moved, float(shift.max()))
    return moved


def identity_curve(face_id: FaceId, faces: list[Face], look: str) -> list[dict]:
    """Per strength: mean SFace cosine of each drawn face to its own original, and rank-1 in the
    gallery of the people's plain photos (the face whose name is the person's)."""
    originals = [face_id.feature(f.image, f.landmarks) for f in faces]
    people = sorted({f.person for f in faces})
    gallery = np.stack([originals[next(i for i, f in enumerate(faces) if f.name == p)] for p in people])
    photos, drawn, marks = drawn_crops(faces, look)
    curve = []
    for strength in STRENGTHS:
        cosines, hits = [], []
        for face, original, photo, art, points in zip(faces, originals, photos, drawn, marks, strict=True):
            blend = cv2.addWeighted(photo, 1.0 - strength, art, strength, 0.0)
            feature = face_id.feature(blend, points)
            cosines.append(float(original @ feature))
            hits.append(people[int(np.argmax(gallery @ feature))] == face.person)
        astronaut_cosines = {
            f.name: round(c, 3) for f, c in zip(faces, cosines, strict=True) if f.person == ASTRONAUT
        }
        curve.append({"strength": strength, "mean_cosine": float(np.mean(cosines)),
                      "rank1": float(np.mean(hits)), "astronaut_cosines": astronaut_cosines})  # fmt: skip
    return curve


def evaluate(face_id: FaceId, faces: list[Face], room: list[Face], looks: list[str]) -> dict:
    results: dict = {
        "faces": len(faces),
        "gallery": len({f.person for f in faces}),
        "room_faces": len(room),
        "room_people": len({f.person for f in room}),
        "looks": {},
    }
    for look in looks:
        matrix = crop_transform(faces[0].landmarks, SIZE, crop_framing(procedural_style(look)))
        crop, points = warp_to_crop(faces[0].image, matrix, SIZE), apply(matrix, faces[0].landmarks)
        results["looks"][look] = {
            **timing(look, crop, points),
            "eye_jitter_px": eye_jitter(procedural_style(look), crop, points),
            "curve": identity_curve(face_id, faces, look),
            "room_curve": identity_curve(face_id, room, look),
        }
    return results


def write_sheet(faces: list[Face], looks: list[str], path: Path) -> None:
    chosen = [
        ASTRONAUT,
        "dim warm noisy",
        "glasses",
        "closed eyes",
        "darker skin",
        "side light",
        "cap",
        "hand",
        "lfw 3",
        "lfw 11",
    ]
    by_name = {f.name: f for f in faces}
    rows = []
    tile = 176
    framing = crop_framing(procedural_style(looks[0]))  # the built-in looks share one framing
    for name in chosen:
        face = by_name.get(name)
        if face is None:
            continue
        matrix = crop_transform(face.landmarks, SIZE, framing)
        crop = warp_to_crop(face.image, matrix, SIZE)
        points = apply(matrix, face.landmarks)
        cells = [crop] + [procedural_style(look).stylize(crop[None], points[None])[0] for look in looks]
        rows.append(np.hstack([cv2.resize(c, (tile, tile), interpolation=cv2.INTER_AREA) for c in cells]))
    # Two faces in one frame, drawn by the app's own filter (faces, scene and paste): the astronaut
    # and her darker-skinned copy side by side.
    pair = Frame(np.hstack([by_name[ASTRONAUT].image, by_name["darker skin"].image[:, ::-1]]), 0, 0.0)
    cells = [pair.image]
    for look in looks:
        face_filter = FaceFilter(procedural_style(look), PipelineConfig(redraw_every=1))
        cells.append(face_filter.process(pair).output.image)
    rows.append(np.hstack([cv2.resize(c, (tile, tile // 2), interpolation=cv2.INTER_AREA) for c in cells]))
    sheet = np.vstack(rows)
    label_bar = np.full((24, sheet.shape[1], 3), 255, np.uint8)
    for i, text in enumerate(["photo", *looks]):
        cv2.putText(
            label_bar, text, (i * tile + 8, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.vstack([label_bar, sheet]), [cv2.IMWRITE_PNG_COMPRESSION, 9])


def print_table(results: dict) -> None:
    print(
        f"{results['faces']} faces, gallery of {results['gallery']} people; room: {results['room_faces']} "
        f"faces of {results['room_people']} people; same-person cosine {SAME_PERSON_COSINE}"
    )
    print(f"{'look':8s} {'set':5s} " + " ".join(f"{'s=' + str(s):>13s}" for s in STRENGTHS))
    print(f"{'':8s} {'':5s} " + " ".join(f"{'cos / rank1':>13s}" for _ in STRENGTHS))
    for look, row in results["looks"].items():
        for key, label in (("curve", "all"), ("room_curve", "room")):
            cells = " ".join(f"{c['mean_cosine']:6.3f} / {c['rank1']:4.0%}" for c in row[key])
            print(f"{look:8s} {label:5s} {cells}")
    print("\nCPU ms per 256 px crop on one core (split by stage), drawn eye jitter at +-0.3 px landmarks:")
    for look, row in results["looks"].items():
        split = ", ".join(f"{k} {v:.1f}" for k, v in row["split_ms"].items())
        steal = "" if row["host_steal"] is None else f", host took {row['host_steal']:.0%} of the cores"
        eyes = f"eyes move {row['eye_jitter_px']:.2f} px"
        print(f"  {look}: {row['ms_per_crop']:.1f} ms ({split}{steal}); {eyes}")
    print("\nastronaut and its copies at full strength (cosine to its own original):")
    for look, row in results["looks"].items():
        detail = ", ".join(f"{k} {v:.2f}" for k, v in row["curve"][-1]["astronaut_cosines"].items())
        print(f"  {look}: {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--sheet", type=Path, default=None, help="write the comparison sheet here (PNG)")
    parser.add_argument("--lfw", type=int, default=100, help="how many LFW faces (0..100)")
    parser.add_argument("--looks", nargs="*", default=list(PROCEDURAL_STYLES))
    parser.add_argument("--tracker", choices=("refined", "coarse"), default=None,
                        help="crop where the live tracker puts each face in a 720p frame (coarse: without "
                             "its landmark refinement), not where YuNet on the photo does")  # fmt: skip
    args = parser.parse_args()
    cv2.setNumThreads(1)  # ms per crop on one core, as the budget counts it
    face_id = FaceId()
    faces, room = build_faces(face_id, args.lfw), webcam_people(face_id)
    if args.tracker:
        config = TrackerConfig(refine_face=0) if args.tracker == "coarse" else TrackerConfig()
        faces, room = with_tracker(faces, config), with_tracker(room, config)
        missed = [f.name for f in faces + room if f.tracked is None]
        print(f"tracker ({args.tracker}) missed {len(missed)} faces: {', '.join(missed) or 'none'}")
    if args.sheet:
        write_sheet(faces, args.looks, args.sheet)
    results = evaluate(face_id, faces, room, args.looks)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
