"""Temporal smoothing of stylised face crops: removes flicker without ghost trails.

A style runs on every frame independently, so small input changes (sensor noise, a one-pixel crop
jitter) can flip a tone or a line and the face shimmers. Per face we keep the previous output, move
it to where the face is now, and blend it with the new stylised crop (a recursive filter):

    out = a * stylised + (1 - a) * warp(previous output)

Two motions are candidates. If the face moved and the landmarks followed it exactly, the face sits
still in the aligned crop: the motion is the identity. If the face stood still and only the
landmarks jittered, frame content moved by the crop motion M_cur @ inv(M_prev). Real frames mix
both, so the candidate that better predicts the current *source* crop from the previous one is
taken, and dense optical flow between those source crops (optional) refines it (expression
changes, the rest of the tracker's error). A drawn figure (a drawing with its own alpha) is placed
by the landmarks, so its history moves by the chosen candidate alone: the flow only tells where
its past is trusted. The weight `a` is chosen per pixel from how well the warped
previous *source* crop predicts the current one: where it does not (occlusion, a mouth opening, a
turn the warp cannot express) a -> 1, so nothing stale is shown; where it does, a is small and the
output is steady. Lighting changes are taken out twice: the source check divides out the global
brightness ratio of the source crops (a change of light is not a disagreement), and the history is
scaled to the new stylised crop's brightness where it is trusted, so a slow lighting change (or a
style's own exposure change) does not lag behind and darken the face.
The filter adds no delay beyond the one frame of state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np


@dataclass
class SmootherConfig:
    """Knobs of `TemporalSmoother`; the pipeline's `smoothing` amount (0..1) scales the strength."""

    min_weight: float = 0.15  # weight of the new frame where the past predicts it well, at amount 1
    error_low: float = 6.0  # residual (grey levels, 0..255) the past may differ by and still count as right
    error_high: float = 22.0  # residual at and above which the past is ignored (occlusion, new content)
    flow: bool = True  # refine the known crop motion with dense optical flow (DIS, ultrafast preset)
    # No flow where the affine motion already predicts every pixel within this residual (grey
    # levels, 3x3 mean): a still or rigidly moving face. bench/temporal.py --tracker: flicker -83%
    # either way; 6 (error_low) lost 0.7 points, as the flow refines sub-pixel jitter below it.
    flow_after: float = 3.0
    work_size: int = 64  # side in pixels of the small grey crops that flow and residuals use
    follow_light: bool = True  # match the history's brightness to the present (no lag behind light changes)
    # A frame the style skips carries the last drawing only if at most this share of the crop
    # changed beyond error_high after the motion (else the face is drawn: a blink, a word).
    redraw_changed: float = 0.01


@dataclass
class _FaceState:
    # (S, S, 3) float32: what was returned last time, before rounding. Kept in float because a
    # recursive filter on integers stalls: with weight a, changes below 0.5 / a grey levels would
    # never arrive (a slow lighting change would lag several levels behind).
    output: np.ndarray
    source_small: np.ndarray  # (w, w) uint8 grey source crop at work size
    matrix: np.ndarray  # (3, 3) float64 frame -> crop of that frame
    # (S, S) uint8: a drawn figure's coverage (the fourth channel of a look's drawing), moved and
    # blended like the colours; in uint8, since an edge that stalls a level short is invisible.
    alpha: np.ndarray | None = None
    # The source crop (work size) and matrix when the face was last drawn: carried frames keep
    # them, so `as_drawn` compares the face now with what its drawing was made of.
    drawn_small: np.ndarray | None = None
    drawn_matrix: np.ndarray | None = None


class _Prediction(NamedTuple):
    """The previous source crop moved by one candidate motion."""

    back: np.ndarray  # 3x3 map from current-crop pixels to previous-crop pixels (crop size)
    back_small: np.ndarray  # the same map in work-size pixels
    src_x: np.ndarray  # work-size sampling positions in the previous crop
    src_y: np.ndarray
    image: np.ndarray  # the previous grey work-size source crop resampled there
    error: float  # L1 distance from the current grey work-size source crop


class TemporalSmoother:
    """Motion-compensated, occlusion-aware recursive filter over each face's stylised crop.

    Not thread-safe: the processing thread that owns the pipeline's FaceFilter calls it.
    """

    def __init__(self, config: SmootherConfig | None = None) -> None:
        self.config = config or SmootherConfig()
        self._faces: dict[int, _FaceState] = {}
        self._dis: cv2.DISOpticalFlow | None = None
        self._grids: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def smooth(
        self, face_id: int, stylized: np.ndarray, source_crop: np.ndarray, matrix: np.ndarray, amount: float
    ) -> np.ndarray:
        """The smoothed version of `stylized` (S, S, 3) uint8 for face `face_id`, whose source crop is
        `source_crop` (S, S, 3) cut from the frame by the 2x3 frame->crop `matrix`. A fourth channel
        (a drawn figure's alpha) is moved and smoothed with the colours."""
        current = _homogeneous(matrix)
        source_small = self._small(source_crop)
        previous = self._faces.get(face_id)
        amount = float(np.clip(amount, 0.0, 1.0))
        colour, alpha = _split(stylized)
        if amount <= 0.0 or previous is None or previous.output.shape != colour.shape \
                or previous.source_small.shape != source_small.shape:
            self._faces[face_id] = _FaceState(
                colour.astype(np.float32), source_small, current, alpha, source_small, current
            )
            return stylized.copy()
        exact, alpha = self._blend(previous, colour.astype(np.float32), alpha, source_small, current, amount)
        self._faces[face_id] = _FaceState(exact, source_small, current, alpha, source_small, current)
        return _join(cv2.convertScaleAbs(exact), alpha)

    def carry(
        self, face_id: int, source_crop: np.ndarray, matrix: np.ndarray, force: bool = False
    ) -> np.ndarray | None:
        """For a frame the style skips: face `face_id`'s last output moved to where the face is now
        (the motion `smooth` uses), or None when there is no history or the face changed more than
        that motion explains (a blink, a mouth opening, a hand): then it must be drawn. `force`
        carries a changed face too (the frame has no drawing left for it)."""
        previous = self._faces.get(face_id)
        source_small = self._small(source_crop)
        if previous is None or previous.output.shape[0] != source_crop.shape[0] \
                or previous.source_small.shape != source_small.shape:
            return None
        current = _homogeneous(matrix)
        best = self._best_prediction(previous, source_small, current)
        high = self.config.error_high
        if previous.alpha is not None and self._unchanged(source_small, best.image, high):
            # A figure is moved without flow anyway (`_drawing_flow`): flow is only needed to tell
            # the tracker's drift from a change, and there is none to tell here (the tracker's demo
            # clip: flow on 26 of 150 frames instead of 65).
            back, flow = best.back, None
        else:
            back, flow, _, _, predicted = self._motion(previous, source_small, current, best)
            if not force and not self._unchanged(source_small, predicted, high):
                return None
        moved, alpha = self._warp_history(previous, back, _drawing_flow(previous.alpha, flow))
        self._faces[face_id] = _FaceState(
            moved, source_small, current, alpha, previous.drawn_small, previous.drawn_matrix
        )
        return _join(cv2.convertScaleAbs(moved), alpha)

    def as_drawn(self, face_id: int, source_crop: np.ndarray, matrix: np.ndarray) -> bool:
        """Whether face `face_id` still looks as it did when last drawn: the source crop its drawing
        was made of, moved by the best rigid motion since, predicts the current one within
        `error_low` on all but `redraw_changed` of the crop (a still face in the same light; a word,
        a blink, a turn or a change of light is a difference). Such a face needs no new drawing yet."""
        state = self._faces.get(face_id)
        source_small = self._small(source_crop)
        if state is None or state.drawn_small is None or state.drawn_matrix is None \
                or state.drawn_small.shape != source_small.shape:
            return False
        drawn = _FaceState(state.output, state.drawn_small, state.drawn_matrix)  # the face as drawn
        best = self._best_prediction(drawn, source_small, _homogeneous(matrix))
        work = source_small.shape[0]
        seen = _within(best.src_x, best.src_y, 0.5, work - 1.5)
        return self._unchanged(source_small, best.image, self.config.error_low, seen)

    def forget(self, keep_ids: set[int]) -> None:
        """Drops the state of every face not in `keep_ids` (faces that left the picture)."""
        for face_id in [i for i in self._faces if i not in keep_ids]:
            del self._faces[face_id]

    def reset(self) -> None:
        self._faces.clear()

    def _small(self, source_crop: np.ndarray) -> np.ndarray:
        """The grey work-size copy of a source crop that motion and residuals are measured on."""
        work = min(self.config.work_size, source_crop.shape[0])
        grey = cv2.cvtColor(source_crop, cv2.COLOR_BGR2GRAY)
        return cv2.resize(grey, (work, work), interpolation=cv2.INTER_AREA)

    def _unchanged(
        self, source_small: np.ndarray, predicted: np.ndarray, error: float, seen: np.ndarray | None = None
    ) -> bool:
        """Whether a prediction of the current source crop misses it by more than `error` (3x3 mean
        residual, grey levels) on at most `redraw_changed` of the crop, counting only where `seen`
        (else the face changed: a blink, a word, a hand)."""
        residual = cv2.blur(cv2.absdiff(source_small, predicted), (3, 3))
        differs = residual > error if seen is None else (residual > error) & seen
        return int(np.count_nonzero(differs)) <= self.config.redraw_changed * residual.size

    def _motion(
        self, previous: _FaceState, source_small: np.ndarray, current: np.ndarray,
        best: _Prediction | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """How the face moved since `previous`: (back, flow or None, src_x, src_y, predicted), the
        affine map from current-crop pixels to the previous crop, its work-size flow refinement,
        the work-size sampling positions and the previous source crop resampled there. `best`:
        the affine candidates' better one, when the caller has it already."""
        grid_x, grid_y = self._grid(source_small.shape[0])
        best = best or self._best_prediction(previous, source_small, current)
        if not self.config.flow or self._explained(best, source_small):
            return best.back, None, best.src_x, best.src_y, best.image
        flow = self._flow(source_small, best.image)
        # Chain the refinement through the affine step so each image is resampled only once.
        flow_x, flow_y = _apply_affine(best.back_small, grid_x + flow[..., 0], grid_y + flow[..., 1])
        refined = cv2.remap(previous.source_small, flow_x, flow_y, cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
        # Flow on a well-aligned, noisy crop is mostly noise that would blur the history: keep
        # it only when it clearly explains the change better.
        if cv2.norm(refined, source_small, cv2.NORM_L1) < 0.95 * best.error:
            return best.back, flow, flow_x, flow_y, refined
        return best.back, None, best.src_x, best.src_y, best.image

    def _best_prediction(
        self, previous: _FaceState, source_small: np.ndarray, current: np.ndarray
    ) -> _Prediction:
        """The better of the two candidate motions (module docstring) from `previous` to the
        current crop (`current`: its 3x3 frame -> crop matrix), mapping current-crop pixels to the
        previous crop."""
        size, work = previous.output.shape[0], source_small.shape[0]
        grid_x, grid_y = self._grid(work)
        return min((self._predict(previous, back, grid_x, grid_y, size, source_small)
                    for back in (np.eye(3), previous.matrix @ np.linalg.inv(current))),
                   key=lambda prediction: prediction.error)  # fmt: skip

    def _blend(
        self, previous: _FaceState, stylized: np.ndarray, alpha: np.ndarray | None, source_small: np.ndarray,
        current: np.ndarray, amount: float,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(the new drawing blended with the history, its alpha blended the same way or as it came)."""
        cfg = self.config
        size, work = stylized.shape[0], source_small.shape[0]
        back, flow, src_x, src_y, predicted = self._motion(previous, source_small, current)
        current_f = source_small.astype(np.float32)
        predicted_f = predicted.astype(np.float32)
        if cfg.follow_light:
            predicted_f *= self._light_gain(current_f, predicted_f)
        residual = cv2.blur(np.abs(current_f - predicted_f), (3, 3))
        # Pixels whose previous position fell outside the previous crop have no history.
        outside = ~_within(src_x, src_y, -0.5, work - 0.5)
        residual[outside] = 255.0

        floor = cfg.min_weight**amount  # geometric: equal steps of `amount` feel like equal steps
        t = np.clip((residual - cfg.error_low) / max(cfg.error_high - cfg.error_low, 1e-3), 0.0, 1.0)
        weight_small = floor + (1.0 - floor) * (t * t * (3.0 - 2.0 * t))

        warped, warped_alpha = self._warp_history(previous, back, _drawing_flow(previous.alpha, flow))
        if cfg.follow_light:
            warped *= self._brightness_step(stylized, warped, t < 0.5)
        weight = cv2.resize(weight_small, (size, size), interpolation=cv2.INTER_LINEAR)
        if alpha is not None and warped_alpha is not None:
            alpha = cv2.blendLinear(alpha, warped_alpha, weight, 1.0 - weight)
        return cv2.blendLinear(stylized, warped, weight, 1.0 - weight), alpha

    def _warp_history(
        self, previous: _FaceState, back: np.ndarray, flow: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The previous output (float) and its alpha moved into the current crop: the affine step
        `back`, after the work-size `flow` if there is one. The colours bicubic: each carry and
        blend resamples them again, and bilinear at half-pixel steps halved a 2 px line's contrast
        each time (six carries kept 10% of its Laplacian energy, bicubic 58%); the alpha, a soft
        edge, bilinear (bicubic cost 0.3 ms more a carry there for nothing seen)."""
        size = previous.output.shape[0]
        pictures = [(previous.output, cv2.INTER_CUBIC)]
        if previous.alpha is not None:
            pictures.append((previous.alpha, cv2.INTER_LINEAR))
        if flow is None:
            moved = [cv2.warpAffine(picture, back[:2], (size, size), flags=how | cv2.WARP_INVERSE_MAP,
                                    borderMode=cv2.BORDER_REPLICATE) for picture, how in pictures]
        else:
            grid_x, grid_y = self._grid(size)
            scale = size / flow.shape[0]
            flow_x = cv2.resize(flow[..., 0], (size, size), interpolation=cv2.INTER_LINEAR) * scale
            flow_y = cv2.resize(flow[..., 1], (size, size), interpolation=cv2.INTER_LINEAR) * scale
            map_x, map_y = _apply_affine(back.astype(np.float32), grid_x + flow_x, grid_y + flow_y)
            moved = [cv2.remap(picture, map_x, map_y, how, borderMode=cv2.BORDER_REPLICATE)
                     for picture, how in pictures]
        return moved[0], moved[1] if len(moved) > 1 else None

    @staticmethod
    def _brightness_step(stylized: np.ndarray, warped: np.ndarray, trusted: np.ndarray) -> float:
        """Gain from the history to the new stylised crop, measured where the history is trusted
        (`trusted`, work size): follows light, and a style's own exposure, without lag."""
        if trusted.mean() < 0.25:
            return 1.0
        work = trusted.shape[0]
        k = stylized.shape[0] // work
        # One pixel from the middle of each work-size cell: a mean over thousands of samples,
        # without resizing two crop-sized pictures (that took 0.8 ms of each smoothing).
        cells = (slice(k // 2, work * k, k), slice(k // 2, work * k, k))
        new, old = stylized[cells][trusted], warped[cells][trusted]
        return min(max((float(new.mean()) + 8.0) / (float(old.mean()) + 8.0), 0.8), 1.25)

    @staticmethod
    def _predict(
        previous: _FaceState, back: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray, size: int,
        target: np.ndarray,
    ) -> _Prediction:
        """The previous source crop moved by `back` (3x3, crop pixels), compared with `target`."""
        back_small = _rescale_affine(back, size, grid_x.shape[0])
        src_x, src_y = _apply_affine(back_small, grid_x, grid_y)
        predicted = cv2.remap(previous.source_small, src_x, src_y, cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
        error = float(cv2.norm(predicted, target, cv2.NORM_L1))
        return _Prediction(back, back_small, src_x, src_y, predicted, error)

    def _explained(self, prediction: _Prediction, current: np.ndarray) -> bool:
        """Whether the affine motion predicts the current source crop within `flow_after` wherever
        the previous crop saw it: then flow has nothing to refine but noise. Where it applies,
        leaving out DIS and the crop-sized remaps its flow needs saves ~1.1 of a carry's 2.9 ms."""
        residual = cv2.blur(cv2.absdiff(prediction.image, current), (3, 3))
        work = current.shape[0]
        # A strip the previous crop did not see has no history to align (its residual is the
        # border's replicated pixels); flow could not help it either.
        seen = _within(prediction.src_x, prediction.src_y, 0.5, work - 1.5)
        return float(residual[seen].max(initial=0)) <= self.config.flow_after

    def _light_gain(self, current: np.ndarray, predicted: np.ndarray) -> float:
        """The lighting change since the last frame: the source brightness ratio over the pixels the
        past predicts (so a hand or a turned head, a part of the crop, is not taken for a change of light)."""
        agree = np.abs(current - predicted) < self.config.error_high
        if agree.mean() < 0.25:
            return 1.0
        ratio = (float(current[agree].mean()) + 8.0) / (float(predicted[agree].mean()) + 8.0)
        return min(max(ratio, 0.8), 1.25)

    def _flow(self, current: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        """Residual motion: current(x) ~ predicted(x + flow(x)), in work-size pixels."""
        if self._dis is None:
            self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        return self._dis.calc(current, predicted, None)

    def _grid(self, work: int) -> tuple[np.ndarray, np.ndarray]:
        if work not in self._grids:
            axis = np.arange(work, dtype=np.float32)
            self._grids[work] = tuple(np.meshgrid(axis, axis))  # type: ignore[assignment]
        return self._grids[work]


def _drawing_flow(alpha: np.ndarray | None, flow: np.ndarray | None) -> np.ndarray | None:
    """The flow a drawing's history is moved by: a drawn figure (a drawing with its own alpha) is
    placed by the landmarks, which define the crop, so its lines stay put in the crop while the
    photo's content drifts inside it by the tracker's error; moving its history with that drift
    (the flow) set its lines a little off the new drawing's, and their blend went soft and wobbled
    (bench/temporal --tracker, the live row: sharpness 0.51 -> 0.54, wobble 0.95 -> 0.62 grey
    levels). The flow still tells where the past can be trusted."""
    return None if alpha is not None else flow


def _split(drawing: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(BGR, alpha or None) of a BGR or BGRA drawing."""
    if drawing.shape[2] == 4:  # a view of the colours: the caller makes its float copy from it
        return drawing[..., :3], np.ascontiguousarray(drawing[..., 3])
    return drawing, None


def _join(colour: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """A BGR picture with its alpha (BGRA), or as it is without one."""
    if alpha is None:
        return colour
    out = cv2.cvtColor(colour, cv2.COLOR_BGR2BGRA)
    out[..., 3] = alpha
    return out


def _within(x: np.ndarray, y: np.ndarray, low: float, high: float) -> np.ndarray:
    """Where the sampling positions (x, y) lie in [low, high] on both axes."""
    return (x >= low) & (y >= low) & (x <= high) & (y <= high)


def _homogeneous(matrix: np.ndarray) -> np.ndarray:
    """A 2x3 affine matrix as 3x3 float64."""
    return np.vstack([np.asarray(matrix, np.float64).reshape(2, 3), (0.0, 0.0, 1.0)])


def _apply_affine(matrix: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Applies the 3x3 (or 2x3) `matrix` to the points (x, y), elementwise over the arrays."""
    return (matrix[0, 0] * x + matrix[0, 1] * y + matrix[0, 2],
            matrix[1, 0] * x + matrix[1, 1] * y + matrix[1, 2])


def _rescale_affine(matrix: np.ndarray, size: int, work: int) -> np.ndarray:
    """`matrix` (3x3, pixel coordinates of size-S crops) expressed in work-size pixel coordinates."""
    s = work / size
    to_work = np.array([[s, 0.0, 0.5 * s - 0.5], [0.0, s, 0.5 * s - 0.5], [0.0, 0.0, 1.0]])
    return (to_work @ matrix @ np.linalg.inv(to_work)).astype(np.float32)
