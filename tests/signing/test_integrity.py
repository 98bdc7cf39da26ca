from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signflow.errors import Conflict
from signflow.signing.signer import SignRequest
from signflow.signing.verify import verify_pdf
from tests.signing.checks import assert_everywhere_valid, run_pdfsig
from tests.signing.pdfs import MARKER, add_empty_signature_field, text_pdf
from tests.signing.pki import Pki


def _replace_page_content(pdf: bytes, text: bytes) -> bytes:
    """An incremental update that rewrites what page 1 shows: never a permitted change."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (" + text + b") Tj ET")
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_flipped_byte_in_signed_range_is_invalid(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), SignRequest(field_name="S"))
    at = signed.index(MARKER.encode())
    tampered = signed[:at] + b"X" + signed[at + 1 :]
    (report,) = verify_pdf(tampered, [pki.ca.cert])
    assert report.signature_status == "INVALID"
    assert "Signature is Valid." not in run_pdfsig(tampered)


def test_certified_document_reports_a_disallowed_change(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), SignRequest(field_name="Author", certify=2))
    assert_everywhere_valid(signed, pki.ca.cert)
    (report,) = verify_pdf(signed, [pki.ca.cert])
    assert report.certified and report.signature_status == "VALID"

    modified = _replace_page_content(signed, b"Pay 1,000,000 to Mallory")
    (report,) = verify_pdf(modified, [pki.ca.cert])
    assert report.modified_after_signing
    assert report.signature_status == "MODIFIED"
    assert not report.covers_whole_file


def test_later_signature_on_certified_document_is_permitted(pki: Pki) -> None:
    author = pki.signer("Alice Example", "alice@example.com")
    counter = pki.signer("Bob Example", "bob@example.com")
    # Certification permits filling prepared fields, not adding new ones.
    prepared = add_empty_signature_field(text_pdf(), "Counter", box=(72, 72, 252, 122))
    pdf = author.sign(prepared, SignRequest(field_name="Author", certify=2))
    pdf = counter.sign(pdf, SignRequest(field_name="Counter"))
    assert_everywhere_valid(pdf, pki.ca.cert, count=2)
    reports = verify_pdf(pdf, [pki.ca.cert])
    assert [r.certified for r in reports] == [True, False]
    assert not any(r.modified_after_signing for r in reports)


def test_approval_signature_reports_a_disallowed_change(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), SignRequest(field_name="S"))
    (report,) = verify_pdf(_replace_page_content(signed, b"Changed"), [pki.ca.cert])
    assert report.modified_after_signing and report.signature_status == "MODIFIED"


def test_no_changes_certification_refuses_more_signatures(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), SignRequest(field_name="Author", certify=1))
    with pytest.raises(Conflict):
        signer.sign(signed, SignRequest(field_name="Second"))


def test_only_the_first_signature_can_certify(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), SignRequest(field_name="First"))
    with pytest.raises(Conflict):
        signer.sign(signed, SignRequest(field_name="Second", certify=2))


def test_untrusted_root_is_reported(pki: Pki) -> None:
    from tests.signing.pki import make_pki

    other = make_pki()
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), SignRequest(field_name="S"))
    (report,) = verify_pdf(signed, [other.ca.cert])
    assert report.signature_status == "UNTRUSTED"


def test_locked_form_fields_signature_validates(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(
        text_pdf(with_form_field="Amount"), SignRequest(field_name="S", lock_form_fields=True)
    )
    assert_everywhere_valid(signed, pki.ca.cert)
    assert b"/FieldMDP" in signed
