"""The built-in anime looks: procedural (numpy + OpenCV), no weights, no downloads.

`PROCEDURAL_STYLES` maps each look's name to its `LookParams`; `procedural_style(name)` builds the
`LookStyle` that engine/styles.py serves under that name.
"""

from __future__ import annotations

from animecam.core.errors import UserError

from .params import LOOKS, LookParams
from .style import LookStyle

PROCEDURAL_STYLES: dict[str, LookParams] = LOOKS


def procedural_style(name: str = "anime", input_size: int = 256) -> LookStyle:
    """The built-in look called `name` (one of `PROCEDURAL_STYLES`)."""
    try:
        params = PROCEDURAL_STYLES[name]
    except KeyError:
        known = ", ".join(PROCEDURAL_STYLES)
        raise UserError(f"unknown built-in style {name!r}; choose one of: {known}") from None
    return LookStyle(params, name=name, input_size=input_size)


__all__ = ["PROCEDURAL_STYLES", "LookParams", "LookStyle", "procedural_style"]
