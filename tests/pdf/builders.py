"""Builders for test PDFs, good and hostile, generated at test time (no committed binaries)."""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Sequence

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

MB = 1024 * 1024


def make_pdf(
    pages: Sequence[tuple[float, float]] = (A4,),
    texts: Sequence[str] | None = None,
    *,
    text_at: tuple[float, float] = (72, 700),
) -> bytes:
    """A plain PDF made by reportlab: one page per size, optional text on each page."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=pages[0], invariant=True)
    for index, size in enumerate(pages):
        canvas.setPageSize(size)
        if texts is not None and index < len(texts):
            canvas.setFont("Helvetica", 12)
            canvas.drawString(text_at[0], text_at[1], texts[index])
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def raw_pdf(objects: Sequence[bytes], *, root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A hand-made PDF: objects[i] is the body of object i+1; a correct xref table is built."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R %s >>\n" % (len(objects) + 1, root, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def page_objects(contents: bytes) -> list[bytes]:
    """Catalog, Pages, one Page whose content stream is object 4 (given)."""
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        contents,
    ]


def zero_bytes_pdf() -> bytes:
    return b""


def truncated_pdf() -> bytes:
    data = make_pdf([A4] * 3, ["one", "two", "three"])
    return data[: len(data) // 2]


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def encrypted_pdf(user_password: str = "secret") -> bytes:  # noqa: S107
    reader = PdfFileReader(io.BytesIO(make_pdf(texts=["classified"])))
    writer = copy_into_new_writer(reader)
    writer.encrypt("owner-pass", user_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@functools.cache
def flate_bomb(expanded_bytes: int = 2048 * MB) -> bytes:
    """A page whose content stream inflates to `expanded_bytes` of zeros (~1000:1)."""
    compressor = zlib.compressobj(9)
    chunk = bytes(16 * MB)
    parts = [compressor.compress(chunk) for _ in range(expanded_bytes // len(chunk))]
    parts.append(compressor.flush())
    compressed = b"".join(parts)
    return raw_pdf(page_objects(stream(compressed, b"/Filter /FlateDecode")))


def stacked_flate_bomb(layers: int = 3, inner_bytes: int = 64 * MB) -> bytes:
    """Flate of Flate of ...: a tiny stream that would expand far beyond any single layer."""
    data = bytes(inner_bytes)
    for _ in range(layers):
        data = zlib.compress(data, 9)
    filters = b"[" + b" /FlateDecode" * layers + b" ]"
    return raw_pdf(page_objects(stream(data, b"/Filter " + filters)))


def page_tree_loop() -> bytes:
    """The Pages node lists itself among its kids."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )


def self_referencing_object() -> bytes:
    """Object 4 is a reference to itself, used as the page's content."""
    return raw_pdf(page_objects(b"4 0 R"))


def resources_loop() -> bytes:
    """A form XObject that draws itself, through its own resources."""
    form = stream(
        b"/X0 Do",
        b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] "
        b"/Resources << /XObject << /X0 5 0 R >> >>",
    )
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /XObject << /X0 5 0 R >> >> >>",
            stream(b"/X0 Do"),
            form,
        ]
    )


def many_pages(count: int) -> bytes:
    return make_pdf([(200, 200)] * count)


@functools.cache
def many_objects(count: int) -> bytes:
    """A valid one-page PDF plus `count` null objects packed into a compressed object stream.

    The object stream and the cross-reference stream compress well, so millions
    of objects fit in a few megabytes.
    """
    first_extra = 5  # objects 1-4: catalog, pages, page, content; 5: the object stream
    numbers = range(first_extra + 1, first_extra + 1 + count)
    header = b" ".join(b"%d %d" % (n, i * 5) for i, n in enumerate(numbers))
    body = b"null " * count
    objstm_data = zlib.compress(header + b"\n" + body, 6)
    objstm = stream(
        objstm_data,
        b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode" % (count, len(header) + 1),
    )
    objects = [*page_objects(stream(b"")), objstm]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body_bytes + b"\nendobj\n"
    xref_number = first_extra + count + 1
    rows = [b"\x00" + bytes(4) + b"\x00\x00\xff\xff"]
    rows += [b"\x01" + offset.to_bytes(4, "big") + bytes(4) for offset in offsets]
    rows += [b"\x02" + first_extra.to_bytes(4, "big") + i.to_bytes(4, "big") for i in range(count)]
    xref_at = len(out)
    rows.append(b"\x01" + xref_at.to_bytes(4, "big") + bytes(4))
    xref_data = zlib.compress(b"".join(rows), 6)
    out += b"%d 0 obj\n" % xref_number + stream(
        xref_data,
        b"/Type /XRef /Size %d /W [1 4 4] /Root 1 0 R /Filter /FlateDecode" % (xref_number + 1),
    )
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)
