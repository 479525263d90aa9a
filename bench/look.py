"""Do the built-in anime looks keep the person? SFace identity, rank-1, speed, and the comparison sheet.

Faces: scikit-image's astronaut, tone- and light-varied copies of it (darker and lighter skin, dim
warm light with noise, side light, closed eyes, drawn-on glasses) and LFW's 100 faces (25x25 grey,
upscaled). Each face is aligned by its YuNet landmarks, drawn by each look, and compared with the
original by SFace (cosine; OpenCV's same-person threshold is 0.363), both aligned with the
original's landmarks. Rank-1: the drawn face's best match in a gallery of the originals (the
astronaut + the 100 LFW faces) is its own person. Strength s blends photo -> drawn crop
(s = 0 is the photo, 1 the full look), as the pipeline does.

    python bench/look.py [--json] [--sheet docs/images/looks.png] [--lfw 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from skimage.data import astronaut, lfw_subset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faces_id import SAME_PERSON_COSINE, FaceId

from animecam.core.align import apply, crop_transform, invert, warp_to_crop
from animecam.engine.looks import PROCEDURAL_STYLES, procedural_style

SIZE = 256
STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
ASTRONAUT = "astronaut"


@dataclass
class Face:
    name: str
    person: str  # identity in the gallery
    image: np.ndarray  # BGR
    landmarks: np.ndarray  # (5, 2) in the image


def _skin_mask(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Soft mask of pixels with the cheeks' chroma (for tone-shifted copies)."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2Lab).astype(np.float32)
    cheek = landmarks[[0, 1]].mean(axis=0) * 0.5 + landmarks[[3, 4]].mean(axis=0) * 0.5
    x, y = cheek.astype(int)
    ref = np.median(lab[y - 6 : y + 6, x - 30 : x - 18].reshape(-1, 3), axis=0)
    dist = np.sqrt(((lab[..., 1:] - ref[1:]) ** 2).sum(axis=-1))
    return cv2.GaussianBlur(np.clip(1.5 - dist / 8.0, 0.0, 1.0), (0, 0), 3.0)[..., None]


def _tone(
    image: np.ndarray, landmarks: np.ndarray, light_gain: float, chroma_gain: float, warm: float
) -> np.ndarray:
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2Lab).astype(np.float32)
    shifted = lab.copy()
    shifted[..., 0] = np.clip(
        lab[..., 0] * light_gain + (255 - lab[..., 0]) * max(0.0, light_gain - 1.0) * 0.6, 0, 255
    )
    shifted[..., 1:] = (lab[..., 1:] - 128) * chroma_gain + 128 + [warm * 0.4, warm]
    mask = _skin_mask(image, landmarks)
    out = lab + mask * (shifted - lab)
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR)


def _closed_eyes(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A synthetic blink: skin painted over each eye, a dark lash line across it."""
    out = image.copy()
    gap = float(np.linalg.norm(landmarks[1] - landmarks[0]))
    for eye in landmarks[:2]:
        x, y = eye.astype(int)
        below = image[y + int(0.3 * gap) : y + int(0.4 * gap), x - 8 : x + 8].reshape(-1, 3)
        lid = np.median(below, axis=0) * 0.92
        cover = np.zeros(image.shape[:2], np.float32)
        cv2.ellipse(cover, (x, y), (int(0.32 * gap), int(0.16 * gap)), 0, 0, 360, 1.0, -1)
        cover = cv2.GaussianBlur(cover, (0, 0), 2.0)[..., None]
        out = (out * (1 - cover) + lid * cover).astype(np.uint8)
        cv2.ellipse(
            out,
            (x, y - int(0.02 * gap)),
            (int(0.26 * gap), int(0.06 * gap)),
            0,
            10,
            170,
            (40, 40, 50),
            2,
            cv2.LINE_AA,
        )
    return out


def _glasses(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    out = image.copy()
    gap = float(np.linalg.norm(landmarks[1] - landmarks[0]))
    thick = max(2, int(0.05 * gap))
    for eye in landmarks[:2]:
        x, y = eye.astype(int)
        w, h = int(0.42 * gap), int(0.3 * gap)
        cv2.ellipse(out, (x, y + int(0.03 * gap)), (w, h), 0, 0, 360, (30, 30, 30), thick, cv2.LINE_AA)
    inner = [landmarks[0] + (0.42 * gap, 0), landmarks[1] - (0.42 * gap, 0)]
    cv2.line(out, tuple(inner[0].astype(int)), tuple(inner[1].astype(int)), (30, 30, 30), thick, cv2.LINE_AA)
    return out


def build_faces(face_id: FaceId, lfw_count: int) -> list[Face]:
    photo = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    marks = face_id.detect(photo)[0, 4:14].reshape(5, 2)
    rng = np.random.default_rng(0)
    width = photo.shape[1]
    ramp = np.linspace(1.35, 0.3, width, dtype=np.float32)[None, :, None]
    variants = {
        ASTRONAUT: photo,
        "darker skin": _tone(photo, marks, 0.5, 1.1, 6.0),
        "lighter skin": _tone(photo, marks, 1.15, 0.6, -3.0),
        "dim warm noisy": np.clip(
            photo * np.float32([0.22, 0.3, 0.42]) + rng.normal(0, 5, photo.shape), 0, 255
        ).astype(np.uint8),
        "side light": np.clip(photo * ramp, 0, 255).astype(np.uint8),
        "closed eyes": _closed_eyes(photo, marks),
        "glasses": _glasses(photo, marks),
    }
    faces = [Face(name, ASTRONAUT, image, marks) for name, image in variants.items()]
    lfw = lfw_subset()[:lfw_count]
    found: list[tuple[int, np.ndarray, np.ndarray | None]] = []
    for index, face in enumerate(lfw):
        grey = cv2.resize((face * 255).astype(np.uint8), (150, 150), interpolation=cv2.INTER_CUBIC)
        image = cv2.cvtColor(
            cv2.copyMakeBorder(grey, 75, 75, 75, 75, cv2.BORDER_REPLICATE), cv2.COLOR_GRAY2BGR
        )
        rows = face_id.detect(image)
        found.append((index, image, rows[0, 4:14].reshape(5, 2) if len(rows) else None))
    # LFW's crops are roughly aligned already: a face YuNet misses gets the others' mean landmarks.
    mean = np.mean([m for _, _, m in found if m is not None], axis=0)
    faces += [Face(f"lfw {i}", f"lfw {i}", image, mean if m is None else m) for i, image, m in found]
    return faces


def drawn_crops(faces: list[Face], look: str) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """(photo crops, drawn crops, crop landmarks) of every face."""
    style = procedural_style(look)
    photos, drawn, marks = [], [], []
    for face in faces:
        matrix = crop_transform(face.landmarks, SIZE)
        crop = warp_to_crop(face.image, matrix, SIZE)
        points = apply(matrix, face.landmarks)
        photos.append(crop)
        drawn.append(style.stylize(crop[None], points[None])[0])
        marks.append(points)
    return photos, drawn, marks


def ms_per_crop(look: str, crop: np.ndarray, points: np.ndarray, repeats: int = 30) -> float:
    style = procedural_style(look)
    style.stylize(crop[None], points[None])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        style.stylize(crop[None], points[None])
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def evaluate(face_id: FaceId, faces: list[Face], looks: list[str]) -> dict:
    originals = [face_id.feature(f.image, f.landmarks) for f in faces]
    people = sorted({f.person for f in faces})
    gallery = np.stack([originals[next(i for i, f in enumerate(faces) if f.name == p)] for p in people])
    results: dict = {"faces": len(faces), "gallery": len(people), "looks": {}}
    for look in looks:
        photos, drawn, marks = drawn_crops(faces, look)
        curve = []
        for strength in STRENGTHS:
            cosines, hits = [], []
            for face, original, photo, art, points in zip(
                faces, originals, photos, drawn, marks, strict=True
            ):
                blend = cv2.addWeighted(photo, 1.0 - strength, art, strength, 0.0)
                feature = face_id.feature(blend, points)
                cosines.append(float(original @ feature))
                hits.append(people[int(np.argmax(gallery @ feature))] == face.person)
            astronaut_cosines = {
                f.name: round(c, 3) for f, c in zip(faces, cosines, strict=True) if f.person == ASTRONAUT
            }
            curve.append({"strength": strength, "mean_cosine": float(np.mean(cosines)),
                          "rank1": float(np.mean(hits)), "astronaut_cosines": astronaut_cosines})  # fmt: skip
        results["looks"][look] = {"ms_per_crop": ms_per_crop(look, photos[0], marks[0]), "curve": curve}
    return results


def _paste(frame: np.ndarray, crop: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The drawn crop back into the frame under a feathered oval (the sheet's two-faces row)."""
    h, w = frame.shape[:2]
    mask = np.zeros((SIZE, SIZE), np.float32)
    cv2.ellipse(mask, (SIZE // 2, int(SIZE * 0.5)), (int(SIZE * 0.44), int(SIZE * 0.49)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), SIZE * 0.03)
    back = invert(matrix)
    art = cv2.warpAffine(crop, back, (w, h), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(mask, back, (w, h))[..., None]
    return (frame * (1 - alpha) + art * alpha).astype(np.uint8)


def write_sheet(face_id: FaceId, faces: list[Face], looks: list[str], path: Path) -> None:
    chosen = [
        ASTRONAUT,
        "dim warm noisy",
        "glasses",
        "closed eyes",
        "darker skin",
        "side light",
        "lfw 3",
        "lfw 11",
    ]
    by_name = {f.name: f for f in faces}
    rows = []
    tile = 176
    for name in chosen:
        face = by_name.get(name)
        if face is None:
            continue
        matrix = crop_transform(face.landmarks, SIZE)
        crop = warp_to_crop(face.image, matrix, SIZE)
        points = apply(matrix, face.landmarks)
        cells = [crop] + [procedural_style(look).stylize(crop[None], points[None])[0] for look in looks]
        rows.append(np.hstack([cv2.resize(c, (tile, tile), interpolation=cv2.INTER_AREA) for c in cells]))
    # Two faces in one frame: the astronaut and her darker-skinned copy side by side.
    pair = np.hstack([by_name[ASTRONAUT].image, by_name["darker skin"].image[:, ::-1]])
    detections = face_id.detect(pair)[:2]
    cells = [pair]
    for look in looks:
        frame = pair.copy()
        for row in detections:
            marks = row[4:14].reshape(5, 2)
            matrix = crop_transform(marks, SIZE)
            crop = warp_to_crop(pair, matrix, SIZE)
            art = procedural_style(look).stylize(crop[None], apply(matrix, marks)[None])[0]
            frame = _paste(frame, art, matrix)
        cells.append(frame)
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
        f"{results['faces']} faces, gallery of {results['gallery']} people; "
        f"same-person cosine {SAME_PERSON_COSINE}"
    )
    print(f"{'look':8s} {'ms/crop':>8s} " + " ".join(f"{'s=' + str(s):>13s}" for s in STRENGTHS))
    print(f"{'':8s} {'':>8s} " + " ".join(f"{'cos / rank1':>13s}" for _ in STRENGTHS))
    for look, row in results["looks"].items():
        cells = " ".join(f"{c['mean_cosine']:6.3f} / {c['rank1']:4.0%}" for c in row["curve"])
        print(f"{look:8s} {row['ms_per_crop']:8.2f} {cells}")
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
    args = parser.parse_args()
    cv2.setNumThreads(1)  # ms per crop on one core, as the budget counts it
    face_id = FaceId()
    faces = build_faces(face_id, args.lfw)
    if args.sheet:
        write_sheet(face_id, faces, args.looks, args.sheet)
    results = evaluate(face_id, faces, args.looks)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
