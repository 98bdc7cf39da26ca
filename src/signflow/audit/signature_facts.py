"""What a completed document shows of each signature: the certificate behind it and the
image on the page, for the evidence report."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from signflow.pdf.render import render_page_image

# Enough to read a hand-drawn signature, small enough to keep the report light.
IMAGE_DPI = 110


@dataclass(frozen=True)
class CertificateFact:
    serial: str
    """Hexadecimal, as certificate viewers and `openssl x509 -serial` print it."""
    subject: str


@dataclass(frozen=True)
class FieldBox:
    page_index: int
    x: float
    y: float
    width: float
    height: float


def certificates_by_field(pdf: bytes) -> dict[str, CertificateFact]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    facts = {}
    for signature in reader.embedded_signatures:
        cert = signature.signer_cert
        facts[signature.field_name] = CertificateFact(
            serial=format(cert.serial_number, "X"), subject=cert.subject.human_friendly
        )
    return facts


def certificate_der(pdf: bytes, field_name: str) -> bytes | None:
    """The DER of the certificate that signed `field_name`, or None when it is unsigned."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    for signature in reader.embedded_signatures:
        if signature.field_name == field_name:
            der: bytes = signature.signer_cert.dump()
            return der
    return None


def field_image(pdf: bytes, box: FieldBox) -> bytes:
    """The field's area of its page as drawn (the stamp and hand signature), as PNG."""
    return field_image_of_page(page_image(pdf, box.page_index), box)


def page_image(pdf: bytes, page_index: int) -> Image.Image:
    """A page drawn at the resolution of field images, for `field_image_of_page`."""
    return render_page_image(pdf, page_index, IMAGE_DPI)


def field_image_of_page(page: Image.Image, box: FieldBox) -> bytes:
    """As `field_image`, from its page already drawn by `page_image`."""
    scale = IMAGE_DPI / 72
    top = page.height - (box.y + box.height) * scale
    area = (
        max(0, round(box.x * scale)),
        max(0, round(top)),
        min(page.width, round((box.x + box.width) * scale)),
        min(page.height, round(top + box.height * scale)),
    )
    out = io.BytesIO()
    page.crop(area).save(out, format="PNG")
    return out.getvalue()
