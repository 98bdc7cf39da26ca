from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import pytest
from reportlab.lib.pagesizes import A4, letter

from signflow.errors import InvalidPdf, PayloadTooLarge, SignflowError
from signflow.pdf.intake import inspect_pdf, inspect_pdf_sync
from tests.pdf import builders

LIMIT_S = 5.0
LIMITS = {"max_bytes": 25 * builders.MB, "max_pages": 500, "timeout_seconds": LIMIT_S}


@pytest.fixture(scope="module", autouse=True)
def _warm_workers() -> None:
    """Start the sandbox once, so each case's time is its own."""
    inspect_pdf_sync(builders.make_pdf(), **LIMITS)


async def test_accepts_a_good_pdf_and_describes_it() -> None:
    data = builders.make_pdf([A4, letter, (300, 200)], ["one", "two", "three"])
    info = await inspect_pdf(data, **LIMITS)
    assert info.page_count == 3
    assert info.pages == ((595.276, 841.89), (612.0, 792.0), (300.0, 200.0))
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert info.has_signatures is False
    assert info.has_form_fields is False


def test_sync_variant_gives_the_same_answer() -> None:
    data = builders.make_pdf([A4])
    assert inspect_pdf_sync(data, **LIMITS).pages == ((595.276, 841.89),)


def test_rotated_page_reports_its_displayed_size() -> None:
    data = builders.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate 90 >>",
        ]
    )
    assert inspect_pdf_sync(data, **LIMITS).pages == ((792.0, 612.0),)


def test_reports_form_fields_and_signatures() -> None:
    data = builders.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R] >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R 5 0 R] >>",
            b"<< /FT /Tx /T (name) /Type /Annot /Subtype /Widget /Rect [0 0 10 10] /P 3 0 R >>",
            b"<< /FT /Sig /T (sig) /V 6 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] >>",
            b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
            b"/ByteRange [0 0 0 0] /Contents <00> >>",
        ]
    )
    info = inspect_pdf_sync(data, **LIMITS)
    assert info.has_form_fields is True
    assert info.has_signatures is True


def test_empty_signature_field_is_not_a_signature() -> None:
    data = builders.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
            b"<< /FT /Sig /T (sig) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] >>",
        ]
    )
    info = inspect_pdf_sync(data, **LIMITS)
    assert (info.has_form_fields, info.has_signatures) == (True, False)


# The corpus of bad inputs: (builder, error class, words the message must contain).
BAD_INPUTS: dict[str, tuple[Callable[[], bytes], type[SignflowError], str]] = {
    "zero-bytes": (builders.zero_bytes_pdf, InvalidPdf, "empty"),
    "truncated": (builders.truncated_pdf, InvalidPdf, "truncated"),
    "png-not-pdf": (builders.png_bytes, InvalidPdf, "PNG image"),
    "text-not-pdf": (lambda: b"Dear customer,\nplease sign.\n", InvalidPdf, "not a PDF"),
    "encrypted": (builders.encrypted_pdf, InvalidPdf, "Encrypted PDF documents are not accepted"),
    "encrypted-no-user-password": (
        lambda: builders.encrypted_pdf(""),
        InvalidPdf,
        "remove the password",
    ),
    "flate-bomb": (
        lambda: builders.flate_bomb(512 * builders.MB),
        InvalidPdf,
        "decompression bomb",
    ),
    "stacked-flate-bomb": (builders.stacked_flate_bomb, InvalidPdf, "decompression bomb"),
    "page-tree-loop": (builders.page_tree_loop, InvalidPdf, "reference loop"),
    "self-referencing-object": (builders.self_referencing_object, InvalidPdf, "too complex"),
    "too-many-pages": (lambda: builders.many_pages(501), PayloadTooLarge, "at most 500"),
    "over-size-limit": (
        lambda: builders.make_pdf() + b"%" + b"x" * (25 * builders.MB) + b"\n%%EOF\n",
        PayloadTooLarge,
        "the limit is 25 MB",
    ),
    "millions-of-objects": (
        lambda: builders.many_objects(2_000_000),
        PayloadTooLarge,
        "2000007 objects",
    ),
    "garbage-after-header": (
        lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n",
        InvalidPdf,
        "cannot be read",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
async def test_bad_input_is_refused_with_a_4xx_in_bounded_time(case: str) -> None:
    build, error, words = BAD_INPUTS[case]
    data = build()
    started = time.monotonic()
    with pytest.raises(error) as refused:
        await inspect_pdf(data, **LIMITS)
    assert time.monotonic() - started < LIMIT_S + 1
    assert 400 <= refused.value.status_code < 500
    assert words in refused.value.message


async def test_a_file_too_slow_to_parse_is_refused_as_too_complex() -> None:
    # 2 million objects declared honestly would be refused by count; here the
    # limit is raised so the parser really has to work, and time runs out.
    limits = {**LIMITS, "timeout_seconds": 1.0}
    await inspect_pdf(builders.make_pdf(), **limits)
    data = builders.many_objects(2_000_000)
    started = time.monotonic()
    with pytest.raises(InvalidPdf, match="too complex to process safely"):
        await inspect_pdf(data, **limits, max_objects=10_000_000)
    assert time.monotonic() - started < 3


async def test_the_server_keeps_accepting_after_hostile_files() -> None:
    for _ in range(2):
        with pytest.raises(InvalidPdf):
            await inspect_pdf(builders.self_referencing_object(), **LIMITS)
    info = await inspect_pdf(builders.make_pdf(), **LIMITS)
    assert info.page_count == 1


async def test_page_limit_is_a_parameter() -> None:
    data = builders.many_pages(3)
    assert (await inspect_pdf(data, **{**LIMITS, "max_pages": 3})).page_count == 3
    with pytest.raises(PayloadTooLarge, match="at most 2"):
        await inspect_pdf(data, **{**LIMITS, "max_pages": 2})
