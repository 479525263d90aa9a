"""The scene stage: the whole frame drawn in the look (engine/scene.py) and how the filter uses it."""

from __future__ import annotations

import dataclasses
import itertools

import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from animecam.core.align import template
from animecam.core.frames import Frame
from animecam.engine.scene import SCENE_LOOKS, SceneConfig, SceneLook, SceneRenderer, scene_look_for
from animecam.videofilter.compose import CompositorConfig
from animecam.videofilter.pipeline import FaceFilter, PipelineConfig
from animecam.videofilter.sources.demo import DemoSource


def _portrait() -> np.ndarray:
    """The astronaut's face on a 480x360 canvas whose left part is a second, textured picture."""
    photo = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    canvas = cv2.resize(photo[300:512, 0:280], (480, 360), interpolation=cv2.INTER_AREA)  # suit, flag
    canvas[30:330, 115:365] = photo[0:300, 100:350]
    return canvas


def _squares(noise: float = 0.0, seed: int = 0, shift: int = 0) -> np.ndarray:
    """A light square on a darker ground, optionally with sensor-like noise."""
    image = np.full((240, 320, 3), (90, 110, 120), np.float32)
    image[60:180, 80 + shift : 200 + shift] = (200, 190, 170)
    if noise:
        image += np.random.default_rng(seed).normal(0, noise, image.shape)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


class Recorder:
    """A style that keeps what it was given, and returns the crops unchanged."""

    name, input_size = "anime", 128

    def __init__(self) -> None:
        self.landmarks: list[np.ndarray | None] = []

    def stylize(self, crops: np.ndarray, landmarks: np.ndarray | None = None) -> np.ndarray:
        self.landmarks.append(landmarks)
        return crops.copy()


class Invert:
    name, input_size = "invert", 128

    def stylize(self, crops: np.ndarray) -> np.ndarray:
        return 255 - crops


@pytest.mark.parametrize(
    ("style", "look"),
    [("anime", "anime"), ("shoujo", "shoujo"), ("manga", "manga"), ("twingan-anime/shoujo", "shoujo"),
     ("twingan-anime/manga", "manga"), ("gan-pastel", "anime"), ("anime 50% + manga 50%", "anime")],
)  # fmt: skip
def test_the_scene_look_follows_the_style_name(style: str, look: str) -> None:
    assert scene_look_for(style) == SCENE_LOOKS[look]


@pytest.mark.parametrize("look", sorted(SCENE_LOOKS))
def test_a_frame_of_odd_size_is_drawn_at_its_size(look: str) -> None:
    """The manga page was drawn at twice its half size: a 1137-high photo came out 1136 high."""
    image = cv2.resize(_squares(), (321, 241))
    assert SceneRenderer(SceneConfig(look=SCENE_LOOKS[look])).draw(image).shape == image.shape


def test_edges_are_inked_and_areas_flat() -> None:
    image = _squares(noise=6.0)
    out = SceneRenderer().draw(image)
    assert out.shape == image.shape and out.dtype == np.uint8
    grey = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY).astype(np.float32)
    # The dark side of the square's left edge is ink (near the look's dark line colour).
    assert grey[100:140, 74:80].min() < 70
    # Inside the square and on the ground: flat tones, the photo's noise gone.
    assert grey[80:160, 100:180].std() < 1.5 and grey[190:230, 230:300].std() < 1.5
    assert cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[80:160, 100:180].std() > 4


def test_texture_specks_are_not_inked_but_long_lines_are() -> None:
    """A long thin line is inked, even a faint one; short dashes (fur, grain) are texture and are
    not, even dark ones whose edges pass the ink's thresholds."""
    image = np.full((240, 320, 3), 190, np.uint8)
    cv2.line(image, (40, 60), (280, 60), (110, 110, 110), 3)
    rng = np.random.default_rng(1)
    for x, y in rng.integers((40, 120), (280, 220), (30, 2)):  # 30 dashes 6 px long
        cv2.line(image, (int(x), int(y)), (int(x) + 6, int(y) + 2), (60, 60, 60), 3)
    dashes = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[120:220] < 150
    inked = {}
    for min_stroke in (1, SceneLook().min_stroke):
        look = SceneLook(min_stroke=min_stroke)
        grey = cv2.cvtColor(SceneRenderer(SceneConfig(look=look)).draw(image), cv2.COLOR_BGR2GRAY)
        assert grey[55:66, 60:260].min(axis=0).max() < 70  # the line: ink along all its length
        inked[min_stroke] = float((grey[120:220][dashes] < 70).mean())  # the dashes' share in ink
    assert inked[1] > 0.3 and inked[SceneLook().min_stroke] < 0.02


def test_each_look_has_its_palette_anime_vivid_shoujo_soft_manga_black_and_white() -> None:
    image = _portrait()
    anime, shoujo, manga = (SceneRenderer(SceneConfig(look=SCENE_LOOKS[name])).draw(image)
                            for name in ("anime", "shoujo", "manga"))  # fmt: skip

    def colourfulness(picture: np.ndarray) -> float:  # mean CIELAB chroma
        lab = cv2.cvtColor(picture, cv2.COLOR_BGR2Lab).astype(np.float32) - 128.0
        return float(np.hypot(lab[..., 1], lab[..., 2]).mean())

    # The photo's colours survive the flat tones and the ink; shoujo's palette is softer.
    assert colourfulness(anime) > 0.95 * colourfulness(image)
    assert colourfulness(shoujo) < 0.9 * colourfulness(anime)
    assert np.array_equal(manga[..., 0], manga[..., 1]) and np.array_equal(manga[..., 1], manga[..., 2])
    # Paper, ink and screentone: most pixels are near white or near black.
    grey = manga[..., 0]
    assert np.mean((grey > 200) | (grey < 60)) > 0.6


def test_a_still_noisy_scene_is_a_still_drawing() -> None:
    def shimmer(config: SceneConfig, light: float = 1.0) -> float:
        renderer = SceneRenderer(config)
        frames = [cv2.convertScaleAbs(_squares(noise=4.0, seed=seed), alpha=light) for seed in range(12)]
        outs = [renderer.draw(frame).astype(np.float32) for frame in frames]
        return float(np.mean([np.abs(a - b).mean() for a, b in itertools.pairwise(outs[6:])]))

    steadied, per_frame = shimmer(SceneConfig()), shimmer(SceneConfig(still_weight=1.0))
    assert per_frame > 0.2  # noise does make a per-frame drawing shimmer
    assert steadied < 0.4 * per_frame
    # A dim room, lifted after steadying: what is left of its noise is lifted too, still cut.
    assert shimmer(SceneConfig(), 0.4) < 0.5 * shimmer(SceneConfig(still_weight=1.0), 0.4)


def _wall(level: float, mottle: float, size: tuple[int, int] = (240, 320), seed: int = 0) -> np.ndarray:
    """A grey wall at `level` with soft blotches of +-`mottle` grey levels (a studio backdrop)."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(0.0, 1.0, (size[0] // 40, size[1] // 40))
    blobs = cv2.resize(coarse, size[::-1], interpolation=cv2.INTER_CUBIC)
    wall = level + mottle * blobs / max(np.abs(blobs).max(), 1e-6)
    return cv2.cvtColor(np.clip(wall + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def _tones(picture: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return grey[20:-20, 20:-20]  # off the frame's edge


@pytest.mark.parametrize("name", ["anime", "shoujo"])
def test_a_mottled_wall_near_a_band_border_is_one_tone_not_blotches(name: str) -> None:
    wall = _wall(128.0, 14.0)  # both looks have a band border at 128 (4 and 6 levels)
    look = SCENE_LOOKS[name]
    unlifted = SceneConfig(max_gain=1.0)  # a grey wall alone would be lifted as a dim frame
    settled = _tones(SceneRenderer(dataclasses.replace(unlifted, look=look)).draw(wall))
    plain = dataclasses.replace(unlifted, look=dataclasses.replace(look, band_hysteresis=0.0))
    plain = _tones(SceneRenderer(plain).draw(wall))
    assert plain.std() > 10  # plain posterising: islands of both bands
    assert settled.std() < 4  # one band, with its fifth of the wall's own shading


def test_a_wall_varying_by_more_than_the_hysteresis_in_soft_clouds_is_one_tone() -> None:
    """The demo's backdrop in its dim first seconds: soft clouds (std 4.6 grey levels) on a band
    border; without the mottle flattened before the sides are decided, the drawing showed their
    shapes in two bands (std 28)."""
    frame = DemoSource(5.0).render(59)
    wall = (slice(40, 180), slice(340, 460))
    grey = cv2.cvtColor(SceneRenderer().draw(frame), cv2.COLOR_BGR2GRAY).astype(np.float32)
    photo = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    assert photo[wall].std() > 4 and grey[wall].std() < 3
    # The wall's edges go with it: along the helmet and the neck no thin line of the other band
    # (left as they were, 2273 pixels there were brighter than the wall by more than 25).
    assert (grey[300:560, 700:1000] > np.median(grey[wall]) + 25).sum() < 100


def test_band_borders_keep_what_clearly_differs() -> None:
    image = _wall(100.0, 4.0)
    image[80:160, 100:220] = 180  # a light object on a darker ground: two bands, as before
    picture = SceneRenderer(SceneConfig(max_gain=1.0)).draw(image)
    tones = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY).astype(np.float32)
    assert tones[100:140, 120:200].mean() - tones[30:60, 30:90].mean() > 40


def test_a_dark_table_joined_to_a_lit_wall_by_a_soft_gradient_keeps_its_own_band() -> None:
    """The table of six: a dark table (and the arms on it) met the lit wall through soft gradients,
    and the whole table was lifted into the wall's band (one orange picture, the figures lost in
    it). A large part mostly under a border stays under it; a small dark patch on the wall (an
    island) still takes the wall's band."""
    rows = np.arange(720, dtype=np.float32)[:, None]
    grey = 170.0 - 65.0 * np.clip((rows - 320.0) / 80.0, 0.0, 1.0) + np.zeros((1, 1280), np.float32)
    patch = cv2.GaussianBlur(np.pad(np.ones((24, 24), np.float32), 20), (0, 0), 8.0)
    grey[80:144, 588:652] -= 58.0 * patch / patch.max()  # a soft dark patch on the wall, 112 at its middle
    image = cv2.cvtColor(np.clip(grey + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    renderer = SceneRenderer(SceneConfig(max_gain=1.0))
    for _ in range(3):
        tones = cv2.cvtColor(renderer.draw_layers(image).tones, cv2.COLOR_BGR2GRAY).astype(np.float32)
    tones = cv2.resize(tones, (1280, 720))
    wall, table = tones[40:280, 100:500].mean(), tones[480:700, 100:1180].mean()
    assert wall - table > 40, (wall, table)  # two bands, as the photo's two lightnesses
    assert abs(tones[107:117, 615:625].mean() - wall) < 12  # the patch is drawn as the wall


def test_a_dark_suit_lit_at_the_shoulders_stays_dark_where_it_is_dark() -> None:
    """The lowest border's hysteresis spread a lit shoulder's band over a navy suit down to twice
    as dark (grey blobs on Obama's suit): near black, a band's reach is a share of the lightness."""
    image = np.full((240, 320, 3), 210, np.uint8)
    ramp = np.linspace(100, 30, 160, dtype=np.float32)[:, None, None]  # lit at the top, dark below
    image[40:200, 60:260] = np.clip(ramp * np.float32([1.3, 0.9, 0.8]), 0, 255).astype(np.uint8)
    renderer = SceneRenderer()
    for _ in range(3):
        tones = renderer.draw_layers(image).tones
    grey = cv2.cvtColor(cv2.resize(tones, (320, 240)), cv2.COLOR_BGR2GRAY)
    photo = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    dark = (photo < 45) & (np.arange(240)[:, None] < 190) & (np.arange(320) > 70) & (np.arange(320) < 250)
    assert grey[dark].mean() < 64  # drawn in the dark band, not lifted to the lit shoulder's
    assert grey[50:60, 100:220].mean() > 90  # the lit shoulder keeps its lighter band


def test_a_tone_drifting_near_a_border_keeps_its_band_and_a_shirt_does_not_lift_the_wall() -> None:
    unlifted = SceneConfig(max_gain=1.0)  # a grey wall alone would be lifted as a dim frame
    renderer = SceneRenderer(unlifted)
    plain = SceneRenderer(dataclasses.replace(unlifted, look=SceneLook(band_hysteresis=0.0)))
    for levels in [(122, 126, 130, 134, 130, 126, 122), (160, 154, 148, 142, 136, 130, 124, 118)]:
        drawn, flat = [], []
        for level in levels:  # the exposure drifting across the middle border (128), slowly
            drawn.append(_tones(renderer.draw(_wall(level, 0.0))).mean())
            flat.append(_tones(plain.draw(_wall(level, 0.0))).mean())
        assert max(flat) - min(flat) > 40  # plain posterising flips the whole wall's band
        assert max(drawn) - min(drawn) < 8  # the wall keeps its band, only its own shading moves
    shirt = _wall(122, 0.0)
    shirt[100:240, 120:200] = 235  # a white shirt comes into view beside a wall just under the border
    before = _tones(renderer.draw(_wall(122, 0.0)))
    after = _tones(renderer.draw(shirt))
    assert abs(after[:60, :60].mean() - before[:60, :60].mean()) < 6


def test_a_dim_room_is_drawn_bright_and_inked_like_a_lit_one() -> None:
    lit = _portrait()
    dim = cv2.convertScaleAbs(lit, alpha=0.35)
    unlifted = SceneConfig(max_gain=1.0)

    def drawn(config: SceneConfig, image: np.ndarray) -> tuple[np.ndarray, float]:
        """The drawing and its share of inked pixels (where it is far darker than its tones)."""
        picture = SceneRenderer(config).draw_layers(image)
        tones = cv2.resize(picture.tones, picture.drawn.shape[1::-1], interpolation=cv2.INTER_NEAREST)
        grey = [cv2.cvtColor(p, cv2.COLOR_BGR2GRAY).astype(int) for p in (tones, picture.drawn)]
        ink = grey[0] - grey[1]
        return picture.drawn, float((ink > 25).mean())

    (bright, bright_ink), (plain, plain_ink), (reference, lit_ink) = (
        drawn(SceneConfig(), dim), drawn(unlifted, dim), drawn(unlifted, lit)
    )
    assert bright.mean() > plain.mean() + 30  # lifted: anime is drawn bright
    assert abs(bright.mean() - reference.mean()) < 0.5 * abs(plain.mean() - reference.mean())
    assert bright_ink > 1.5 * plain_ink and bright_ink > 0.5 * lit_ink  # its edges are inked again
    # A frame already bright enough is drawn as it is.
    assert np.array_equal(SceneRenderer().draw(lit), reference)


def test_the_lift_follows_the_light_slowly() -> None:
    lit = _portrait()
    dim = cv2.convertScaleAbs(lit, alpha=0.35)
    renderer = SceneRenderer()
    renderer.draw(lit)
    means = np.array([float(renderer.draw(dim).mean()) for _ in range(40)])  # the light falls
    rise = means[-1] - means[0]
    assert rise > 20  # lifted, over the frames after the fall ...
    assert np.argmax(means - means[0] > 0.9 * rise) >= 10  # ... slowly (band borders step)


def test_moving_content_is_drawn_where_it_is_now_without_a_ghost() -> None:
    renderer = SceneRenderer()
    for _ in range(5):
        renderer.draw(_squares())
    moved = renderer.draw(_squares(shift=60))
    fresh = SceneRenderer().draw(_squares(shift=60))
    # Where the square was and where it is now: the same as drawing the new frame from scratch.
    assert np.abs(moved.astype(int) - fresh)[60:180, 80:260].mean() < 1.0


def test_the_same_frames_give_the_same_drawing() -> None:
    frames = [_squares(noise=4.0, seed=seed) for seed in range(4)]
    first, second = SceneRenderer(), SceneRenderer()
    for frame in frames:
        assert np.array_equal(first.draw(frame), second.draw(frame))


# -- the scene inside the frame filter ------------------------------------------------------------
def _process(style: object, **config: object) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    image = _portrait()
    result = FaceFilter(style, PipelineConfig(smoothing=0.0, **config)).process(Frame(image, 0, 0.0))  # type: ignore[arg-type]
    assert len(result.faces) == 1
    box = tuple(round(v) for v in result.faces[0].box)
    return image, result.output.image, box


def test_scene_on_draws_outside_the_face_and_leaves_the_face_to_the_style() -> None:
    exact = CompositorConfig(colour_match=False)  # the seam colour match would differ with the canvas
    image, with_scene, (x0, y0, x1, y1) = _process(Invert(), compositor=exact)
    _, face_only, _ = _process(Invert(), compositor=exact, scene=False)
    assert np.array_equal(face_only[:, :60], image[:, :60])  # face only: the background is the photo
    assert np.abs(with_scene[:, :60].astype(int) - image[:, :60]).mean() > 8  # scene: drawn
    cx, cy, r = (x0 + x1) // 2, (y0 + y1) // 2, (x1 - x0) // 5
    centre = (slice(cy - r, cy + r), slice(cx - r, cx + r))
    assert np.abs(with_scene[centre].astype(int) - face_only[centre]).max() <= 1  # the face is the style's


@pytest.mark.parametrize("scene", [True, False])
def test_strength_goes_steadily_from_the_photo_to_the_look(scene: bool) -> None:
    distances = []
    for strength in (0.0, 0.25, 0.5, 0.75, 1.0):
        image, out, _ = _process(Invert(), strength=strength, scene=scene)
        distances.append(float(np.abs(out.astype(np.float32) - image).mean()))
    assert distances[0] == 0.0  # strength 0 is the photo exactly
    steps = np.diff(distances)
    assert np.all(steps > 0)
    # Equal steps of the slider are equal steps of the picture: no pop anywhere along the way.
    assert steps.max() < 1.25 * steps.min()


def test_strength_zero_with_the_scene_is_the_photo_exactly() -> None:
    image, out, _ = _process(Invert(), strength=0.0)
    assert np.array_equal(out, image)


def test_the_style_gets_each_crops_landmarks_in_crop_pixels() -> None:
    style = Recorder()
    _process(style)
    (points,) = style.landmarks
    assert points is not None and points.shape == (1, 5, 2)
    # The crop is aligned on these very landmarks, so they sit near the canonical template.
    assert np.abs(points[0] - template(style.input_size)).max() < 0.08 * style.input_size
    assert np.abs(points[0] - template(style.input_size)).max() > 0  # the face's own, not the template


def test_the_scene_stage_is_timed() -> None:
    image = _portrait()
    result = FaceFilter(Invert()).process(Frame(image, 0, 0.0))
    assert "scene" in result.stage_ms
    result = FaceFilter(Invert(), PipelineConfig(scene=False)).process(Frame(image, 0, 0.0))
    assert "scene" not in result.stage_ms


class MixingLook:
    """A look that mixes strength itself: it must get the slider's value and be pasted as it is."""

    name, input_size = "anime", 128

    def __init__(self) -> None:
        self.strengths: list[float] = []

    def stylize(
        self, crops: np.ndarray, landmarks: np.ndarray | None = None, strength: float = 1.0
    ) -> np.ndarray:
        self.strengths.append(strength)
        return np.full_like(crops, 255)  # white whatever the strength: a second mix would grey it


def test_a_look_that_mixes_strength_itself_is_not_mixed_again() -> None:
    look = MixingLook()
    exact = CompositorConfig(colour_match=False)
    _, out, (x0, y0, x1, y1) = _process(look, strength=0.5, compositor=exact)
    assert look.strengths == [0.5]
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    assert out[cy - 5 : cy + 5, cx - 5 : cx + 5].min() == 255


def test_a_band_border_across_a_soft_gradient_follows_its_curve_not_a_staircase() -> None:
    """Hysteresis moves quarter-size pixels to one side of a border or the other, and upsampled
    those hard pixels drew every slanted border as a staircase of 4 px steps (the blurred helmet in
    the app's screenshot): the border across a soft disc must advance in small steps."""
    frame = np.full((720, 1280, 3), 200, np.uint8)
    cv2.circle(frame, (640, 360), 220, (60, 60, 60), -1, cv2.LINE_AA)
    frame = cv2.GaussianBlur(frame, (0, 0), 25)
    frame = np.clip(frame + np.random.default_rng(0).normal(0, 14, frame.shape), 0, 255).astype(np.uint8)
    renderer = SceneRenderer()
    for _ in range(3):
        tones = renderer.draw_layers(frame).tones
    grey = cv2.cvtColor(cv2.resize(tones, (1280, 720), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2GRAY)
    dark = grey < (int(grey[360, 640]) + int(grey[360, 1100])) / 2
    rows = range(170, 250)  # the disc's upper right, where its border runs at about 45 degrees
    cols = np.array([940 - int(np.argmax(dark[y, 640:940][::-1])) for y in rows])
    steps = np.diff(cols)
    assert steps.mean() > 0.5  # the border was found and slants
    # Per row, as far from an even advance: 1.83 px with the staircase, 1.21 now.
    assert np.abs(steps - steps.mean()).mean() < 1.5


def test_a_slanted_line_is_inked_smoothly_not_as_a_staircase() -> None:
    """The ink is found at half size in solid pixels; upsampled as they were, a slanted line's edge
    advanced in 2 px steps (the collars and frames of the table of six)."""
    frame = np.full((720, 1280, 3), 200, np.uint8)
    cv2.line(frame, (200, 100), (914, 600), (50, 50, 50), 3, cv2.LINE_AA)  # 35 degrees
    renderer = SceneRenderer()
    for _ in range(3):
        grey = cv2.cvtColor(renderer.draw(frame), cv2.COLOR_BGR2GRAY)
    rows = grey[200:500]
    dark = rows < (rows.max(axis=1, keepdims=True).astype(int) + rows.min(axis=1, keepdims=True)) / 2
    steps = np.diff(np.argmax(dark, axis=1))
    assert 1.2 < steps.mean() < 1.7  # the line was inked, along its slant
    assert rows.min() < 60  # solid ink
    # Per row, as far from an even advance: 1.36 px with the staircase, 0.6 now.
    assert np.abs(steps - steps.mean()).mean() < 1.0


def test_after_a_style_switch_a_still_scene_is_inked_by_the_new_look() -> None:
    """Edges are kept where the picture is still; kept across a switch, a still room kept the old
    look's lines until something moved."""
    image = _squares()
    renderer = SceneRenderer()
    for _ in range(3):
        renderer.draw(image)
    spare = dataclasses.replace(SCENE_LOOKS["anime"], ink_low=400.0, ink_high=800.0)  # inks nothing
    renderer.look = spare
    switched = cv2.cvtColor(renderer.draw(image), cv2.COLOR_BGR2GRAY)
    fresh = cv2.cvtColor(SceneRenderer(SceneConfig(look=spare)).draw(image), cv2.COLOR_BGR2GRAY)
    assert switched[100:140, 74:80].min() > 70  # the square's edge: no ink left from the old look
    assert np.abs(switched.astype(int) - fresh.astype(int)).max() <= 2
