# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors carry no annotations.)
"""A picture of a signature stamp: the appearance the signer would get, drawn by the same
code into a one-page PDF of the stamp's size and rendered with PDFium."""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.pdfgen.canvas import Canvas

from signflow.pdf.render import render_page_png
from signflow.signing.appearance import AppearanceSpec, build_appearance
from signflow.signing.fonts import signflow_font
from signflow.signing.sink import WriterAccess

PREVIEW_WIDTH = 250.0
PREVIEW_HEIGHT = 100.0
"""Points: a stamp of SigningHub's 2.5 aspect ratio."""
PREVIEW_DPI = 144


def _blank_page(width: float, height: float) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width, height), invariant=True)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def stamp_pdf(
    spec: AppearanceSpec, width: float = PREVIEW_WIDTH, height: float = PREVIEW_HEIGHT
) -> bytes:
    """A page of the stamp's size showing the stamp."""
    writer = IncrementalPdfFileWriter(io.BytesIO(_blank_page(width, height)))
    access = WriterAccess(writer)
    font_ref = signflow_font().add_to(access)
    appearance = build_appearance(access, width, height, spec, font_ref)
    content = writer.add_object(generic.StreamObject(stream_data=b"q /SfStamp Do Q\n"))
    resources = generic.DictionaryObject(
        {
            generic.NameObject("/XObject"): generic.DictionaryObject(
                {generic.NameObject("/SfStamp"): appearance}
            )
        }
    )
    writer.add_stream_to_page(0, content, resources=resources)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stamp_preview_png(spec: AppearanceSpec) -> bytes:
    return render_page_png(stamp_pdf(spec), 0, PREVIEW_DPI)
