"""Empty signature fields, placed before a certifying signature.

A certified document (DocMDP 2 or 3) lets later signers fill signature fields
that already exist, but treats adding a field as a disallowed change. So the
fields of everyone who signs after the certifier are created first, in the
revision the certification covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field, enumerate_sig_fields


@dataclass(frozen=True)
class EmptyField:
    name: str
    page: int
    rect: tuple[float, float, float, float]
    """x, y, width, height in points from the page's bottom-left."""


def add_empty_signature_fields(pdf: bytes, fields: Sequence[EmptyField]) -> bytes:
    """The PDF with an incremental update adding the fields it does not have yet."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    existing = {name for name, _, _ in enumerate_sig_fields(writer.prev)}
    missing = [field for field in fields if field.name not in existing]
    if not missing:
        return pdf
    for field in missing:
        x, y, width, height = field.rect
        box = (round(x), round(y), round(x + width), round(y + height))
        append_signature_field(
            writer, SigFieldSpec(sig_field_name=field.name, on_page=field.page, box=box)
        )
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()
