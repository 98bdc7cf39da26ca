"""The lean path (own reader, own update) against pyHanko's reader and writer."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStrictReadError
from pyhanko.pdf_utils.reader import PdfFileReader

from signflow.signing.forms import prepare_form
from signflow.signing.pdfread import LeanReader, NotLean
from signflow.signing.signer import FastSigner, SignRequest, write_update
from tests.signing.checks import (
    assert_everywhere_valid,
    assert_pdfsig_valid,
    assert_pyhanko_valid,
    assert_qpdf_clean,
    run_pdfsig,
)
from tests.signing.forms_pdfs import FIELDS, PREFILLED, SIGNATURES, SIGNER1, labelled_pdf
from tests.signing.pdfs import (
    add_empty_signature_field,
    hybrid_pdf,
    sized_pdf,
    text_pdf,
    visible_request,
    with_object_streams,
)
from tests.signing.pki import Pki

# Literal and hex strings with every escape, names with #xx, nested containers.
_TRICKY_INFO = (
    rb"<< /Title (Tricky \(nested (parens)\) \\ \101\102C \0533 tab\there\
continued) /Subject <FEFF00C500E9> /Keywords <4142 43 4>"
    rb" /Odd#20Name#2F [ 1 -2 +3 4.5 -.5 0. true false null /A#23B [ ] << >> ]"
    rb" /Producer (tricky) >>"
)


def _append_info(pdf: bytes, info: bytes) -> bytes:
    """An incremental update (classic xref) replacing /Info with the given dictionary."""
    reader = PdfFileReader(io.BytesIO(pdf))
    info_ref = reader.trailer.raw_get("/Info")
    root_ref = reader.trailer.raw_get("/Root")
    at = len(pdf)
    obj = b"%d 0 obj\n%s\nendobj\n" % (info_ref.idnum, info)
    table_at = at + len(obj)
    doc_id = reader.document_id[0].hex().encode()
    table = (
        b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \ntrailer\n"
        b"<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d /ID [<%s><%s>] >>\n"
        b"startxref\n%d\n%%%%EOF\n"
    ) % (
        info_ref.idnum,
        at,
        int(reader.trailer["/Size"]),
        root_ref.idnum,
        info_ref.idnum,
        reader.last_startxref,
        doc_id,
        doc_id,
        table_at,
    )
    return pdf + obj + table


def _plain(obj: generic.PdfObject) -> Any:
    """A comparable, reader-independent form of a pyHanko object."""
    if isinstance(obj, generic.IndirectObject):
        return ("ref", obj.idnum, obj.generation)
    if isinstance(obj, generic.DictionaryObject):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, generic.ArrayObject):
        return [_plain(v) for v in obj]
    if isinstance(obj, generic.NameObject):
        return ("name", str(obj))
    if isinstance(obj, generic.TextStringObject):
        return ("text", str(obj))
    if isinstance(obj, generic.ByteStringObject):
        return ("bytes", bytes(obj))
    if isinstance(obj, generic.BooleanObject):
        return ("bool", obj.value)
    if isinstance(obj, generic.NullObject):
        return ("null",)
    return (type(obj).__name__, str(obj))


@pytest.mark.parametrize(
    "pdf",
    [
        text_pdf(pages=2, with_form_field="Name"),
        sized_pdf(50_000),
        _append_info(text_pdf(), _TRICKY_INFO),
        add_empty_signature_field(text_pdf(), "Prepared"),
    ],
    ids=["form", "images", "tricky-syntax", "incremental"],
)
def test_reader_reads_every_object_as_pyhanko_does(pdf: bytes) -> None:
    stock = PdfFileReader(io.BytesIO(pdf))
    lean = LeanReader(pdf)
    assert _plain(lean.trailer) == _plain(stock.trailer.flatten())
    assert lean.startxref == stock.last_startxref
    compared = 0
    for idnum in range(1, int(stock.trailer["/Size"])):
        ref = generic.Reference(idnum, 0, stock)
        try:
            expected = stock.get_object(ref)
        except PdfStrictReadError:  # a number pyHanko's writer skipped
            expected = None
        if expected is None or isinstance(expected, generic.StreamObject):
            with pytest.raises(NotLean):
                lean.get_object(ref)
            continue
        assert _plain(lean.get_object(ref)) == _plain(expected), idnum
        compared += 1
    assert compared >= 5


@pytest.mark.parametrize(
    "pdf",
    [
        with_object_streams(text_pdf(pages=2)),
        hybrid_pdf(text_pdf(), "Hybrid"),
        b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n",
    ],
    ids=["xref-stream", "hybrid", "no-xref"],
)
def test_reader_refuses_what_it_does_not_handle(pdf: bytes) -> None:
    with pytest.raises(NotLean):
        LeanReader(pdf)


def _revision(pdf: bytes) -> dict[str, Any]:
    """The last revision: which old objects it rewrote, and every object it added, inlined."""
    reader = PdfFileReader(io.BytesIO(pdf))
    last = reader.xrefs.total_revisions - 1
    refs = reader.xrefs.explicit_refs_in_revision(last)
    old_size = int(reader.trailer.flatten(revision=last - 1)["/Size"])
    new = {ref.idnum for ref in refs if ref.idnum >= old_size}
    volatile = {"/M", "/ModDate", "/Contents", "/ByteRange", "/ID", "/Prev", "/Size"}

    def view(obj: generic.PdfObject, depth: int = 0) -> Any:
        if isinstance(obj, generic.IndirectObject):
            if obj.idnum not in new:
                return ("old", obj.idnum)
            assert depth < 8
            return view(obj.get_object(), depth + 1)
        if isinstance(obj, generic.StreamObject):
            return ("stream", view(generic.DictionaryObject(obj), depth), obj.data)
        if isinstance(obj, generic.DictionaryObject):
            return {str(k): view(v, depth) for k, v in obj.items() if k not in volatile}
        if isinstance(obj, generic.ArrayObject):
            return [view(v, depth) for v in obj]
        return _plain(obj)

    rewritten = sorted(ref.idnum for ref in refs if ref.idnum < old_size)
    return {
        "rewritten": {
            idnum: view(reader.get_object(generic.Reference(idnum, 0, reader)))
            for idnum in rewritten
        },
        "added": len(new),
        "trailer": view(reader.trailer.flatten()),
    }


def _both_ways(signer: FastSigner, pdf: bytes, request: SignRequest) -> tuple[bytes, bytes]:
    lean = signer._lean_update(pdf, request)
    assert lean is not None, "the lean path did not take this document"
    writer, sig_obj = signer._prepare(pdf, request)
    stock = write_update(writer, len(pdf), sig_obj)
    cms = signer._template.build(lean.digest(pdf))
    return lean.signed(pdf, cms), stock.signed(pdf, signer._template.build(stock.digest(pdf)))


_VISIBLE = visible_request()
_FORM = prepare_form(labelled_pdf(), FIELDS, SIGNATURES, PREFILLED)
_SIG1 = (72.0, 150.0, 220.0, 70.0)


@pytest.mark.parametrize(
    ("pdf", "request_"),
    [
        (text_pdf(pages=2), _VISIBLE),
        (text_pdf(pages=2, with_form_field="Name"), SignRequest(field_name="Sig1")),
        (add_empty_signature_field(text_pdf(pages=2), "Prepared"), _VISIBLE),
        (_append_info(text_pdf(pages=2), _TRICKY_INFO), _VISIBLE),
        (sized_pdf(50_000), SignRequest(field_name="Sig1", rect=(300.0, 80.0, 200.0, 60.0))),
        (text_pdf(pages=2), SignRequest(field_name="Last", rect=_SIG1, lock_form_fields=True)),
        (_FORM, SignRequest(field_name="sig1", rect=_SIG1, kind="initials", initials="A.T.")),
        (_FORM, SignRequest(field_name="sig1", rect=_SIG1, form_values=SIGNER1)),
        (_FORM, SignRequest(field_name="sig2", form_values=SIGNER1, lock_form_fields=True)),
    ],
    ids=[
        "new-form",
        "existing-form",
        "prepared-field",
        "tricky-info",
        "images",
        "lock-all",
        "fills-prepared-field",
        "form-values",
        "form-values-lock-all",
    ],
)
def test_lean_update_changes_what_pyhanko_changes(
    pki: Pki, pdf: bytes, request_: SignRequest
) -> None:
    """Same objects rewritten, same content, same number of new objects; both validate."""
    signer = pki.signer("Alice Example", "alice@example.com")
    lean, stock = _both_ways(signer, pdf, request_)
    assert _revision(lean) == _revision(stock)
    assert_pyhanko_valid(lean, pki.ca.cert, count=1)
    assert_qpdf_clean(lean)
    pdfsig = run_pdfsig(lean)  # also lists an unsigned prepared field
    assert pdfsig.count("Signature is Valid.") == 1 and "Total document signed" in pdfsig


def test_lean_signatures_chain_and_stay_valid(pki: Pki) -> None:
    """Each signature's update is read back by the next one's lean reader."""
    pdf = text_pdf(pages=2, with_form_field="Name")
    for i in range(3):
        signer = pki.signer(f"Signer {i}", f"s{i}@example.com")
        request = SignRequest(
            field_name=f"Sig{i}", page=i % 2, rect=(72.0, 100.0 + 80 * i, 200.0, 60.0)
        )
        assert signer._lean_update(pdf, request) is not None
        pdf = signer.sign(pdf, request)
    assert_everywhere_valid(pdf, pki.ca.cert, count=3)


def test_hybrid_file_signs_with_the_object_streams_view(pki: Pki) -> None:
    """A hybrid file's newest /Info is only in its xref stream: it must survive signing."""
    signer = pki.signer("Alice Example", "alice@example.com")
    pdf = hybrid_pdf(text_pdf(), "Hybrid")
    signed = signer.sign(pdf, SignRequest(field_name="S", rect=(72.0, 72.0, 200.0, 60.0)))
    # pyHanko's validator refuses hybrid files by policy; poppler and qpdf check it.
    assert_pdfsig_valid(signed, count=1)
    assert_qpdf_clean(signed)
    info = PdfFileReader(io.BytesIO(signed)).trailer["/Info"]
    assert info["/Title"] == "Hybrid"
