"""Small PDFs made on the spot for the signing tests and the benchmark."""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from signflow.signing.signer import SignRequest

MARKER = "Signflow signing test page"


def text_pdf(pages: int = 1, with_form_field: str | None = None) -> bytes:
    """Uncompressed page content, so a test can find and flip a byte of visible text."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=0)
    for page in range(pages):
        c.setFont("Helvetica", 12)
        c.drawString(72, 770, f"{MARKER} {page + 1}")
        for line in range(10):
            c.drawString(72, 740 - 16 * line, f"Line {line} of the agreement text.")
        if with_form_field and page == 0:
            c.acroForm.textfield(name=with_form_field, x=72, y=500, width=200, height=20)
        c.showPage()
    c.save()
    return out.getvalue()


def sized_pdf(target_bytes: int) -> bytes:
    """About `target_bytes` of PDF: text plus incompressible noise images, binary streams."""
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        return _noise_pdf(target_bytes)
    finally:
        rl_config.useA85 = previous


def _noise_pdf(target_bytes: int) -> bytes:
    per_image = 48 * 1024
    images = max(1, round(target_bytes / per_image))
    pages = min(20, images)
    side = int((per_image / 3) ** 0.5)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for page in range(pages):
        c.setFont("Helvetica", 10)
        for line in range(40):
            c.drawString(50, 800 - 12 * line, f"Page {page + 1}, line {line}: benchmark text.")
        for slot in range(page, images, pages):
            img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
            x = 50 + (slot // pages % 4) * 120
            y = 100 + (slot // pages // 4 % 3) * 110
            c.drawImage(ImageReader(img), x, y, width=100, height=100)
        c.showPage()
    c.save()
    return out.getvalue()


def add_empty_signature_field(
    pdf: bytes, name: str, box: tuple[int, int, int, int] = (300, 300, 500, 360)
) -> bytes:
    """What document preparation does: an unsigned signature field, as an incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    append_signature_field(writer, SigFieldSpec(name, box=box))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def hybrid_pdf(pdf: bytes, title: str) -> bytes:
    """`pdf` plus a hybrid-reference update: a new /Info, with `title`, only in an object stream.

    The classic table of the update lists the object stream and the xref stream; only the
    stream named by /XRefStm says where the new /Info is. A reader that ignores /XRefStm
    sees the old /Info.
    """
    reader = PdfFileReader(io.BytesIO(pdf))
    size = int(reader.trailer["/Size"])
    info, root = reader.trailer.raw_get("/Info"), reader.trailer.raw_get("/Root")
    first_id = reader.document_id[0].hex()
    body = b"<< /Title (%s) /Producer (hybrid test) >>" % title.encode("ascii")
    index = b"%d 0 " % info.idnum
    objstm_at = len(pdf)
    objstm = (
        b"%d 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (
            size,
            len(index),
            len(index + body),
            index + body,
        )
    )
    xrefstm_at = objstm_at + len(objstm)
    entry = bytes([2]) + size.to_bytes(4, "big") + (0).to_bytes(2, "big")
    xrefstm = (
        b"%d 0 obj\n<< /Type /XRef /W [1 4 2] /Index [%d 1] /Size %d /Length %d >>\n"
        b"stream\n%s\nendstream\nendobj\n" % (size + 1, info.idnum, size + 2, len(entry), entry)
    )
    table_at = xrefstm_at + len(xrefstm)
    table = (
        b"xref\n%d 2\n%010d 00000 n \n%010d 00000 n \ntrailer\n"
        b"<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d /XRefStm %d /ID [<%s> <%s>] >>\n"
        b"startxref\n%d\n%%%%EOF\n"
        % (
            size,
            objstm_at,
            xrefstm_at,
            size + 2,
            root.idnum,
            info.idnum,
            reader.last_startxref,
            xrefstm_at,
            first_id.encode(),
            first_id.encode(),
            table_at,
        )
    )
    return pdf + objstm + xrefstm + table


def with_object_streams(pdf: bytes) -> bytes:
    """The same document rewritten by qpdf with object streams and an xref stream."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(pdf)
        subprocess.run(["qpdf", "--object-streams=generate", str(src), str(dst)], check=True)
        return dst.read_bytes()


def hand_signature_png() -> bytes:
    """A drawn signature: a navy stroke on a transparent background."""
    img = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(img).line([(10, 80), (80, 20), (150, 85), (290, 15)], fill="navy", width=8)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def visible_request() -> SignRequest:
    """A visible signature with a drawn hand and non-ASCII texts."""
    return SignRequest(
        field_name="Visible",
        page=1,
        rect=(300.0, 80.0, 200.0, 70.0),
        reason="Approved (CFO)",
        location="Zürich",
        signer_name="Zoë Example",
        hand_signature_png=hand_signature_png(),
    )
