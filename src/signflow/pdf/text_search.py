"""Find text on the pages of a PDF, to place fields next to it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pypdfium2 as pdfium

from signflow.errors import BadRequest, InvalidPdf
from signflow.pdf.pdfium_lock import PDFIUM

MAX_QUERY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class TextHit:
    """A match's bounding box in PDF points, origin at the page's bottom-left (crop box)."""

    page_index: int
    x: float
    y: float
    width: float
    height: float


def find_text(data: bytes, text: str) -> list[TextHit]:
    """Every case-insensitive occurrence of `text`, in page order then reading order."""
    needle = text.strip()
    if not needle:
        raise BadRequest("The text to search for is empty")
    if len(needle) > MAX_QUERY_LENGTH:
        raise BadRequest(f"The text to search for is longer than {MAX_QUERY_LENGTH} characters")
    with PDFIUM:
        return _find_locked(data, needle)


def _find_locked(data: bytes, needle: str) -> list[TextHit]:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise InvalidPdf(f"PDFium cannot open the document ({exc})") from exc
    try:
        hits: list[TextHit] = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                hits.extend(_find_on_page(page, index, needle))
            finally:
                page.close()
        return hits
    finally:
        pdf.close()


async def find_text_async(data: bytes, text: str) -> list[TextHit]:
    return await asyncio.to_thread(find_text, data, text)


def _find_on_page(page: pdfium.PdfPage, index: int, needle: str) -> list[TextHit]:
    left, bottom, _, _ = page.get_cropbox()
    textpage = page.get_textpage()
    try:
        searcher = textpage.search(needle, match_case=False, match_whole_word=False)
        hits = []
        while (found := searcher.get_next()) is not None:
            start, count = found
            rects = [textpage.get_rect(i) for i in range(textpage.count_rects(start, count))]
            if not rects:
                continue
            x0 = min(r[0] for r in rects)
            y0 = min(r[1] for r in rects)
            x1 = max(r[2] for r in rects)
            y1 = max(r[3] for r in rects)
            hits.append(TextHit(index, x0 - left, y0 - bottom, x1 - x0, y1 - y0))
        searcher.close()
        return hits
    finally:
        textpage.close()
