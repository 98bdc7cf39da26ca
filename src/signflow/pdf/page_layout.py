"""Text, images and tables drawn on reportlab's canvas at computed positions, A4 pages.

A fixed document (the evidence report) needs none of platypus's general layout: text is
wrapped once with the fonts' metrics, a table row is measured once, and pages are
broken by a running cursor. A table row moves whole to the next page (the table's
header drawn again above it); a row taller than a page is split between its lines.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import getAscent, stringWidth
from reportlab.pdfgen.canvas import Canvas

MARGIN: float = 15 * mm
WIDTH: float = A4[0] - 2 * MARGIN
_TOP: float = A4[1] - MARGIN
_BOTTOM: float = MARGIN
PAD = 3.0
_SPLIT_START = 40.0
"""Room a split row needs to start on a page: a few lines."""
GRID = colors.grey
SHADE = colors.HexColor("#e8ecf2")


@dataclass(frozen=True)
class Font:
    name: str
    size: float
    leading: float

    @cached_property
    def ascent(self) -> float:
        return float(getAscent(self.name, self.size))


@dataclass(frozen=True)
class Line:
    """One line of text, already wrapped to its box."""

    text: str
    font: Font

    @property
    def height(self) -> float:
        return self.font.leading


@dataclass(frozen=True)
class Picture:
    image: ImageReader
    width: float
    height: float


Piece = Line | Picture


def wrap(text: str | None, font: Font, width: float) -> list[Line]:
    """The text's words in lines no wider than `width` (whitespace collapsed, as a
    paragraph shows it); a word wider than a line is broken between its characters."""
    words = (text or "-").split()
    if not words:
        return [Line("", font)]
    whole = " ".join(words)
    if stringWidth(whole, font.name, font.size) <= width:
        return [Line(whole, font)]
    space = stringWidth(" ", font.name, font.size)
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in words:
        word_width = stringWidth(word, font.name, font.size)
        needed = word_width + (space if current else 0.0)
        if used + needed <= width:
            current.append(word)
            used += needed
            continue
        if current:
            lines.append(" ".join(current))
            current, used = [], 0.0
        if word_width <= width:
            current, used = [word], word_width
            continue
        *full, rest = _broken(word, font, width)
        lines.extend(full)
        current, used = [rest], stringWidth(rest, font.name, font.size)
    lines.append(" ".join(current))
    return [Line(line, font) for line in lines]


def _broken(word: str, font: Font, width: float) -> list[str]:
    parts: list[str] = []
    start, used = 0, 0.0
    for index, char in enumerate(word):
        char_width = stringWidth(char, font.name, font.size)
        if used + char_width > width and index > start:
            parts.append(word[start:index])
            start, used = index, 0.0
        used += char_width
    parts.append(word[start:])
    return parts


def picture(png: bytes, max_width: float, max_height: float) -> Picture:
    """The image at its own size (a pixel to a point), shrunk to fit the box if larger."""
    image = ImageReader(io.BytesIO(png))
    width, height = image.getSize()
    scale = min(max_width / width, max_height / height, 1.0)
    return Picture(image, width * scale, height * scale)


@dataclass(frozen=True)
class Cell:
    width: float
    pieces: Sequence[Piece]
    shaded: bool = False

    @cached_property
    def content_height(self) -> float:
        return sum(piece.height for piece in self.pieces)


@dataclass(frozen=True)
class Band:
    """Cells side by side, as tall as the tallest."""

    cells: Sequence[Cell]

    @cached_property
    def height(self) -> float:
        return max(cell.content_height for cell in self.cells) + 2 * PAD


Row = Sequence[Band]
"""Bands kept together on one page (unless together they are taller than a page)."""


def text_cell(width: float, text: str | None, font: Font, shaded: bool = False) -> Cell:
    return Cell(width, wrap(text, font, width - 2 * PAD), shaded)


class Pages:
    """A running cursor down A4 pages; each page gets the footer when it is done."""

    def __init__(self, canvas: Canvas, footer: Callable[[Canvas, int], None]) -> None:
        self._canvas = canvas
        self._footer = footer
        self._page = 1
        self._y = _TOP
        self._font: Font | None = None
        # One text object per page for all its lines: a text object per line (what
        # drawString makes) costs more than drawing the line.
        self._words = canvas.beginText()

    @property
    def room(self) -> float:
        return self._y - _BOTTOM

    @property
    def at_top(self) -> bool:
        return self._y == _TOP

    def new_page(self) -> None:
        self._end_page()
        self._canvas.showPage()
        self._page += 1
        self._y = _TOP
        self._font = None
        self._words = self._canvas.beginText()

    def finish(self) -> None:
        self._end_page()
        self._canvas.save()

    def _end_page(self) -> None:
        self._canvas.drawText(self._words)
        self._footer(self._canvas, self._page)

    def space(self, height: float) -> None:
        """Vertical space, dropped at the top of a page."""
        if not self.at_top:
            self._y = max(self._y - height, _BOTTOM)

    def ensure(self, height: float) -> None:
        """Start a new page unless `height` fits on this one."""
        if height > self.room and not self.at_top:
            self.new_page()

    def lines(self, lines: Sequence[Line], centred: bool = False) -> None:
        for line in lines:
            self.ensure(line.height)
            self._text(line, A4[0] / 2 if centred else MARGIN, self._y, centred)
            self._y -= line.height

    def table(self, rows: Sequence[Row], header: Band | None = None) -> None:
        header_height = header.height if header is not None else 0.0
        if header is not None and not rows:
            self.ensure(header_height)
            self._band(header)
            return
        header_here = False
        for row in rows:
            if not self._starts_here(row, header_height, header_here):
                self.new_page()
                header_here = False
            for band in row:
                header_here = self._band_across_pages(band, header, header_here)

    def _starts_here(self, row: Row, header_height: float, header_here: bool) -> bool:
        """A row that fits on a page moves to the next one whole unless it fits here; a
        taller one starts here if its first lines do."""
        if self.at_top:
            return True
        row_height = sum(band.height for band in row)
        if row_height + (0.0 if header_here else header_height) <= self.room:
            return True
        if row_height + header_height <= _TOP - _BOTTOM:
            return False
        return self.room >= header_height + _SPLIT_START

    def _band_across_pages(self, band: Band, header: Band | None, header_here: bool) -> bool:
        """Draw the band, split across pages where it is taller than the room left;
        returns whether the header is on the page the band ends on."""
        pending: Band | None = band
        while pending is not None:
            fresh = self.at_top
            if header is not None and not header_here:
                self._band(header)
                header_here = True
            if pending.height <= self.room:
                self._band(pending)
                return header_here
            now, pending = _split(pending, self.room - 2 * PAD)
            if now is None and fresh:
                raise ValueError("a line or image taller than a page")
            if now is not None:
                self._band(now)
            self.new_page()
            header_here = False
        return header_here

    def _band(self, band: Band) -> None:
        height = band.height
        x = MARGIN
        canvas = self._canvas
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.25)
        for cell in band.cells:
            if cell.shaded:
                canvas.setFillColor(SHADE)
                canvas.rect(x, self._y - height, cell.width, height, stroke=1, fill=1)
                canvas.setFillColor(colors.black)
            else:
                canvas.rect(x, self._y - height, cell.width, height, stroke=1, fill=0)
            top = self._y - PAD
            for piece in cell.pieces:
                if isinstance(piece, Line):
                    self._text(piece, x + PAD, top)
                else:
                    canvas.drawImage(
                        piece.image,
                        x + PAD,
                        top - piece.height,
                        piece.width,
                        piece.height,
                        mask="auto",
                    )
                top -= piece.height
            x += cell.width
        self._y -= height

    def _text(self, line: Line, x: float, top: float, centred: bool = False) -> None:
        font = line.font
        if font != self._font:
            self._words.setFont(font.name, font.size, font.leading)
            self._font = font
        if centred:
            x -= stringWidth(line.text, font.name, font.size) / 2
        self._words.setTextOrigin(x, top - font.ascent)
        self._words.textOut(line.text)


def _split(band: Band, room: float) -> tuple[Band | None, Band | None]:
    """The band cut where `room` ends: what fits now (None if nothing does) and the rest."""
    now: list[Cell] = []
    rest: list[Cell] = []
    for cell in band.cells:
        used = 0.0
        count = 0
        for piece in cell.pieces:
            if used + piece.height > room:
                break
            used += piece.height
            count += 1
        now.append(Cell(cell.width, cell.pieces[:count], cell.shaded))
        rest.append(Cell(cell.width, cell.pieces[count:], cell.shaded))
    fitted = any(cell.pieces for cell in now)
    left = any(cell.pieces for cell in rest)
    return (Band(now) if fitted else None), (Band(rest) if left else None)
