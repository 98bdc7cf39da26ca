"""Independent checks of a signed PDF: pyHanko, poppler's pdfsig and qpdf."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from tests.signing.forms_pdfs import SCALE, pdftotext, render


def assert_pyhanko_valid(pdf: bytes, root: x509.Certificate, count: int) -> None:
    anchor = asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))
    signatures = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures
    assert len(signatures) == count
    for sig in signatures:
        context = ValidationContext(trust_roots=[anchor], allow_fetching=False)
        status = validate_pdf_signature(sig, signer_validation_context=context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.docmdp_ok is not False, status.pretty_print_details()


def run_pdfsig(pdf: bytes) -> str:
    # -nocert: pdfsig checks the chain against the NSS store, which does not hold
    # our private CA; the signature check itself is unaffected.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "signed.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True)
    return done.stdout + done.stderr


def assert_pdfsig_valid(pdf: bytes, count: int, whole_file: bool = True) -> None:
    out = run_pdfsig(pdf)
    blocks = out.split("Signature #")[1:]
    assert len(blocks) == count, out
    for block in blocks:
        assert "Signature is Valid." in block, out
    # pdfsig lists signatures in form-field order, not signing order.
    covering = [b for b in blocks if "Total document signed" in b]
    assert len(covering) == (1 if whole_file else 0), out


def assert_qpdf_clean(pdf: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "signed.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors found" in done.stdout, done.stdout


def assert_everywhere_valid(
    pdf: bytes, root: x509.Certificate, count: int = 1, whole_file: bool = True
) -> None:
    """whole_file=False when a later revision (the B-LT DSS) follows the last signature."""
    assert_pyhanko_valid(pdf, root, count)
    assert_pdfsig_valid(pdf, count, whole_file)
    assert_qpdf_clean(pdf)


def widget_boxes(pdf: bytes, field_name: str, page: int = 0) -> list[tuple[float, ...]]:
    """The /Rect of every widget of the top-level field `field_name` on `page`, as pixel
    boxes (left, top, right, bottom) of a `render` at SCALE."""
    reader = PdfFileReader(BytesIO(pdf))
    page_ref = reader.root["/Pages"]["/Kids"][page]
    height = float(page_ref.get_object()["/MediaBox"][3])
    field = next(
        ref.get_object()
        for ref in reader.root["/AcroForm"]["/Fields"]
        if str(ref.get_object()["/T"]) == field_name
    )
    widgets = [kid.get_object() for kid in field.get("/Kids", [])] or [field]
    boxes = []
    for widget in widgets:
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        boxes.append((x1 * SCALE, (height - y2) * SCALE, x2 * SCALE, (height - y1) * SCALE))
    return boxes


def assert_the_signed_pdf_carries(
    pdf: bytes, *, shown: Iterable[str], drawn: Iterable[str], signatures: int
) -> None:
    """The final PDF of a package: every `shown` value in its text (pdftotext), ink in the
    widgets of every `drawn` field when poppler renders the page, every signature valid for
    pdfsig and intact for pyHanko with nothing later than form filling, and qpdf finds
    nothing wrong."""
    text = " ".join(pdftotext(pdf).split())
    missing = [value for value in shown if value not in text]
    assert not missing, (missing, text)
    image = render(pdf, "poppler")
    blank = [
        name
        for name in drawn
        if not any(
            sum(image.crop(tuple(round(v) for v in box)).histogram()[:128])
            for box in widget_boxes(pdf, name)
        )
    ]
    assert not blank, f"nothing drawn in {blank}"
    out = run_pdfsig(pdf)
    assert out.count("Signature is Valid.") == signatures, out
    embedded = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures
    assert len(embedded) == signatures
    for signature in embedded:
        status = validate_pdf_signature(signature, skip_diff=False)
        assert status.intact, status.pretty_print_details()
        assert status.modification_level is not None
        assert status.modification_level <= ModificationLevel.FORM_FILLING, (
            status.modification_level
        )
    assert_qpdf_clean(pdf)
