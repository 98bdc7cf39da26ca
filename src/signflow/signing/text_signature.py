"""A typed hand signature or typed initials drawn as an image, in the stamp's font."""

from __future__ import annotations

import functools
import io
import unicodedata

import fontpkg
from PIL import Image, ImageDraw, ImageFont

from signflow.signing.fonts import FAMILY

_HEIGHT = 120
_PAD = 12


@functools.cache
def _font() -> ImageFont.FreeTypeFont:
    # Glyph by glyph, as the stamp's text (no shaping library in the way).
    return ImageFont.truetype(
        fontpkg.path(FAMILY), _HEIGHT - 2 * _PAD, layout_engine=ImageFont.Layout.BASIC
    )


def one_line(text: str) -> str:
    """`text` with every control or format character (a newline, a bidi override) made a
    space: a signature is one line of visible text."""
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in text).strip()


def text_signature_png(text: str) -> bytes:
    """`text` in dark blue ink on a transparent background, as a PNG fitted to the text."""
    font = _font()
    text = one_line(text) or "?"
    left, top, right, bottom = font.getbbox(text)
    width = max(1, round(right - left)) + 2 * _PAD
    height = max(1, round(bottom - top)) + 2 * _PAD
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    ImageDraw.Draw(image).text((_PAD - left, _PAD - top), text, font=font, fill=(20, 40, 120, 255))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
