from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signflow.errors import BadRequest, Conflict
from signflow.signing.ca import KeyType
from signflow.signing.signer import SignRequest, _pyhanko_update, write_update
from signflow.signing.verify import verify_pdf, verify_pdf_async
from tests.signing.checks import assert_everywhere_valid
from tests.signing.pdfs import (
    add_empty_signature_field,
    hand_signature_png,
    sized_pdf,
    text_pdf,
    visible_request,
    with_object_streams,
)
from tests.signing.pki import Pki


@pytest.mark.parametrize("key_type", [KeyType.RSA2048, KeyType.EC_P256])
def test_invisible_signature_validates_everywhere(pki: Pki, key_type: KeyType) -> None:
    signer = pki.signer("Alice Example", "alice@example.com", key_type)
    signed = signer.sign(sized_pdf(50_000), SignRequest(field_name="Sig1", reason="I agree"))
    assert_everywhere_valid(signed, pki.ca.cert)
    (report,) = verify_pdf(signed, [pki.ca.cert])
    assert report.signature_status == "VALID"
    assert report.signer_name == "Alice Example"
    assert report.signing_reason == "I agree"
    assert report.signature_type == "PADES_BASELINE_B"
    assert report.covers_whole_file and not report.modified_after_signing


def test_three_signers_each_stay_valid(pki: Pki) -> None:
    pdf = text_pdf(pages=2)
    names = ["Alice Example", "Bob Example", "Carol Example"]
    for i, name in enumerate(names):
        signer = pki.signer(name, f"{name.split()[0].lower()}@example.com", KeyType.EC_P256)
        rect = (72.0, 100.0 + 80 * i, 220.0, 60.0)
        pdf = signer.sign(pdf, SignRequest(field_name=f"Sig{i + 1}", page=i % 2, rect=rect))
    assert_everywhere_valid(pdf, pki.ca.cert, count=3)
    reports = verify_pdf(pdf, [pki.ca.cert])
    assert [r.signer_name for r in reports] == names
    assert [r.signature_status for r in reports] == ["VALID"] * 3
    assert [r.covers_whole_file for r in reports] == [False, False, True]


def test_fills_an_existing_empty_field(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    prepared = signer.sign(text_pdf(), SignRequest(field_name="First"))
    with_empty = add_empty_signature_field(prepared, "Prepared")
    signed = signer.sign(with_empty, SignRequest(field_name="Prepared"))
    assert_everywhere_valid(signed, pki.ca.cert, count=2)
    assert [r.field_name for r in verify_pdf(signed, [pki.ca.cert])] == ["First", "Prepared"]


def _ink(pdf: bytes, box: tuple[float, float, float, float]) -> int:
    """Non-white pixels in a box given in PDF points (x, y, w, h, bottom-left origin)."""
    scale = 2.0
    doc = pdfium.PdfDocument(pdf)
    try:
        doc.init_forms()
        page = doc[0]
        image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("L")
        height = page.get_height()
        page.close()
    finally:
        doc.close()
    x, y, w, h = box
    top = (height - y - h) * scale
    crop = image.crop((int(x * scale), int(top), int((x + w) * scale), int(top + h * scale)))
    return sum(crop.histogram()[:200])


@pytest.mark.parametrize("kind", ["signature", "initials"])
def test_visible_appearance_is_drawn_in_its_rectangle(pki: Pki, kind: str) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    rect = (300.0, 80.0, 200.0, 70.0)
    request = SignRequest(
        field_name="Visible",
        rect=rect,
        reason="Approved",
        hand_signature_png=hand_signature_png() if kind == "signature" else None,
        kind=kind,  # type: ignore[arg-type]
    )
    unsigned = text_pdf()
    signed = signer.sign(unsigned, request)
    assert_everywhere_valid(signed, pki.ca.cert)
    assert _ink(unsigned, rect) == 0
    assert _ink(signed, rect) > 200
    assert _ink(signed, (60.0, 300.0, 200.0, 70.0)) == 0


def test_level_b_t_without_a_timestamp_url_is_refused(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    with pytest.raises(BadRequest):
        signer.sign(text_pdf(), SignRequest(field_name="S", level="B-T"))


def test_refilling_a_signed_field_is_a_conflict(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), SignRequest(field_name="S"))
    with pytest.raises(Conflict):
        signer.sign(signed, SignRequest(field_name="S"))


async def test_sign_async_matches_sync(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = await signer.sign_async(text_pdf(), SignRequest(field_name="S"))
    (report,) = await verify_pdf_async(signed, [pki.ca.cert])
    assert report.signature_status == "VALID"


@pytest.mark.parametrize(
    "request_",
    [
        SignRequest(field_name="Sig1"),
        visible_request(),
        SignRequest(field_name="Certified", certify=2, lock_form_fields=True),
    ],
    ids=["invisible", "visible-non-ascii", "certify-lock"],
)
def test_update_is_byte_for_byte_what_pyhanko_writes(pki: Pki, request_: SignRequest) -> None:
    """The fast serialiser writes the incremental update exactly as pyHanko's own writer."""
    signer = pki.signer("Alice Example", "alice@example.com")
    pdf = text_pdf(pages=2, with_form_field="Name")
    writer, sig_obj = signer._prepare(pdf, request_)
    fast = write_update(writer, len(pdf), sig_obj)
    assert not (writer.stream_xrefs or writer.object_streams)  # the fast path ran
    stock = _pyhanko_update(writer, len(pdf), sig_obj)
    assert fast.contents == stock.contents
    assert bytes(fast.section) == bytes(stock.section)


def test_signature_ranges_cover_input_and_update(pki: Pki) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    pdf = text_pdf()
    signed = signer.sign(pdf, SignRequest(field_name="S", rect=(72.0, 72.0, 200.0, 60.0)))
    assert signed.startswith(pdf)
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    a, b, c, d = (int(v) for v in sig.byte_range)
    assert a == 0 and a + b < c and c + d == len(signed) and b > len(pdf)


@pytest.mark.parametrize("key_type", [KeyType.RSA2048, KeyType.EC_P256])
def test_xref_stream_documents_take_pyhankos_writer(pki: Pki, key_type: KeyType) -> None:
    """Object streams / xref streams go through pyHanko's serialiser, still on a side buffer."""
    signer = pki.signer("Alice Example", "alice@example.com", key_type)
    pdf = with_object_streams(text_pdf(pages=2))
    first = signer.sign(pdf, SignRequest(field_name="A", rect=(72.0, 72.0, 200.0, 60.0)))
    assert first.startswith(pdf)
    second = signer.sign(first, SignRequest(field_name="B", page=1))
    assert_everywhere_valid(second, pki.ca.cert, count=2)
    assert [r.signature_status for r in verify_pdf(second, [pki.ca.cert])] == ["VALID"] * 2
