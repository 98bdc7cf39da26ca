"""PDF intake checks, page rendering, text search and conversion to PDF."""

from signflow.pdf.convert import convert_to_pdf
from signflow.pdf.intake import close_intake_sandboxes, inspect_pdf, inspect_pdf_sync
from signflow.pdf.probe import PdfInfo
from signflow.pdf.render import page_image_cache_key, render_page_png, render_page_png_async
from signflow.pdf.text_search import TextHit, find_text, find_text_async

__all__ = [
    "PdfInfo",
    "TextHit",
    "close_intake_sandboxes",
    "convert_to_pdf",
    "find_text",
    "find_text_async",
    "inspect_pdf",
    "inspect_pdf_sync",
    "page_image_cache_key",
    "render_page_png",
    "render_page_png_async",
]
