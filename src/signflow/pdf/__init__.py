"""PDF intake checks, page rendering, text search and conversion to PDF.

The names are imported on first use: the intake sandbox's worker processes import
`signflow.pdf.probe`, and with it this package, and should not also load the renderer,
the converter (reportlab) and the text search they never call (each worker is held in
memory while idle)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from signflow.pdf.convert import convert_to_pdf
    from signflow.pdf.intake import close_intake_sandboxes, inspect_pdf, inspect_pdf_sync
    from signflow.pdf.probe import PdfInfo
    from signflow.pdf.render import page_image_cache_key, render_page_png, render_page_png_async
    from signflow.pdf.text_search import TextHit, find_text, find_text_async

_MODULE_OF = {
    "convert_to_pdf": "signflow.pdf.convert",
    "close_intake_sandboxes": "signflow.pdf.intake",
    "inspect_pdf": "signflow.pdf.intake",
    "inspect_pdf_sync": "signflow.pdf.intake",
    "PdfInfo": "signflow.pdf.probe",
    "page_image_cache_key": "signflow.pdf.render",
    "render_page_png": "signflow.pdf.render",
    "render_page_png_async": "signflow.pdf.render",
    "TextHit": "signflow.pdf.text_search",
    "find_text": "signflow.pdf.text_search",
    "find_text_async": "signflow.pdf.text_search",
}

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


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
