"""Fitting text into a box with the embedded font's real metrics, as content-stream operators.

Three ways, for the three kinds of text Signflow draws:
- `fill_box`: one line as large as the box allows, measured on the glyphs' own
  outlines (typed initials fill a small box; a long name shrinks);
- `one_line`: a form value on one line at a text size (shrunk to fit the width),
  on a baseline that does not depend on which letters the value has;
- `paragraph`: a multiline value wrapped at spaces, shrunk until every line fits.

Each returns `TextLine`s positioned inside the box; `text_operators` turns them
into a BT/ET block.
"""

from __future__ import annotations

from dataclasses import dataclass

from signflow.signing.fonts import EmbeddedFont

MIN_SIZE = 2.0
"""The smallest size text is shrunk to; below it, what does not fit is clipped."""
LEADING = 1.15
"""Line spacing in multiline text, as a multiple of the size."""


@dataclass(frozen=True)
class TextLine:
    x: float
    y: float
    """Baseline start, in the box's coordinates."""
    size: float
    text: str


def fill_box(
    font: EmbeddedFont,
    text: str,
    width: float,
    height: float,
    *,
    max_size: float = 1000.0,
    centered: bool = True,
) -> TextLine:
    """`text` on one line, as large as fits both ways (its ink, not its line box)."""
    bottom, top = font.ink(text)
    ink_height = max(top - bottom, 1.0) / 1000.0
    unit_width = max(font.width(text, 1.0), 1e-6)
    size = max(min(max_size, height / ink_height, width / unit_width), MIN_SIZE)
    ink_mid = (top + bottom) / 2000.0 * size
    x = (width - unit_width * size) / 2 if centered else 0.0
    return TextLine(max(x, 0.0), height / 2 - ink_mid, size, text)


def one_line(
    font: EmbeddedFont, text: str, width: float, height: float, max_size: float
) -> TextLine:
    """`text` at `max_size` or smaller, vertically centred on the font's line box."""
    line_height = (font.ascent - font.descent) / 1000.0
    unit_width = max(font.width(text, 1.0), 1e-6)
    size = max(min(max_size, height / line_height, width / unit_width), MIN_SIZE)
    baseline = (height - line_height * size) / 2 - font.descent / 1000.0 * size
    return TextLine(0.0, baseline, size, text)


def paragraph(
    font: EmbeddedFont, text: str, width: float, height: float, max_size: float
) -> list[TextLine]:
    """`text` wrapped to `width` (at spaces, or inside a word too long for a line), from the
    top, at the largest size up to `max_size` at which every line fits; if none does, at
    `MIN_SIZE` with the lines that fall outside the box left to the clip."""
    size = max_size
    while True:
        lines = wrap(font, text, size, width)
        if len(lines) * size * LEADING <= height or size <= MIN_SIZE:
            break
        size = max(size - 0.5, MIN_SIZE)
    first_baseline = height - font.ascent / 1000.0 * size
    return [
        TextLine(0.0, first_baseline - i * size * LEADING, size, line)
        for i, line in enumerate(lines)
    ]


def wrap(font: EmbeddedFont, text: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for raw_line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        current = ""
        for word in raw_line.split(" "):
            candidate = f"{current} {word}" if current else word
            if font.width(candidate, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for char in word:  # a word longer than the line is broken anywhere
                if current and font.width(current + char, size) > width:
                    lines.append(current)
                    current = ""
                current += char
        lines.append(current)
    return lines


def text_operators(font: EmbeddedFont, lines: list[TextLine], dx: float, dy: float) -> bytes:
    """One BT/ET block drawing `lines` in black, offset by (dx, dy)."""
    ops = [b"BT 0 g"]
    current_size = None
    for line in lines:
        if not line.text:
            continue
        if line.size != current_size:
            ops.append(b"%s %.2f Tf" % (font.resource_name.encode("ascii"), line.size))
            current_size = line.size
        ops.append(b"1 0 0 1 %.2f %.2f Tm %s Tj" % (line.x + dx, line.y + dy, font.show(line.text)))
    ops.append(b"ET\n")
    return b"\n".join(ops)
