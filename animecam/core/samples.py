"""The public-domain sample photo the dependencies ship (scikit-image's astronaut, no download): the
demo clip, the style gallery's thumbnails, training previews and teacher pairs all start from it."""

from __future__ import annotations

import numpy as np


def astronaut_bgr() -> np.ndarray:
    """The 512x512 astronaut photo as a contiguous BGR uint8 array (the pipeline's channel order)."""
    from skimage import data  # imported on use: skimage takes ~0.3 s to import

    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])
