"""Real photos through the live pipeline: a sheet to look at (photo | drawn, per face) and what the
look measured on each face (hair colour and cap, mouth opening and teeth, each eye's openness),
and whether the drawn face is still that person.

The bundled benchmarks draw the astronaut and LFW's small grey faces; a person's own photos (a
group at a table, a dim room, glasses, a cap) are where a look's mistakes show. Each photo is fitted
into a 1280x720 frame (on grey), run through the FaceFilter as the app runs it (the scene on, every
face drawn; a few frames so the tracker settles), and each tracked face's region of the output is
put next to the same region of the input. Identity: SFace's cosine between the photo's face and the
drawn one (both aligned by the tracker's landmarks; OpenCV's same-person threshold is 0.363), and
the drawn face's rank among all the photos' faces (1: it is most like its own photo; a person in
two photos is two entries, so rank 1 is then stricter than "the same person"). With
`--same-person A.jpg,B.jpg` (repeatable: photos of the same people, face k of each, counted from the
left, being one person) a drawn face also counts as matched when its best match is any photo of its
own person (key "person_match"): "matched to its own person among the people", as a viewer judges.

    python bench/photos.py PHOTO [PHOTO ...] [--sheet photos.png] [--style anime] [--json] [--noise 3]
        [--same-person A.jpg,B.jpg ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from faces_id import FaceId  # bench/faces_id.py: this folder is on the path when run as a script

from animecam.core.align import apply, crop_transform, warp_to_crop
from animecam.core.frames import Frame
from animecam.core.style import crop_framing
from animecam.engine.looks import LookStyle, procedural_style
from animecam.engine.looks.eye_measure import measure_eye
from animecam.engine.looks.face_frame import FaceFrame
from animecam.engine.looks.features import measure_mouth
from animecam.engine.looks.regions import light_plane, skin_lightness
from animecam.videofilter.frame_filter import FaceFilter, PipelineConfig

FRAME = (1280, 720)
TILE = 200
SETTLE_FRAMES = 8
FLICKER_FRAMES = 16  # frames after settling over which --noise measures the drawing's flicker


def fitted(photo: np.ndarray) -> np.ndarray:
    """The photo scaled to fit a 1280x720 frame, centred on grey."""
    scale = min(FRAME[0] / photo.shape[1], FRAME[1] / photo.shape[0])
    image = cv2.resize(
        photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    frame = np.full((FRAME[1], FRAME[0], 3), 90, np.uint8)
    y0, x0 = (FRAME[1] - image.shape[0]) // 2, (FRAME[0] - image.shape[1]) // 2
    frame[y0 : y0 + image.shape[0], x0 : x0 + image.shape[1]] = image
    return frame


def measured(style: LookStyle, frame: np.ndarray, marks: np.ndarray, lift: float = 1.0) -> dict[str, object]:
    """What the look reads on one face of the frame, at the tracker's landmarks, its crop lifted as
    the pipeline lifts a dim frame's (the scene's gain)."""
    matrix = crop_transform(marks, style.input_size, crop_framing(style))
    crop = cv2.convertScaleAbs(warp_to_crop(frame, matrix, style.input_size), alpha=lift)
    points = apply(matrix, marks)
    face, light = FaceFrame.from_landmarks(points), light_plane(crop)
    regions = style.regions(crop, points)
    opening, teeth, _ = measure_mouth(light, crop, face, skin_lightness(light, face))
    return {
        "hair_lab": [round(float(v), 1) for v in regions.hair_lab],
        "cap": bool(regions.cover.any()),
        "mouth_open": round(opening, 3),
        "teeth": round(teeth, 2),
        "eyes_open": [round(measure_eye(light, crop, face, i).openness, 2) for i in (0, 1)],
    }


def _region(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """A head-and-shoulders square around a face box, as a TILE x TILE picture."""
    x0, y0, x1, y1 = (float(v) for v in box)
    side, cx, cy = 1.6 * (x1 - x0), (x0 + x1) / 2, (y0 + y1) / 2
    left, top = int(max(cx - side / 2, 0)), int(max(cy - 0.55 * side, 0))
    right, bottom = int(min(cx + side / 2, image.shape[1])), int(min(cy + 0.45 * side, image.shape[0]))
    return cv2.resize(image[top:bottom, left:right], (TILE, TILE), interpolation=cv2.INTER_AREA)


def _identities(
    face_id: FaceId, pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> list[tuple[float, int, int]]:
    """Per (photo frame, drawn frame, landmarks): the cosine of drawn to photo, the rank of its
    own photo among all the photos' faces for the drawn face (1 = the best match), and the index
    of the photo face it is most like."""
    photos = np.stack([face_id.feature(photo, marks) for photo, _, marks in pairs])
    out = []
    for index, (_, drawn, marks) in enumerate(pairs):
        similarity = photos @ face_id.feature(drawn, marks)
        rank = int((similarity > similarity[index]).sum()) + 1
        out.append((float(similarity[index]), rank, int(np.argmax(similarity))))
    return out


def person_of(photo: str, face: int, same_person: list[list[str]]) -> str:
    """Who a face is: its photo group's (the first photo of a `--same-person` group naming its
    file) and its place from the left, or its own photo's."""
    group = next((names[0] for names in same_person if photo in names), photo)
    return f"{group}:{face}"


def _flicker(outputs: list[np.ndarray], box: np.ndarray) -> float:
    """Mean grey-level change of a face's region between consecutive drawn frames."""
    greys = [cv2.cvtColor(_region(image, box), cv2.COLOR_BGR2GRAY).astype(np.float32) for image in outputs]
    return float(np.mean([np.abs(b - a).mean() for a, b in itertools.pairwise(greys)]))


def run(
    paths: list[Path], style_name: str, noise: float = 0.0, same_person: list[list[str]] | None = None
) -> tuple[list[dict[str, object]], list[np.ndarray]]:
    """Per face: its measures (and photo, index, box width, identity; with camera `noise`, sigma in
    grey levels, how much its drawing flickers on the still photo), and its tile (photo | drawn)."""
    style = procedural_style(style_name)
    rows, tiles, pairs = [], [], []
    rng = np.random.default_rng(0)
    for path in paths:
        photo = cv2.imread(str(path))
        if photo is None:
            raise SystemExit(f"error: cannot read {path} as an image; give a JPEG or PNG photo")
        frame = fitted(photo)
        face_filter = FaceFilter(style, PipelineConfig(scene_thread=False, redraw_every=1))
        outputs = []
        for index in range(SETTLE_FRAMES + (FLICKER_FRAMES if noise > 0 else 0)):
            shot = frame
            if noise > 0:
                shot = np.clip(frame + rng.normal(0.0, noise, frame.shape), 0, 255).astype(np.uint8)
            result = face_filter.process(Frame(shot, index, index / 30.0))
            if index >= SETTLE_FRAMES:
                outputs.append(result.output.image)
        for number, face in enumerate(sorted(result.faces, key=lambda f: float(f.box[0]))):
            row: dict[str, object] = {
                "photo": path.name,
                "face": number,
                "width": round(float(face.box[2] - face.box[0])),
            }
            row.update(measured(style, frame, face.landmarks, face_filter.scene.gain))
            if outputs:
                row["flicker"] = round(_flicker(outputs, face.box), 2)
            rows.append(row)
            tiles.append(np.hstack([_region(frame, face.box), _region(result.output.image, face.box)]))
            pairs.append((frame, result.output.image, face.landmarks))
    if pairs:
        people = [person_of(str(row["photo"]), int(row["face"]), same_person or []) for row in rows]  # type: ignore[call-overload]
        for row, own, (cosine, rank, best) in zip(rows, people, _identities(FaceId(), pairs), strict=True):
            row.update({"identity": round(cosine, 3), "rank": rank, "person_match": people[best] == own})
    return rows, tiles


def sheet(tiles: list[np.ndarray], columns: int = 3) -> np.ndarray:
    blank = np.zeros((TILE, 2 * TILE, 3), np.uint8)
    lines = [tiles[i : i + columns] for i in range(0, len(tiles), columns)]
    return np.vstack([np.hstack(line + [blank] * (columns - len(line))) for line in lines])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="+", type=Path)
    parser.add_argument(
        "--sheet", type=Path, default=Path("photos.png"), help="where the sheet is written (PNG)"
    )
    parser.add_argument("--style", default="anime", help="a built-in look (anime, shoujo, manga)")
    parser.add_argument("--json", action="store_true", help="print the measures as JSON")
    parser.add_argument(
        "--noise", type=float, default=0.0,
        help="camera noise (sigma, grey levels) added afresh to every frame; > 0 also reports how much "
        "each drawn face flickers on the still photo (mean grey change a frame, key 'flicker')",
    )  # fmt: skip
    parser.add_argument(
        "--same-person", action="append", default=[], metavar="A.jpg,B.jpg",
        help="photos (file names) of the same people, face k of each (from the left) one person; "
        "repeatable",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.noise < 0:
        parser.error("--noise must be 0 or more (a sigma in grey levels, e.g. 3)")
    groups = [[name.strip() for name in group.split(",") if name.strip()] for group in args.same_person]
    rows, tiles = run(args.photos, args.style, args.noise, groups)
    if not tiles:
        print("no face was found in these photos", file=sys.stderr)
        return 1
    cv2.imwrite(str(args.sheet), sheet(tiles))
    if args.json:
        print(json.dumps({"faces": rows, "sheet": str(args.sheet)}))
        return 0
    firsts = sum(row["rank"] == 1 for row in rows)
    matched = sum(bool(row["person_match"]) for row in rows)
    people = len({person_of(str(row["photo"]), int(row["face"]), groups) for row in rows})  # type: ignore[call-overload]
    print(f"{len(rows)} faces; sheet: {args.sheet} (photo | drawn); rank 1 for {firsts} of {len(rows)}; "
          f"own person best matched for {matched} of {len(rows)} ({people} people)")  # fmt: skip
    flicker = " flicker" if args.noise > 0 else ""
    header = f"{'photo':24s} {'face':>4s} {'px':>4s}  {'hair L a b':18s} cap  mouth teeth  id   rank"
    print(f"{header}{flicker}  eyes")
    for row in rows:
        hair = " ".join(f"{v:5.1f}" for v in row["hair_lab"])  # type: ignore[union-attr]
        moved = f" {row['flicker']:7.2f}" if "flicker" in row else ""
        print(
            f"{str(row['photo'])[:24]:24s} {row['face']:4d} {row['width']:4d}  {hair:18s} "
            f"{'yes' if row['cap'] else 'no ':3s} {row['mouth_open']:6.3f} {row['teeth']:5.2f}  "
            f"{row['identity']:.2f} {row['rank']:4d}{moved}  {row['eyes_open']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
