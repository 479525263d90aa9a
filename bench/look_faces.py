"""The faces bench/look.py draws: the astronaut and its tone-, light-, blink-, glasses-, cap- and
hand-varied copies, LFW's faces at webcam size on a plain wall, and a small room of distinct people."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from faces_id import FaceId
from skimage.data import astronaut, camera, lfw_subset

from animecam.videofilter.faces import FaceTracker, TrackerConfig

ASTRONAUT = "astronaut"


@dataclass
class Face:
    name: str
    person: str  # identity in the gallery
    image: np.ndarray  # BGR
    landmarks: np.ndarray  # (5, 2) in the image
    # Where the live pipeline's tracker puts them (None: crop by `landmarks`); see `with_tracker`.
    tracked: np.ndarray | None = None


def with_tracker(faces: list[Face], config: TrackerConfig | None = None) -> list[Face]:
    """The faces with the landmarks the live tracker gives each, as the pipeline crops it: the
    image (shrunk to fit if larger) in a 1280x720 frame, one detection. A face it misses keeps
    its own landmarks (and is reported)."""
    out = []
    for face in faces:
        h, w = face.image.shape[:2]
        scale = min(1.0, 1200 / w, 680 / h)
        image = cv2.resize(face.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frame = np.full((720, 1280, 3), 110, np.uint8)
        x0, y0 = (1280 - image.shape[1]) // 2, (720 - image.shape[0]) // 2
        frame[y0 : y0 + image.shape[0], x0 : x0 + image.shape[1]] = image
        found = FaceTracker(config or TrackerConfig()).update(frame, 0.0)
        truth = face.landmarks * scale + [x0, y0]
        near = min(found, key=lambda f: float(np.abs(f.landmarks - truth).mean()), default=None)
        tracked = None if near is None else (near.landmarks.astype(np.float64) - [x0, y0]) / scale
        out.append(Face(face.name, face.person, face.image, face.landmarks, tracked))
    return out


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


def _cap(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A blue baseball cap over the crown, its peak to one side."""
    out = image.copy()
    gap = float(np.linalg.norm(landmarks[1] - landmarks[0]))
    x, y = landmarks[:2].mean(axis=0)
    cv2.ellipse(out, (int(x), int(y - 0.9 * gap)), (int(1.5 * gap), int(1.2 * gap)), 0, 180, 360,
                (160, 60, 30), -1, cv2.LINE_AA)  # fmt: skip
    cv2.ellipse(out, (int(x + 0.6 * gap), int(y - 0.9 * gap)), (int(1.9 * gap), int(0.25 * gap)), 0, 180,
                360, (140, 50, 25), -1, cv2.LINE_AA)  # fmt: skip
    return out


def _hand(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A hand at the chin: a skin-coloured palm and four fingers up the cheek."""
    out = image.copy()
    gap = float(np.linalg.norm(landmarks[1] - landmarks[0]))
    x, y = landmarks[:2].mean(axis=0)
    cheek = image[int(y + 0.5 * gap) : int(y + 0.6 * gap), int(x - 0.8 * gap) : int(x - 0.6 * gap)]
    skin = np.median(cheek.reshape(-1, 3), axis=0)
    cv2.ellipse(out, (int(x + 0.9 * gap), int(y + 1.9 * gap)), (int(0.7 * gap), int(0.9 * gap)), 20, 0, 360,
                (skin * 0.95).tolist(), -1, cv2.LINE_AA)  # fmt: skip
    for k in range(4):
        centre = (int(x + (0.5 + 0.25 * k) * gap), int(y + 1.1 * gap))
        cv2.ellipse(out, centre, (int(0.11 * gap), int(0.45 * gap)), 10, 0, 360, (skin * 0.9).tolist(), -1,
                    cv2.LINE_AA)  # fmt: skip
    return out


def build_faces(face_id: FaceId, lfw_count: int) -> list[Face]:
    photo = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    marks = face_id.detect(photo)[0, 4:14].reshape(5, 2)
    variants = {
        ASTRONAUT: photo,
        "darker skin": _tone(photo, marks, 0.5, 1.1, 6.0),
        "lighter skin": _tone(photo, marks, 1.15, 0.6, -3.0),
        **_lights(photo),
        "closed eyes": _closed_eyes(photo, marks),
        "glasses": _glasses(photo, marks),
        "cap": _cap(photo, marks),
        "hand": _hand(photo, marks),
    }
    faces = [Face(name, ASTRONAUT, image, marks) for name, image in variants.items()]
    return faces + _lfw(face_id, lfw_count)


def _lights(image: np.ndarray) -> dict[str, np.ndarray]:
    """A dim warm room with sensor noise, and a strong light from one side."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(1.35, 0.3, image.shape[1], dtype=np.float32)[None, :, None]
    dim = image * np.float32([0.22, 0.3, 0.42]) + rng.normal(0, 5, image.shape)
    return {
        "dim warm noisy": np.clip(dim, 0, 255).astype(np.uint8),
        "side light": np.clip(image * ramp, 0, 255).astype(np.uint8),
    }


def _lfw(face_id: FaceId, count: int) -> list[Face]:
    """LFW's 25x25 grey faces, upscaled to 150 px (a webcam's face size) on a plain wall."""
    found: list[tuple[int, np.ndarray, np.ndarray | None]] = []
    for index, face in enumerate(lfw_subset()[:count]):
        grey = cv2.resize((face * 255).astype(np.uint8), (150, 150), interpolation=cv2.INTER_CUBIC)
        # Padded with a plain wall of the photo's border tone: repeating the border drew streaks
        # above every head that the looks took for hair.
        wall = int(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
        image = cv2.cvtColor(
            cv2.copyMakeBorder(grey, 75, 75, 75, 75, cv2.BORDER_CONSTANT, value=wall), cv2.COLOR_GRAY2BGR
        )
        rows = face_id.detect(image)
        found.append((index, image, rows[0, 4:14].reshape(5, 2) if len(rows) else None))
    # LFW's crops are roughly aligned already: a face YuNet misses gets the others' mean landmarks.
    mean = np.mean([m for _, _, m in found if m is not None], axis=0)
    return [Face(f"lfw {i}", f"lfw {i}", image, mean if m is None else m) for i, image, m in found]


def webcam_people(face_id: FaceId, lfw_people: int = 8) -> list[Face]:
    """A small room of distinct people at webcam resolution, each also in a dim noisy room and in
    side light: the astronaut, scikit-image's cameraman (grey, a 60 px face, looking aside) and the
    first LFW people. The gallery is each person's plain photo; every copy is a probe."""
    people = {ASTRONAUT: cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)}
    people["cameraman"] = cv2.cvtColor(camera(), cv2.COLOR_GRAY2BGR)
    faces = []
    for name, image in people.items():
        marks = face_id.detect(image)[0, 4:14].reshape(5, 2)
        faces.append(Face(name, name, image, marks))
    faces += _lfw(face_id, lfw_people)
    copies = [
        Face(f"{f.name}, {light}", f.person, lit, f.landmarks)
        for f in faces
        for light, lit in _lights(f.image).items()
    ]
    return faces + copies
