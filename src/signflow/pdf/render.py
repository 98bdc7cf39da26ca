"""Page images: one page of a PDF rendered to PNG with PDFium."""

from __future__ import annotations

import asyncio
import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from signflow.errors import BadRequest, InvalidPdf, NotFound
from signflow.pdf.pdfium_lock import PDFIUM

MIN_DPI = 10
MAX_DPI = 400
MAX_PIXELS = 40_000_000
# Level 1 halves PNG encoding time against the default for a modest size cost
# (see notes/signing-performance.md, section 4).
PNG_COMPRESS_LEVEL = 1
CACHE_KEY_VERSION = 1


def page_image_cache_key(document_sha256: str, page_index: int, dpi: int) -> str:
    """The cache key of a rendered page; bump CACHE_KEY_VERSION when rendering output changes."""
    return f"page-png:v{CACHE_KEY_VERSION}:{document_sha256}:{page_index}:{dpi}"


def page_pixel_size(width_pt: float, height_pt: float, dpi: int) -> tuple[int, int]:
    return max(1, round(width_pt * dpi / 72)), max(1, round(height_pt * dpi / 72))


def render_page_png(data: bytes, page_index: int, dpi: int) -> bytes:
    """Render one page (0-based) at `dpi` to PNG: width = round(width_pt * dpi / 72).

    Raises BadRequest for a resolution outside MIN_DPI..MAX_DPI or an image over
    MAX_PIXELS, NotFound("Page not found") for a page outside the document, and
    InvalidPdf when PDFium cannot open the document.
    """
    out = io.BytesIO()
    render_page_image(data, page_index, dpi).save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def render_page_image(data: bytes, page_index: int, dpi: int) -> Image.Image:
    """The page as `render_page_png` draws it, as an RGB image of its own (no PNG round
    trip for a caller that only needs part of the page); raises as `render_page_png`."""
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise BadRequest(f"The resolution must be between {MIN_DPI} and {MAX_DPI} dpi, not {dpi}")
    with PDFIUM:
        return _render_locked(data, page_index, dpi)


def _render_locked(data: bytes, page_index: int, dpi: int) -> Image.Image:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise InvalidPdf(f"PDFium cannot open the document ({exc})") from exc
    try:
        if not 0 <= page_index < len(pdf):
            raise NotFound("Page not found", value=str(page_index))
        pdf.init_forms()
        page = pdf[page_index]
        try:
            return _render(page, dpi)
        finally:
            page.close()
    finally:
        pdf.close()


async def render_page_png_async(data: bytes, page_index: int, dpi: int) -> bytes:
    return await asyncio.to_thread(render_page_png, data, page_index, dpi)


def _render(page: pdfium.PdfPage, dpi: int) -> Image.Image:
    width, height = page_pixel_size(page.get_width(), page.get_height(), dpi)
    if width * height > MAX_PIXELS:
        raise BadRequest(
            f"The page would render to {width}x{height} pixels, over the limit of "
            f"{MAX_PIXELS} pixels; ask for a lower resolution"
        )
    # pypdfium2's render() rounds sizes up; draw at the exact size asked for instead.
    bitmap = pdfium.PdfBitmap.new_native(width, height, format=pdfium_c.FPDFBitmap_BGR)
    bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
    args = (bitmap, page, 0, 0, width, height, 0, pdfium_c.FPDF_ANNOT)
    pdfium_c.FPDF_RenderPageBitmap(*args)
    if page.formenv:
        pdfium_c.FPDF_FFLDraw(page.formenv, *args)
    # A BGR bitmap converts to an RGB image that owns its pixels (PIL copies them).
    image: Image.Image = bitmap.to_pil()
    return image
