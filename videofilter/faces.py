"""Face tracking: detect on a small frame every few frames, follow faces with optical flow between.

Per frame the tracker
  1. shrinks the frame once (longer side `flow_size`, grey) and follows each face's feature points there
     with pyramidal Lucas-Kanade, fitting one similarity transform per face (outliers dropped);
  2. every `detect_every` frames runs the detector on a copy shrunk to `detect_size` and matches
     detections to tracks by IoU, so ids stay stable; unmatched detections start new tracks;
  3. smooths each face's landmarks and box with a One-Euro filter whose speed is measured in face
     widths per second, so a still face gives a still crop whatever its size, and a fast one lags little.

The detector is YuNet (videofilter/detectors.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from animecam.core.align import apply, fit_similarity
from animecam.videofilter.detectors import Detections, create_detector, with_landmarks_refined


@dataclass
class Face:
    id: int
    box: np.ndarray  # (4,) float32 x0, y0, x1, y1 in frame pixels; may reach past the frame's edges
    landmarks: np.ndarray  # (5, 2) float32: right eye, left eye, nose tip, right / left mouth corner
    score: float


@dataclass
class TrackerConfig:
    detector: str = "yunet"  # a name in DETECTORS
    # The detector sees frames shrunk to this longer side (never enlarged). 480 found a small turned
    # head that 320 missed in a 720p table of six, but put the astronaut's eye points 5-7 px low
    # (YuNet's landmarks shift with the face's size in its input; 320 and 512 were on the eyes).
    detect_size: int = 320
    # Faces below about 60 px wide at 720p are mostly too small for detect_size: every N-th detector
    # run (the first included) also looks at a `fine_detect_size` copy for new ones, and only those
    # runs correct their tracks. Heads 140 px tall at 720p, 24 placements: found 6 times at 320,
    # 6 at 480, 22 at 640 (the flow copy, no resize; 20 ms a run, so every 8th: ~0.5 ms a frame).
    fine_detect_every: int = 8
    fine_detect_size: int = 640
    # A face only the fine pass finds must be narrower than this in the coarse pass's input (at
    # 720p: 128 px); a bigger one would have been found there, so it is a false find (a blurred
    # backdrop scored 0.68 as a face 370 px wide at 640 px).
    fine_max_face: int = 32
    # Each detection's landmarks are found again on a crop where the face is this wide (px; 0 =
    # off), `refine_context` face widths across: at detect_size they were up to a third of the eye
    # distance off (the points shift with a face's size in YuNet's input). bench/look.py --tracker
    # liked 140 px better (LFW rank-1 70% against 55%, room 93% against 90%), but a still face's
    # crop then moved 0.40 px (test: < 0.3) and its drawn eyes 0.29 px (0.12), for 0.8 ms more.
    refine_face: int = 85
    refine_context: float = 2.5
    detect_every: int = 5  # frames between detector runs; optical flow follows faces in between
    score_threshold: float = 0.6  # detector confidence to accept a face (lfw_subset: 0.99 hits, 1% false)
    confirm_score: float = 0.75  # a new face under this must be found again by the refining look
    nms_threshold: float = 0.3
    max_faces: int = 8  # highest-scoring faces kept (a table of six on a call); others wait
    match_iou: float = 0.3  # a detection continues a track (keeps its id) above this box overlap
    detection_gain: float = 0.3  # share of a detection's correction applied to a followed face (less jitter)
    detection_median: int = 3  # a followed face is pulled towards the median of this many detections
    snap_error: float = 0.08  # ... unless it is off by more than this fraction of the face width: jump
    flow_error_limit: float = 15.0  # median LK residual (grey levels) above which a track is lost
    lost_after: int = 1  # detector runs in a row that may miss a tracked face before it is dropped
    min_visible: float = 0.3  # a track whose box lies less than this fraction inside the frame ends
    flow_size: int = 640  # longer side of the grey frame optical flow runs on
    flow_points: int = 24  # corner features followed per face (plus its 5 landmarks)
    min_cutoff: float = 0.5  # One-Euro: cutoff in Hz of a still face (lower = steadier, more lag)
    beta: float = 10.0  # One-Euro: extra cutoff in Hz per face width per second of motion
    d_cutoff: float = 2.0  # One-Euro: cutoff in Hz of the speed estimate
    frame_rate: float = 30.0  # assumed when timestamps do not increase


class OneEuroFilter:
    """One-Euro filter (Casiez et al. 2012) over an array of points sharing one speed (a rigid face)."""

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._value: np.ndarray | None = None
        self._speed = np.zeros(0)

    @staticmethod
    def _alpha(cutoff: float, dt: float) -> float:
        return 1.0 / (1.0 + 1.0 / (2.0 * math.pi * cutoff * dt))

    def __call__(self, value: np.ndarray, dt: float, scale: float) -> np.ndarray:
        """Filtered `value`; `scale` (e.g. face width) turns speeds into scale-free units."""
        value = value.astype(np.float64)
        if self._value is None:
            self._value, self._speed = value, np.zeros_like(value)
            return value
        a_d = self._alpha(self.d_cutoff, dt)
        self._speed = self._speed + a_d * ((value - self._value) / dt - self._speed)
        speed = float(np.linalg.norm(self._speed, axis=-1).mean()) / max(scale, 1.0)
        a = self._alpha(self.min_cutoff + self.beta * speed, dt)
        self._value = self._value + a * (value - self._value)
        return self._value


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Area of the intersection of two x0, y0, x1, y1 boxes."""
    return float(max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1])))


def _area(box: np.ndarray) -> float:
    return float((box[2] - box[0]) * (box[3] - box[1]))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    inter = _overlap(a, b)
    return inter / (_area(a) + _area(b) - inter) if inter > 0 else 0.0


@dataclass
class _Track:
    id: int
    landmarks: np.ndarray  # (5, 2) float64 frame px, unfiltered
    box: np.ndarray  # (4,) float64 frame px, unfiltered
    score: float
    smoother: OneEuroFilter
    confirmed_width: float  # box width at the last detection that matched this face
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))  # flow-frame px
    misses: int = 0
    fine: bool = False  # found by the fine pass only: the coarse detector cannot see it
    # The last detections' landmarks, moved along with the face since (frame px).
    recent: list[np.ndarray] = field(default_factory=list)

    def correct(self, landmarks: np.ndarray, box: np.ndarray, cfg: TrackerConfig) -> None:
        """Pulls the followed face towards a detection of it.

        Flow is precise from frame to frame but drifts; the detector does not drift but is noisy.
        Taking a share of each correction keeps both virtues; a large error (flow slipped, a fast
        expression change) is taken whole. The landmarks are pulled towards the median of the last
        `detection_median` detections: YuNet's points on a still face jump between two places 0.6 px
        apart (with a crop 1.5% larger), and one detection off drew a still face's crop off by 1-4 px
        for a second.
        """
        error = float(np.abs(landmarks - self.landmarks).max()) / max(float(box[2] - box[0]), 1.0)
        snap = error > cfg.snap_error
        # A new face takes its first detections' median whole (one first detection off settled
        # over a second): while fewer than `detection_median` are held.
        gain = 1.0 if snap or len(self.recent) < cfg.detection_median else cfg.detection_gain
        kept = [] if snap else self.recent[max(len(self.recent) - cfg.detection_median + 1, 0) :]
        self.recent = [*kept, landmarks.astype(np.float64)]
        target = np.median(np.stack(self.recent), axis=0)
        self.landmarks = self.landmarks + gain * (target - self.landmarks)
        self.box = self.box + gain * (box - self.box)

    def move(self, matrix: np.ndarray) -> None:
        """Moves the face by a similarity transform (frame px)."""
        self.landmarks = apply(matrix, self.landmarks)
        self.recent = [apply(matrix, points) for points in self.recent]
        scale = math.hypot(matrix[0, 0], matrix[1, 0])
        centre = apply(matrix, (self.box[:2] + self.box[2:]).reshape(1, 2) / 2)[0]
        half = (self.box[2:] - self.box[:2]) / 2 * scale
        self.box = np.concatenate([centre - half, centre + half])


def _shrink(image: np.ndarray, longest: int) -> np.ndarray:
    """`image` scaled down so its longer side is `longest` (returned as is when already small)."""
    height, width = image.shape[:2]
    scale = longest / max(height, width)
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


class FaceTracker:
    """`update(image, pts)` once per frame, in order; returns the faces in that frame, sorted by id."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self.detector = create_detector(self.config)
        self._next_id = 1
        self.reset()

    def reset(self) -> None:
        """Forgets every face (a new clip or camera); ids keep increasing so they are never reused."""
        self._tracks: list[_Track] = []
        self._grey: np.ndarray | None = None
        self._shape: tuple[int, ...] | None = None
        self._pts: float | None = None
        self._frames_to_detect = 0
        self._detector_runs = 0

    def update(self, image: np.ndarray, pts: float) -> list[Face]:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an H x W x 3 uint8 BGR image, got {image.dtype} {image.shape}")
        if image.shape != self._shape:
            self.reset()
            self._shape = image.shape
        cfg = self.config
        dt = 1.0 / cfg.frame_rate
        if self._pts is not None and pts > self._pts:
            dt = pts - self._pts
        self._pts = pts

        height, width = image.shape[:2]
        small = _shrink(image, cfg.flow_size)
        flow_scale = small.shape[1] / width
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        lost = self._follow(grey, flow_scale) if self._grey is not None and self._tracks else False

        self._frames_to_detect -= 1
        if self._frames_to_detect <= 0 or lost:
            self._frames_to_detect = cfg.detect_every
            to_frame = width / small.shape[1]
            found = self._detect(small, to_frame, cfg.detect_size)
            fine_pass = cfg.fine_detect_every > 0 and self._detector_runs % cfg.fine_detect_every == 0
            self._detector_runs += 1
            fine_only = np.zeros(len(found.scores), bool)
            if fine_pass and cfg.fine_detect_size > cfg.detect_size:
                fine = self._detect(small, to_frame, cfg.fine_detect_size)
                found, fine_only = self._with_small_faces(found, fine, max(height, width))
            boxes, landmarks, continuing = self._continued(found)
            found, seen = with_landmarks_refined(
                self.detector, image, found, cfg.refine_face, cfg.refine_context, boxes, landmarks
            )
            keep = seen | continuing | (found.scores >= cfg.confirm_score)
            found, fine_only = found.subset(keep), fine_only[keep]
            self._match(found, fine_only, fine_pass, grey, flow_scale)
        self._tracks = [t for t in self._tracks if self._visible(t.box, width, height) >= cfg.min_visible]
        self._grey = grey
        return [self._output(track, dt) for track in self._tracks]

    # -- steps -------------------------------------------------------------------------------
    def _detect(self, small: np.ndarray, to_frame: float, size: int) -> Detections:
        image = _shrink(small, size)
        found = self.detector.detect(image)
        back = to_frame * small.shape[1] / image.shape[1]
        return Detections(found.boxes * back, found.landmarks * back, found.scores)

    def _continued(self, found: Detections) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per detection, the box and landmarks of the track it continues (moved by flow, steadier
        than a detection's), else its own; and whether it continues one."""
        boxes, landmarks = found.boxes.copy(), found.landmarks.copy()
        continuing = np.zeros(len(found.scores), bool)
        for index, box in enumerate(found.boxes):
            best = max(((_iou(t.box, box), t) for t in self._tracks), key=lambda pair: pair[0], default=None)
            if best is not None and best[0] >= self.config.match_iou:
                boxes[index], landmarks[index], continuing[index] = best[1].box, best[1].landmarks, True
        return boxes, landmarks, continuing

    def _with_small_faces(
        self, coarse: Detections, fine: Detections, longest: int
    ) -> tuple[Detections, np.ndarray]:
        """The coarse detections plus the fine pass's small faces that no coarse one (nor a
        coarse-seen track) covers, and which of them came from the fine pass only. Faces both passes
        see keep the coarse landmarks: YuNet's points shift with a face's size in its input."""
        cfg = self.config
        held = list(coarse.boxes) + [t.box for t in self._tracks if not t.fine]
        widest = cfg.fine_max_face * longest / min(cfg.detect_size, longest)  # frame px
        extra = [
            i for i, box in enumerate(fine.boxes)
            if box[2] - box[0] < widest and all(_iou(box, b) < cfg.match_iou for b in held)
        ]  # fmt: skip
        if not extra:
            return coarse, np.zeros(len(coarse.scores), bool)
        merged = Detections(
            np.concatenate([coarse.boxes, fine.boxes[extra]]),
            np.concatenate([coarse.landmarks, fine.landmarks[extra]]),
            np.concatenate([coarse.scores, fine.scores[extra]]),
        )
        return merged, np.arange(len(merged.scores)) >= len(coarse.scores)

    def _follow(self, grey: np.ndarray, flow_scale: float) -> bool:
        """Moves every track by the flow of its points; drops the ones flow loses. True if any was lost."""
        counts = [len(t.points) for t in self._tracks]
        moved, status, error = cv2.calcOpticalFlowPyrLK(
            self._grey, grey, np.concatenate([t.points for t in self._tracks]).reshape(-1, 1, 2), None,
            winSize=(15, 15), maxLevel=2,
            criteria=(cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 10, 0.03),
        )  # fmt: skip
        kept: list[_Track] = []
        start = 0
        for track, count in zip(self._tracks, counts, strict=True):
            old = track.points
            new = moved[start : start + count, 0]
            ok = status[start : start + count, 0] == 1
            residual = error[start : start + count, 0][ok]
            start += count
            # The picture under the points changed (the face jumped away or was covered): lost.
            if not ok.any() or float(np.median(residual)) > self.config.flow_error_limit:
                continue
            matrix = self._fit_motion(old[ok], new[ok])
            # A face does not change size by a quarter between two frames, nor drift far from the
            # size the detector last saw: either means flow slid off the face (fast motion), so the
            # track is dropped and the detector runs at once instead of leaving a ghost behind.
            if matrix is None or not 0.8 < math.hypot(matrix[0, 0], matrix[1, 0]) < 1.25:
                continue
            to_frame = np.diag([1 / flow_scale, 1 / flow_scale])
            frame_matrix = np.hstack([matrix[:, :2], to_frame @ matrix[:, 2:]])
            track.move(frame_matrix)
            if not 0.6 < (track.box[2] - track.box[0]) / track.confirmed_width < 1.6:
                continue
            track.points = new[ok]
            kept.append(track)
        lost = len(kept) < len(self._tracks)
        self._tracks = kept
        return lost

    @staticmethod
    def _fit_motion(old: np.ndarray, new: np.ndarray) -> np.ndarray | None:
        """Similarity of a face's points between frames, refitted without the worst-moving points."""
        if len(old) < 4:
            return None
        matrix = fit_similarity(old, new)
        residual = np.linalg.norm(apply(matrix, old) - new, axis=1)
        inliers = residual <= max(0.5, 3.0 * float(np.median(residual)))
        if inliers.sum() < 4:
            return None
        return fit_similarity(old[inliers], new[inliers])

    def _match(
        self, found: Detections, fine_only: np.ndarray, fine_pass: bool, grey: np.ndarray, flow_scale: float
    ) -> None:
        """Detections to tracks by box overlap; `fine_only` marks the ones only the fine pass found,
        `fine_pass` whether it ran (else a face only it can see is not missed)."""
        cfg = self.config
        pairs = sorted(
            (
                (_iou(t.box, box), ti, di)
                for ti, t in enumerate(self._tracks)
                for di, box in enumerate(found.boxes)
            ),
            reverse=True,
        )
        matched_tracks: set[int] = set()
        matched_found: set[int] = set()
        for overlap, ti, di in pairs:
            if overlap < cfg.match_iou or ti in matched_tracks or di in matched_found:
                continue
            matched_tracks.add(ti)
            matched_found.add(di)
            self._tracks[ti].correct(found.landmarks[di], found.boxes[di], cfg)
            track = self._tracks[ti]
            track.score, track.misses, track.fine = float(found.scores[di]), 0, bool(fine_only[di])
            track.confirmed_width = max(float(track.box[2] - track.box[0]), 1.0)
            track.points = self._seed_points(grey, track, flow_scale)
        confirmed = [self._tracks[ti].box for ti in matched_tracks]
        for ti, track in enumerate(self._tracks):
            if ti in matched_tracks or (track.fine and not fine_pass):
                continue
            track.misses += 1
            if any(_iou(track.box, box) >= cfg.match_iou for box in confirmed):
                track.misses = cfg.lost_after + 1  # drifted onto a face another track holds
        self._tracks = [t for t in self._tracks if t.misses <= cfg.lost_after]
        for di in range(len(found.scores)):  # coarse finds first, each pass best score first
            if di in matched_found or len(self._tracks) >= cfg.max_faces:
                continue
            track = _Track(
                id=self._next_id,
                landmarks=found.landmarks[di].astype(np.float64),
                box=found.boxes[di].astype(np.float64),
                score=float(found.scores[di]),
                smoother=OneEuroFilter(cfg.min_cutoff, cfg.beta, cfg.d_cutoff),
                confirmed_width=max(float(found.boxes[di][2] - found.boxes[di][0]), 1.0),
                fine=bool(fine_only[di]),
                recent=[found.landmarks[di].astype(np.float64)],
            )
            self._next_id += 1
            track.points = self._seed_points(grey, track, flow_scale)
            self._tracks.append(track)
        self._tracks.sort(key=lambda t: t.id)

    def _seed_points(self, grey: np.ndarray, track: _Track, flow_scale: float) -> np.ndarray:
        """Corners inside the inner part of the face box (background would move differently) + landmarks."""
        x0, y0, x1, y1 = track.box * flow_scale
        inset_x, inset_y = (x1 - x0) * 0.15, (y1 - y0) * 0.15
        left, top = max(0, int(x0 + inset_x)), max(0, int(y0 + inset_y))
        right, bottom = min(grey.shape[1], int(x1 - inset_x)), min(grey.shape[0], int(y1 - inset_y))
        points = [track.landmarks.astype(np.float32) * flow_scale]
        if right - left >= 8 and bottom - top >= 8:
            corners = cv2.goodFeaturesToTrack(
                grey[top:bottom, left:right], self.config.flow_points, 0.01, max(2.0, (right - left) / 10)
            )
            if corners is not None:
                points.append(corners.reshape(-1, 2) + np.float32([left, top]))
        return np.concatenate(points).astype(np.float32)

    @staticmethod
    def _visible(box: np.ndarray, width: int, height: int) -> float:
        area = _area(box)
        return _overlap(box, np.array([0.0, 0.0, width, height])) / area if area > 0 else 0.0

    def _output(self, track: _Track, dt: float) -> Face:
        shape = np.vstack([track.landmarks, track.box.reshape(2, 2)])
        smooth = track.smoother(shape, dt, float(track.box[2] - track.box[0]))
        return Face(
            id=track.id,
            box=smooth[5:].reshape(4).astype(np.float32),
            landmarks=smooth[:5].astype(np.float32),
            score=track.score,
        )
