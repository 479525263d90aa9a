"""The built-in procedural anime styles: shape, determinism, a visible change that keeps the face."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from animecam.core.errors import UserError
from animecam.core.style import Style
from animecam.engine.procedural import PROCEDURAL_STYLES, ProceduralStyle, procedural_style


@pytest.fixture(scope="module")
def face_crop() -> np.ndarray:
    photo = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    return cv2.resize(photo[20:240, 110:330], (256, 256), interpolation=cv2.INTER_AREA)


def _edges(image: np.ndarray) -> np.ndarray:
    grey = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 2.0)
    return cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)).ravel()


@pytest.mark.parametrize("name", list(PROCEDURAL_STYLES))
def test_output_is_a_deterministic_stylised_face(name: str, face_crop: np.ndarray) -> None:
    style = procedural_style(name)
    assert isinstance(style, Style) and style.name == name and style.input_size == 256
    batch = np.stack([face_crop, face_crop[:, ::-1].copy()])
    out = style.stylize(batch)
    assert out.shape == batch.shape and out.dtype == np.uint8
    assert np.array_equal(out, style.stylize(batch))
    assert np.array_equal(out[1], style.stylize(batch[1:])[0])  # a batch is just its crops
    # Visibly restyled...
    assert np.abs(out[0].astype(np.int16) - face_crop).mean() > 8.0
    # ...yet the same face: edges sit where the photo's edges are.
    assert np.corrcoef(_edges(out[0]), _edges(face_crop))[0, 1] > 0.6


def test_variants_differ(face_crop: np.ndarray) -> None:
    outs = {name: procedural_style(name).stylize(face_crop[None])[0].astype(np.int16)
            for name in PROCEDURAL_STYLES}
    assert len(outs) >= 3
    for a, b in itertools.combinations(outs, 2):
        assert np.abs(outs[a] - outs[b]).mean() > 6.0, (a, b)


def _local_std(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    mean = cv2.blur(grey, (7, 7))
    return np.sqrt(np.maximum(cv2.blur(grey * grey, (7, 7)) - mean * mean, 0.0))


def test_texture_is_flattened(face_crop: np.ndarray) -> None:
    # Cel shading: most of the picture is flat; lines and tone steps are a minority of pixels.
    out = procedural_style("cel").stylize(face_crop[None])[0]
    assert np.median(_local_std(out)) < 0.6 * np.median(_local_std(face_crop))


def test_other_crop_sizes_work(face_crop: np.ndarray) -> None:
    style = procedural_style("cel", input_size=128)
    small = cv2.resize(face_crop, (128, 128), interpolation=cv2.INTER_AREA)
    assert style.stylize(small[None]).shape == (1, 128, 128, 3)


def test_bad_input_is_refused(face_crop: np.ndarray) -> None:
    with pytest.raises(UserError, match="unknown built-in style"):
        procedural_style("no-such-style")
    with pytest.raises(ValueError, match="uint8"):
        procedural_style("cel").stylize(face_crop[None, :128])
    with pytest.raises(UserError):
        ProceduralStyle(PROCEDURAL_STYLES["cel"], input_size=16)
