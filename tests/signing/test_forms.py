"""Form fields created at share, filled under each signer's signature, locked after the last."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from signflow.errors import BadRequest
from signflow.signing.ca import KeyType
from signflow.signing.forms import ensure_font, fill_fields, prepare_form
from signflow.signing.signer import FastSigner, SignRequest
from signflow.signing.sink import WriterAccess
from tests.signing.checks import assert_pdfsig_valid, assert_pyhanko_valid, assert_qpdf_clean
from tests.signing.forms_pdfs import (
    FIELDS,
    PREFILLED,
    SIGNATURES,
    SIGNER1,
    SIGNER2,
    UNCHOSEN_RADIOS,
    assert_every_font_embedded,
    ink,
    labelled_pdf,
    pdftotext,
    render,
    save_png,
    values_of,
    widget_rect,
)
from tests.signing.pki import Pki

SCREENSHOTS = Path("/work/wt/screenshots/pdf-forms")


def _prepared() -> bytes:
    return prepare_form(labelled_pdf(), FIELDS, SIGNATURES, PREFILLED)


def _request(field: str, values: dict[str, str], **extra: object) -> SignRequest:
    rect = next(f.rect for f in SIGNATURES if f.name == field)
    return SignRequest(field_name=field, rect=rect, reason="I agree", form_values=values, **extra)  # type: ignore[arg-type]


def _signers(pki: Pki) -> tuple[FastSigner, FastSigner]:
    return (
        pki.signer("Zoë Ångström", "zoe@example.com", KeyType.EC_P256),
        pki.signer("Bartłomiej Wąs", "bartek@example.com", KeyType.RSA2048),
    )


def _signed_twice(pki: Pki, certify: bool) -> bytes:
    first, second = _signers(pki)
    pdf = first.sign(_prepared(), _request("sig1", SIGNER1, certify=2 if certify else None))
    return second.sign(pdf, _request("sig2", SIGNER2, lock_form_fields=True))


def _statuses(pdf: bytes, root: Pki) -> list[PdfSignatureStatus]:
    anchor = asn1_x509.Certificate.load(root.ca.cert.public_bytes(serialization.Encoding.DER))
    out = []
    for sig in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures:
        context = ValidationContext(trust_roots=[anchor], allow_fetching=False)
        out.append(validate_pdf_signature(sig, signer_validation_context=context))
    return out


# --- share -------------------------------------------------------------------


def test_prepared_form_has_every_field_and_shows_only_the_prefilled_value() -> None:
    blank = labelled_pdf()
    prepared = _prepared()
    reader = PdfFileReader(io.BytesIO(prepared))
    assert reader.xrefs.total_revisions == 2  # one incremental update
    fields = {
        str(f.get_object()["/T"]): f.get_object() for f in reader.root["/AcroForm"]["/Fields"]
    }
    assert set(fields) == {spec.name for spec in FIELDS} | {"sig1", "sig2"}
    kinds = {name: (f["/FT"], int(f.get("/Ff", 0))) for name, f in fields.items()}
    assert kinds["city"] == ("/Tx", 1)
    assert kinds["notes"] == ("/Tx", 1 | 1 << 12)
    assert kinds["agree"] == ("/Btn", 1)
    assert kinds["plan"] == ("/Btn", 1 | 1 << 14 | 1 << 15)
    assert kinds["country"] == ("/Ch", 1 | 1 << 17)
    assert kinds["colour"] == ("/Ch", 1)
    assert kinds["sig1"][0] == "/Sig"
    assert len(fields["plan"]["/Kids"]) == 3
    assert fields["full_name"]["/V"] == PREFILLED["full_name"]
    assert "Zoë Ångström" in pdftotext(prepared)

    for engine in ("pdfium", "poppler"):
        before, after = render(blank, engine), render(prepared, engine)
        assert ink(after, widget_rect("full_name")) > 50
        for spec in FIELDS:
            if spec.name in PREFILLED:
                continue
            for widget in spec.widgets:  # empty fields draw nothing, not even a border
                assert ink(after, widget.rect) == ink(before, widget.rect), spec.name
        for field in SIGNATURES:
            assert ink(after, field.rect) == ink(before, field.rect)
    assert_every_font_embedded(prepared)
    assert_qpdf_clean(prepared)
    save_png(prepared, SCREENSHOTS / "form-prepared.png")


def test_prepare_refuses_what_cannot_be_a_field() -> None:
    pdf = labelled_pdf()
    with pytest.raises(BadRequest, match="do not exist"):
        prepare_form(pdf, FIELDS, SIGNATURES, {"nope": "x"})
    with pytest.raises(BadRequest, match="unique"):
        prepare_form(pdf, (*FIELDS, FIELDS[0]), SIGNATURES, {})
    with pytest.raises(BadRequest, match="no page 3"):
        moved = FIELDS[0].__class__(
            "far", FIELDS[0].kind, (FIELDS[0].widgets[0].__class__(2, (10, 10, 50, 20)),)
        )
        prepare_form(pdf, (moved,), (), {})
    prepared = _prepared()
    with pytest.raises(BadRequest, match="already has form fields named city"):
        prepare_form(prepared, FIELDS[1:2], (), {})


# --- two signers ----------------------------------------------------------------


@pytest.mark.parametrize("certify", [False, True], ids=["approvals", "certified"])
def test_every_kind_filled_by_two_signers_validates_everywhere(pki: Pki, certify: bool) -> None:
    signed = _signed_twice(pki, certify)

    assert_pyhanko_valid(signed, pki.ca.cert, count=2)
    first, second = _statuses(signed, pki)
    assert first.modification_level is not None
    assert first.modification_level <= ModificationLevel.FORM_FILLING, first.pretty_print_details()
    assert second.modification_level == ModificationLevel.NONE
    assert_pdfsig_valid(signed, count=2)
    assert_qpdf_clean(signed)
    assert_every_font_embedded(signed)

    text = pdftotext(signed)
    for value in ("Zoë Ångström", "Łódź", "2026-11-23", "Sweden", "Green", "keep one cat"):
        assert value in text, text
    assert "Bartłomiej Wąs" in text  # the second stamp

    values = values_of(signed)
    assert values["city"] == "Łódź"
    assert values["agree"] == "/Yes"
    assert values["plan"] == "/plus"
    assert values["country"] == "Sweden"
    assert values["colour"] == "Green"
    assert values["phone"] is None

    for engine in ("pdfium", "poppler"):
        prepared = render(_prepared(), engine)
        image = render(signed, engine)
        assert ink(image, widget_rect("agree")) > 20 > ink(prepared, widget_rect("agree"))
        assert ink(image, widget_rect("plan", "plus")) > 20
        for unchosen in UNCHOSEN_RADIOS:
            assert ink(image, widget_rect("plan", unchosen)) == 0
        assert ink(image, widget_rect("phone")) == 0
        for name in ("city", "start_date", "notes", "country", "colour"):
            assert ink(image, widget_rect(name)) > 30, name
    if not certify:
        save_png(signed, SCREENSHOTS / "form-two-signers.png")


# The choices a later signer makes: a list box, a dropdown and a radio group.
LATER_CHOICES = {"colour": "Blue", "country": "Norway", "plan": "pro"}


@pytest.mark.parametrize("certify", [False, True], ids=["approvals", "certified"])
def test_choices_made_by_the_second_signer_leave_the_first_signature_form_filled(
    pki: Pki, certify: bool
) -> None:
    first, second = _signers(pki)
    earlier = {"city": "Łódź", "agree": "true"}
    pdf = first.sign(_prepared(), _request("sig1", earlier, certify=2 if certify else None))
    signed = second.sign(pdf, _request("sig2", LATER_CHOICES, lock_form_fields=True))

    assert_pyhanko_valid(signed, pki.ca.cert, count=2)
    statuses = _statuses(signed, pki)
    level = statuses[0].modification_level
    assert level is not None
    assert level <= ModificationLevel.FORM_FILLING, statuses[0].pretty_print_details()
    assert statuses[1].modification_level == ModificationLevel.NONE
    assert_pdfsig_valid(signed, count=2)
    assert_qpdf_clean(signed)

    values = values_of(signed)
    assert values["colour"] == "Blue"
    assert values["country"] == "Norway"
    assert values["plan"] == "/pro"
    text = pdftotext(signed)
    assert "Blue" in text and "Norway" in text, text
    for engine in ("pdfium", "poppler"):
        image = render(signed, engine)
        assert ink(image, widget_rect("colour")) > 30
        assert ink(image, widget_rect("country")) > 30
        assert ink(image, widget_rect("plan", "pro")) > 20
        assert ink(image, widget_rect("plan", "plus")) == 0
    if not certify:
        save_png(signed, SCREENSHOTS / "form-later-choices.png")


def test_a_list_box_prefilled_before_the_first_signature_validates(pki: Pki) -> None:
    first, second = _signers(pki)
    prepared = prepare_form(labelled_pdf(), FIELDS, SIGNATURES, {**PREFILLED, "colour": "Red"})
    assert values_of(prepared)["colour"] == "Red"
    pdf = first.sign(prepared, _request("sig1", {"city": "Łódź"}))
    signed = second.sign(pdf, _request("sig2", {"country": "Poland"}, lock_form_fields=True))

    assert_pyhanko_valid(signed, pki.ca.cert, count=2)
    level = _statuses(signed, pki)[0].modification_level
    assert level is not None and level <= ModificationLevel.FORM_FILLING
    assert_pdfsig_valid(signed, count=2)
    assert values_of(signed)["colour"] == "Red"
    assert "Red" in pdftotext(signed)
    for engine in ("pdfium", "poppler"):
        assert ink(render(signed, engine), widget_rect("colour")) > 30


def test_the_lean_path_writes_values_as_pyhankos_path_does(pki: Pki) -> None:
    first, _ = _signers(pki)
    prepared = _prepared()
    request = _request("sig1", SIGNER1)
    assert first._lean_update(prepared, request) is not None
    lean = first.sign(prepared, request)
    writer, sig_obj = first._prepare(prepared, request)
    from signflow.signing.signer import write_update

    update = write_update(writer, len(prepared), sig_obj)
    stock = update.signed(prepared, first._template.build(update.digest(prepared)))
    for pdf in (lean, stock):
        assert_pyhanko_valid(pdf, pki.ca.cert, count=1)
        assert values_of(pdf)["city"] == "Łódź"
        sig = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures[0]
        assert sig.fieldmdp is not None
        assert sorted(sig.fieldmdp.fields or ()) == sorted(SIGNER1)
    assert pdftotext(lean) == pdftotext(stock)


def test_a_plain_signature_of_a_prepared_field_stays_on_the_lean_path(pki: Pki) -> None:
    first, _ = _signers(pki)
    prepared = _prepared()
    request = _request("sig1", {})
    assert first._lean_update(prepared, request) is not None
    signed = first.sign(prepared, request)
    assert_pyhanko_valid(signed, pki.ca.cert, count=1)
    sig = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[0]
    assert sig.fieldmdp is None
    # The stamp reuses the font the form was prepared with: no second copy.
    assert len(_font_objects(signed)) == 1


def _font_objects(pdf: bytes) -> list[int]:
    reader = PdfFileReader(io.BytesIO(pdf))
    found = []
    for idnum in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(generic.Reference(idnum, 0, reader))
        except Exception:  # noqa: S112 - free or missing object numbers
            continue
        if isinstance(obj, generic.DictionaryObject) and obj.get("/Subtype") == "/Type0":
            found.append(idnum)
    return found


# --- the lock ----------------------------------------------------------------------


def _edit_city(pdf: bytes, value: str) -> bytes:
    """What a later editor would do: fill `city` again, as a form filler, in a new revision."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    access = WriterAccess(writer)
    form_raw = writer.root.raw_get("/AcroForm")
    form = form_raw.get_object()
    font = ensure_font(access, form, form_raw)
    fill_fields(access, form["/Fields"], {"city": value}, font)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_edit_after_the_last_signature_invalidates_the_signatures(pki: Pki) -> None:
    signed = _signed_twice(pki, certify=False)
    edited = _edit_city(signed, "Kraków")
    assert "Kraków" in pdftotext(edited)
    first, second = _statuses(edited, pki)
    for status in (first, second):
        # Intact bytes, but the change is refused: the field is locked by both.
        assert status.intact and status.valid
        assert status.docmdp_ok is False, status.pretty_print_details()
        assert status.modification_level == ModificationLevel.OTHER


def test_without_the_locks_the_same_edit_is_form_filling(pki: Pki) -> None:
    """The control for the test above: what makes the edit fail is the lock."""
    first, second = _signers(pki)
    pdf = prepare_form(labelled_pdf(), FIELDS, SIGNATURES, {**PREFILLED, "city": "Łódź"})
    pdf = first.sign(pdf, _request("sig1", {}))
    pdf = second.sign(pdf, _request("sig2", {}))
    edited = _edit_city(pdf, "Kraków")
    for status in _statuses(edited, pki):
        assert status.docmdp_ok is not False, status.pretty_print_details()
        assert status.modification_level == ModificationLevel.FORM_FILLING


# --- bad values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"agree": "yes"}, "takes 'true' or 'false'"),
        ({"country": "Denmark"}, "not one of the options"),
        ({"plan": "gold"}, "not one of the buttons"),
        ({"missing": "x"}, "no form field named missing"),
        ({"sig2": "x"}, "does not take a value"),
    ],
)
def test_a_value_that_does_not_fit_its_field_is_refused(
    pki: Pki, values: dict[str, str], message: str
) -> None:
    first, _ = _signers(pki)
    prepared = _prepared()
    for use_lean in (True, False):
        request = _request("sig1", values)
        with pytest.raises(BadRequest, match=message):
            if use_lean:
                first._lean_update(prepared, request)
            else:
                first._prepare(prepared, request)
    if not {"missing", "sig2"} & set(values):  # prefilling them is refused earlier
        with pytest.raises(BadRequest, match=message):
            prepare_form(labelled_pdf(), FIELDS, SIGNATURES, values)


def test_an_unprepared_document_gets_the_font_once(pki: Pki) -> None:
    """The first stamp embeds the font and registers it in /DR; the next stamps reuse it."""
    first, second = _signers(pki)
    pdf = labelled_pdf()
    for i, signer in enumerate((first, second, first)):
        request = SignRequest(field_name=f"S{i}", rect=(72.0 + 160 * i, 100.0, 150.0, 50.0))
        assert signer._lean_update(pdf, request) is not None
        pdf = signer.sign(pdf, request)
    assert len(_font_objects(pdf)) == 1
    assert_pyhanko_valid(pdf, pki.ca.cert, count=3)
    for status in _statuses(pdf, pki)[:-1]:
        assert status.modification_level == ModificationLevel.FORM_FILLING
    assert_pdfsig_valid(pdf, count=3)
    assert_every_font_embedded(pdf)
    assert "Bartłomiej Wąs" in pdftotext(pdf)


def test_preparing_with_nothing_new_leaves_the_document_as_it_is() -> None:
    pdf = prepare_form(labelled_pdf(), (), SIGNATURES, {})
    assert prepare_form(pdf, (), SIGNATURES, {}) == pdf
    assert prepare_form(pdf, (), (), {}) == pdf
