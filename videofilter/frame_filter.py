"""One frame through the filter, on one thread: track -> align -> look -> smooth, the scene, compose.

    faces: tracker -> aligned crops (+ their landmarks) -> the style -> TemporalSmoother ────┐
    scene: SceneRenderer draws the whole frame in the style's look ──────────────────────────┴─▶
           Compositor pastes each face's drawn figure over the scene -> mix with the photo

`strength` mixes the finished drawing with the photo (the drawn layers of face and scene alike),
so 0 is the photo exactly, 1 the full look, and every step between is a steady mix, never a pop.
With the scene off (face only) the faces are pasted over the photo with `strength` as their weight,
which is the same mix restricted to the faces' regions. A look whose `stylize` takes `strength`
does its own mix of drawn layers and photo before its proportion warp (a plain mix of a warped
drawing with the unwarped photo shows two outlines of the eyes at half strength); then only the
scene is mixed here and the faces are pasted as they come.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from animecam.core.align import apply, crop_transform, warp_to_crop
from animecam.core.frames import Frame, FrameResult
from animecam.core.samples import astronaut_bgr
from animecam.core.style import FigureStyle, Style, crop_framing
from animecam.engine.scene import SceneConfig, ScenePicture, SceneRenderer, scene_look_for
from animecam.videofilter.compose import Compositor, CompositorConfig, mix_with_photo
from animecam.videofilter.faces import FaceTracker, TrackerConfig
from animecam.videofilter.schedule import scheduled_drawings
from animecam.videofilter.smoothing import SmootherConfig, TemporalSmoother


@dataclass
class PipelineConfig:
    """Every knob of the running filter, with its default."""

    strength: float = 1.0  # 0 = the photo, 1 = the full look (face and scene alike)
    smoothing: float = 0.6  # 0 = none, 1 = strongest temporal smoothing
    scene: bool = True  # draw the whole picture in the look; False = faces only, over the photo
    mirror: bool = False  # flip horizontally before anything else (a selfie view)
    draw_faces: bool = False  # draw tracked boxes and landmarks on the output
    realtime: bool = False  # pace a file source at its own frame rate (previews of a clip)
    queue_size: int = 2  # frames held between threads in live mode (oldest dropped)
    # Read a newest-on-read source (a camera) only when a frame has left the pipeline: a credit per
    # frame, so no CPU goes into frames that would only be dropped (bench/pacing.py measures it).
    pace_capture: bool = True
    # A face is drawn about every N-th frame (several faces take turns); on the frames between,
    # its last drawing is moved with it (the smoother's motion) unless the face changed more than
    # motion explains (a blink, a word, a hand), which is drawn at once. 1 = draw every frame.
    # 3 (was 2): a third less drawing per frame; bench/temporal.py: flicker -95% -> -96%, PSNR to
    # drawing every frame 37.9 -> 36.7 dB, carried frames as sharp (Laplacian 0.97 of a drawing).
    redraw_every: int = 3
    # A face that still looks as it did when drawn (TemporalSmoother.as_drawn: a still face in the
    # same light) waits up to this many frames for its next drawing instead (<= redraw_every: off).
    redraw_still_every: int = 10
    # At most this many faces are drawn on a frame that carries the others (a table of six on a
    # call would otherwise draw three a frame); a changed face over it is carried and drawn next.
    max_drawings: int = 2
    # OpenCV's worker threads spin between calls: on 2 cores its default pool cost 13 ms of CPU per
    # frame and 2 fps (the decode thread lost its core), so the pipeline sets this (0 = OpenCV's own).
    opencv_threads: int = 1
    # Draw the scene on a second thread while the faces are tracked and drawn (OpenCV releases
    # Python's lock, so the two overlap on two cores); False draws it first, on this thread.
    scene_thread: bool = True
    stats_window: int = 120  # frames the per-stage medians are taken over
    max_frames: int | None = None  # stop after delivering this many frames (scripts, tests)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    smoother: SmootherConfig = field(default_factory=SmootherConfig)
    compositor: CompositorConfig = field(default_factory=CompositorConfig)
    scene_renderer: SceneConfig = field(default_factory=SceneConfig)


@lru_cache(maxsize=64)
def _accepts(style_type: type, keyword: str, method: str = "stylize") -> bool:
    """Whether a style class's `method` (its `stylize`, or a FigureStyle's `stylize_figure`) takes
    `keyword`."""
    try:
        return keyword in inspect.signature(getattr(style_type, method)).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def mixes_strength(style: Style) -> bool:
    """A look that takes `strength` mixes its drawn layers with the photo itself and scales its own
    warp with it (no double contours at half strength); any other style is mixed over its output."""
    return _accepts(type(style), "strength")


def _memories(
    style: Style, memories: Sequence[dict] | None, method: str = "stylize"
) -> dict[str, object]:
    """`memories` as a keyword for a style whose `method` keeps what it saw of each person (else
    nothing)."""
    if memories is None or not _accepts(type(style), "memories", method):
        return {}
    return {"memories": memories}


def stylize(
    style: Style, crops: np.ndarray, landmarks: np.ndarray, strength: float | None = None,
    memories: Sequence[dict] | None = None,
) -> np.ndarray:  # fmt: skip
    """`style.stylize` with the crops' (N, 5, 2) landmarks (and `strength`, and each face's memory)
    when the style takes them."""
    options = _memories(style, memories)
    if _accepts(type(style), "landmarks"):
        options["landmarks"] = landmarks
    if strength is not None and mixes_strength(style):
        options["strength"] = strength
    return style.stylize(crops, **options)


def stylize_for_paste(
    style: Style, crops: np.ndarray, landmarks: np.ndarray, strength: float,
    memories: Sequence[dict] | None = None,
) -> np.ndarray:  # fmt: skip
    """What the compositor pastes: a FigureStyle's BGRA drawings (only the figure covers the scene),
    any other style's BGR crops (pasted in the compositor's oval)."""
    if isinstance(style, FigureStyle):
        figure_memories = _memories(style, memories, "stylize_figure")
        return style.stylize_figure(crops, landmarks, strength, **figure_memories)
    return stylize(style, crops, landmarks, strength, memories)


class FaceFilter:
    """Turns one frame into its stylised version. Not thread-safe: one processing thread owns it."""

    def __init__(self, style: Style, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        self.tracker = FaceTracker(self.config.tracker)
        self.smoother = TemporalSmoother(self.config.smoother)
        self.compositor = Compositor(self.config.compositor)
        self.scene = SceneRenderer(self.config.scene_renderer)
        # One worker: the renderer keeps state between frames, and each frame waits for its scene.
        self._scene_worker = ThreadPoolExecutor(1, thread_name_prefix="animecam-scene")
        self._style = style
        self._crop_size = style.input_size
        self._since_drawn: dict[int, int] = {}  # face id -> frames since its drawing was made
        # Face id -> what the style keeps of that person between drawings (the Style protocol's
        # `memories`): dropped with the face, so a new person starts afresh.
        self._memories: dict[int, dict] = {}
        # The style object and strength last drawn with (the object itself: an id() can be reused
        # by a later style once the old one is freed).
        self._drawn_with: tuple[Style, float] | None = None

    @property
    def style(self) -> Style:
        return self._style

    def set_style(self, style: Style) -> None:
        # Reference assignment is atomic; the next frame picks the new style up. Keeping the
        # smoother's state gives a short cross-fade instead of a jump (process() resets it only
        # when the crop size changes, on its own thread).
        self._style = style

    def process(self, frame: Frame) -> FrameResult:
        cfg = self.config
        style = self._style
        ms: dict[str, float] = {}
        clock = time.perf_counter
        image = cv2.flip(frame.image, 1) if cfg.mirror else frame.image
        original = Frame(image, frame.index, frame.pts) if cfg.mirror else frame
        strength = float(np.clip(cfg.strength, 0.0, 1.0))

        drawn = cfg.scene and strength > 0.0  # the whole frame is drawn, then mixed with the photo
        look_mixes = mixes_strength(style)
        scene: Future[ScenePicture] = Future()
        if drawn:
            self.scene.look = scene_look_for(style.name)
            mixed = strength if look_mixes else 1.0  # a look that mixes itself leaves only the scene
            if cfg.scene_thread:
                scene = self._scene_worker.submit(self._draw_scene, image, mixed, ms)
            else:
                scene.set_result(self._draw_scene(image, mixed, ms))
        t = clock()
        faces = self.tracker.update(image, frame.pts)
        ms["track"] = (clock() - t) * 1e3
        if style.input_size != self._crop_size:
            self.smoother.reset()
            self._crop_size = style.input_size
        # A dim frame's scene is lifted (SceneConfig.max_gain): the faces over it with it, or a
        # dark face sat in a bright drawing (the same gain: the scene's last frame).
        lift = 1.0 + (self.scene.gain - 1.0) * strength if drawn else 1.0
        drawings, matrices = self._faces(style, faces, image, strength, lift, ms)
        canvas, under = image, None
        if drawn:
            t = clock()
            canvas, under = scene.result()
            ms["scene_wait"] = (clock() - t) * 1e3
        if drawings:
            t = clock()
            canvas = canvas if drawn else image.copy()
            weight = 1.0 if drawn or look_mixes else strength
            for out, m in zip(drawings, matrices, strict=True):
                self.compositor.paste(canvas, out, m, weight, under=under)
            ms["compose"] = (clock() - t) * 1e3
        if drawn and not look_mixes and strength < 1.0:
            t = clock()
            canvas = mix_with_photo(canvas, image, strength)
            ms["compose"] = ms.get("compose", 0.0) + (clock() - t) * 1e3
        present = {face.id for face in faces}
        self.smoother.forget(present)
        self._since_drawn = {i: n for i, n in self._since_drawn.items() if i in present}
        self._memories = {i: m for i, m in self._memories.items() if i in present}
        if cfg.draw_faces and faces:
            canvas = canvas.copy() if canvas is image else canvas
            draw_faces(canvas, faces)
        return FrameResult(
            original=original, output=Frame(canvas, frame.index, frame.pts), faces=faces, stage_ms=ms
        )

    def _draw_scene(self, image: np.ndarray, strength: float, ms: dict[str, float]) -> ScenePicture:
        """The whole frame drawn in the look, and its tones (both mixed with the photo by
        `strength`); may run on the scene worker, which only this FaceFilter's frames use, one at a time."""
        t = time.perf_counter()
        canvas, tones = self.scene.draw_layers(image)
        if strength < 1.0:
            canvas = mix_with_photo(canvas, image, strength)
            photo = cv2.resize(image, tones.shape[1::-1], interpolation=cv2.INTER_AREA)
            tones = mix_with_photo(tones, photo, strength)
        ms["scene"] = (time.perf_counter() - t) * 1e3
        return ScenePicture(canvas, tones)

    def _faces(
        self, style: Style, faces: Sequence, image: np.ndarray, strength: float, lift: float,
        ms: dict[str, float],
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:  # fmt: skip
        """(each face's smoothed drawing, its frame -> crop matrix), in the style's framing; the
        crops multiplied by `lift`. None at strength 0 (the photo)."""
        if not faces or strength <= 0.0:
            return [], []
        size = style.input_size
        t = time.perf_counter()
        framing = crop_framing(style)
        matrices = [crop_transform(face.landmarks, size, framing) for face in faces]
        crops = np.stack([warp_to_crop(image, m, size) for m in matrices])
        if lift != 1.0:
            crops = cv2.convertScaleAbs(crops.reshape(-1, size, 3), alpha=lift).reshape(crops.shape)
        points = np.stack([apply(m, face.landmarks) for face, m in zip(faces, matrices, strict=True)])
        ms["align"] = (time.perf_counter() - t) * 1e3
        return self._draw_faces(style, faces, crops, points, matrices, strength, ms), matrices

    def _draw_faces(
        self, style: Style, faces: Sequence, crops: np.ndarray, points: np.ndarray,
        matrices: list[np.ndarray], strength: float, ms: dict[str, float],
    ) -> list[np.ndarray]:  # fmt: skip
        """Each face's smoothed drawing: carried from its last one where `redraw_every` allows and
        the face did not change, drawn (in one batch) otherwise. A new style or strength redraws all."""
        cfg = self.config
        clock = time.perf_counter
        t = clock()
        out: list[np.ndarray | None] = [None] * len(faces)
        setting = (style, strength)
        every = cfg.redraw_every
        last = self._drawn_with
        if last is not None and last[0] is style and last[1] == strength and every > 1:
            age = [self._since_drawn.get(face.id, every) for face in faces]
            budget = max(cfg.max_drawings, 1)
            scheduled = scheduled_drawings(
                age, every, budget, cfg.redraw_still_every,
                lambda i: self.smoother.as_drawn(faces[i].id, crops[i], matrices[i]),
            )  # fmt: skip
            # A changed face is drawn while the budget lasts (the longest-carried first); beyond it,
            # it keeps its moved drawing this frame. A new face, with nothing to carry, is drawn.
            spare = budget - len(scheduled)
            for i in sorted(range(len(faces)), key=lambda i: -age[i]):
                if i not in scheduled:
                    out[i] = self.smoother.carry(faces[i].id, crops[i], matrices[i], force=spare <= 0)
                    spare -= out[i] is None
        self._drawn_with = setting
        todo = [i for i, drawing in enumerate(out) if drawing is None]
        ms["smooth"] = (clock() - t) * 1e3
        if todo:
            t = clock()
            memories = [self._memories.setdefault(faces[i].id, {}) for i in todo]
            stylised = stylize_for_paste(style, crops[todo], points[todo], strength, memories)
            ms["style"] = (clock() - t) * 1e3
            t = clock()
            for i, drawing in zip(todo, stylised, strict=True):
                out[i] = self.smoother.smooth(faces[i].id, drawing, crops[i], matrices[i], cfg.smoothing)
            ms["smooth"] += (clock() - t) * 1e3
        for i, face in enumerate(faces):
            self._since_drawn[face.id] = 0 if i in todo else self._since_drawn[face.id] + 1
        return out  # type: ignore[return-value]


def draw_faces(canvas: np.ndarray, faces: Sequence) -> None:
    """Overlay of tracked boxes, ids and landmarks (the face-box toggle of the app)."""
    for face in faces:
        x0, y0, x1, y1 = (round(v) for v in face.box)
        cv2.rectangle(canvas, (x0, y0), (x1, y1), (80, 220, 120), 2, cv2.LINE_AA)
        cv2.putText(
            canvas,
            f"#{face.id}",
            (x0, max(12, y0 - 6)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5,
            (80, 220, 120),
            1,
            cv2.LINE_AA,
        )
        for x, y in face.landmarks:
            cv2.circle(canvas, (round(x), round(y)), 2, (60, 200, 255), -1, cv2.LINE_AA)


def style_thumbnail(style: Style, size: int = 96) -> np.ndarray:
    """A BGR size x size picture of `style` applied to a reference face (the style gallery's icons)."""
    photo = astronaut_bgr()
    faces = FaceTracker(TrackerConfig()).update(photo, 0.0)
    if not faces:
        raise RuntimeError("the face detector found no face in the reference photo")
    matrix = crop_transform(faces[0].landmarks, style.input_size, crop_framing(style))
    crop = warp_to_crop(photo, matrix, style.input_size)
    out = stylize(style, crop[None], apply(matrix, faces[0].landmarks)[None])[0]
    return cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)
