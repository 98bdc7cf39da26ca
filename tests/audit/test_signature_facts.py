"""The image of a signature field: its area of the page as drawn, as PNG."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.pdfgen.canvas import Canvas

from signflow.audit.signature_facts import (
    IMAGE_DPI,
    CertificateFact,
    FieldBox,
    _signer_certs_lean,
    certificates_by_field,
    field_image,
    field_image_of_page,
    page_image,
)
from signflow.signing.ca import KeyType
from signflow.signing.pdfread import NotLean
from signflow.signing.signer import SignRequest
from tests.signing.pdfs import text_pdf, with_object_streams
from tests.signing.pki import make_pki


def _page_with_a_red_square() -> bytes:
    """One 300x200 pt page; a red 100x50 pt square at (50, 40) pt, white elsewhere."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(300, 200), invariant=True)
    canvas.setFillColorRGB(1, 0, 0)
    canvas.rect(50, 40, 100, 50, stroke=0, fill=1)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _colours(image: Image.Image) -> set[object]:
    colours = image.getcolors(maxcolors=image.width * image.height)
    assert colours is not None
    return {colour for _, colour in colours}


def test_the_field_image_is_the_fields_area_of_the_page() -> None:
    png = field_image(_page_with_a_red_square(), FieldBox(0, 50, 40, 100, 50))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = IMAGE_DPI / 72
    # Each edge is rounded to whole pixels on its own: a side may be one pixel longer.
    assert abs(image.width - 100 * scale) <= 1
    assert abs(image.height - 50 * scale) <= 1
    inner = image.crop((2, 2, image.width - 2, image.height - 2))
    assert _colours(inner) == {(255, 0, 0)}


def test_a_field_beside_the_square_shows_the_white_page() -> None:
    png = field_image(_page_with_a_red_square(), FieldBox(0, 180, 120, 60, 40))
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert _colours(image) == {(255, 255, 255)}


def test_fields_cut_from_one_drawn_page_are_the_fields_images() -> None:
    pdf = _page_with_a_red_square()
    page = page_image(pdf, 0)
    for box in (FieldBox(0, 50, 40, 100, 50), FieldBox(0, 180, 120, 60, 40)):
        assert field_image_of_page(page, box) == field_image(pdf, box)


def _pyhankos_reading(pdf: bytes) -> dict[str, CertificateFact]:
    """The certificates as pyHanko's reader finds them (what the report always showed)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return {
        s.field_name: CertificateFact(
            serial=format(s.signer_cert.serial_number, "X"),
            subject=s.signer_cert.subject.human_friendly,
        )
        for s in reader.embedded_signatures
    }


def _signed(pdf: bytes, signers: int) -> bytes:
    pki = make_pki(KeyType.RSA2048)
    for i in range(signers):
        signer = pki.signer(f"Signer {i}", f"s{i}@example.com")
        pdf = signer.sign(
            pdf, SignRequest(field_name=f"Sig{i}", rect=(72.0, 100.0 + 80 * i, 200.0, 60.0))
        )
    return pdf


@pytest.mark.parametrize(
    ("pdf", "lean"),
    [
        (_signed(text_pdf(pages=2, with_form_field="Name"), 3), True),
        (text_pdf(with_form_field="Name"), True),
        (_signed(with_object_streams(text_pdf()), 2), False),
    ],
    ids=["three-signatures", "unsigned-form", "object-streams"],
)
def test_certificates_are_read_as_pyhanko_reads_them(pdf: bytes, lean: bool) -> None:
    expected = _pyhankos_reading(pdf)
    assert certificates_by_field(pdf) == expected
    if lean:  # the signer's own files take the lean reader
        assert _signer_certs_lean(pdf).keys() == expected.keys()
    else:
        with pytest.raises(NotLean):
            _signer_certs_lean(pdf)


def test_a_signature_of_an_unknown_kind_is_left_to_pyhanko() -> None:
    pdf = _signed(text_pdf(), 1)
    odd = pdf.replace(b"/SubFilter /ETSI.CAdES.detached", b"/SubFilter /ETSI.Unknown.kind!")
    assert odd != pdf
    with pytest.raises(NotLean):
        _signer_certs_lean(odd)
