"""The accent colour and its contrast (WCAG 2.x relative luminance and contrast ratio).

The accent is the background of buttons with white text, and the colour of links and
borders on white: both need a contrast of at least 4.5:1 with white (WCAG AA for
normal text), so a colour below that is refused rather than adjusted behind the
admin's back.
"""

from __future__ import annotations

import re

from signflow.errors import BadRequest

DEFAULT_ACCENT = "#0b57d0"  # the pages' own --brand colour
WHITE = "#ffffff"
MINIMUM_CONTRAST = 4.5
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def darker(color: str, amount: float = 0.25) -> str:
    """The colour mixed with `amount` black (hover and pressed states)."""
    r, g, b = (round(int(color[i : i + 2], 16) * (1 - amount)) for i in (1, 3, 5))
    return f"#{r:02x}{g:02x}{b:02x}"


def check_accent(value: str) -> str:
    """`#rrggbb`, lower-cased, with at least 4.5:1 against white; else BadRequest."""
    if not _HEX.fullmatch(value):
        raise BadRequest("Accent colour must be a hex colour of the form #rrggbb")
    color = value.lower()
    ratio = contrast_ratio(color, WHITE)
    if ratio < MINIMUM_CONTRAST:
        raise BadRequest(
            f"Accent colour {color} has a contrast of {ratio:.2f}:1 with white; "
            f"white text on it and links in it need at least {MINIMUM_CONTRAST}:1 "
            "(WCAG AA): choose a darker colour"
        )
    return color
