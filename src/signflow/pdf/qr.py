"""A QR code drawn on a page: the modules as filled squares in a form XObject, painted in
an incremental update (the page's own content is wrapped in q/Q so that a CTM it leaves
changed cannot move the code)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import qrcode
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.writer import init_xobject_dictionary
from qrcode.constants import ERROR_CORRECT_M

from signflow.errors import InvalidPdf

MAX_DATA = 1000
"""Characters a code carries here: enough for any URL, small enough to stay scannable."""


@dataclass(frozen=True)
class QrPlacement:
    page_index: int
    x: float
    y: float
    width: float
    height: float
    """The box, in PDF points from the page's lower left; the code is the largest square
    that fits, centred."""


def qr_modules(data: str) -> list[list[bool]]:
    """The code's modules, dark as True, with the standard quiet zone around them."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def _drawing(modules: list[list[bool]], side: float) -> bytes:
    size = side / len(modules)
    ops = [b"1 g 0 0 %.4f %.4f re f 0 g" % (side, side)]
    for row_index, row in enumerate(modules):
        top = side - (row_index + 1) * size
        start = None
        for column, dark in enumerate([*row, False]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                ops.append(
                    b"%.4f %.4f %.4f %.4f re" % (start * size, top, (column - start) * size, size)
                )
                start = None
    ops.append(b"f")
    return b"\n".join(ops)


def draw_qr(pdf: bytes, data: str, where: QrPlacement) -> bytes:
    side = min(where.width, where.height)
    x = where.x + (where.width - side) / 2
    y = where.y + (where.height - side) / 2
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        xobject = writer.add_object(
            init_xobject_dictionary(_drawing(qr_modules(data), side), side, side)
        )
        name = f"/SignflowQr{xobject.idnum}"
        xobjects = generic.DictionaryObject({pdf_name(name): xobject})  # type: ignore[no-untyped-call]
        resources = generic.DictionaryObject({pdf_name("/XObject"): xobjects})  # type: ignore[no-untyped-call]
        for stream, prepend in ((b"q", True), (b"Q", False)):
            writer.add_stream_to_page(  # type: ignore[no-untyped-call]
                where.page_index,
                writer.add_object(generic.StreamObject(stream_data=stream)),
                prepend=prepend,
            )
        paint = b"q 1 0 0 1 %.4f %.4f cm %s Do Q" % (x, y, name.encode())
        writer.add_stream_to_page(  # type: ignore[no-untyped-call]
            where.page_index,
            writer.add_object(generic.StreamObject(stream_data=paint)),
            resources=resources,
        )
        out = BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call]
    except PdfError as exc:
        raise InvalidPdf(f"The QR code cannot be drawn on the document: {exc}") from exc
    return out.getvalue()
