"""Active content found and removed in the intake sandbox: each kind, in a real PDF built
with pyHanko; the rewritten file passes qpdf --check and renders as the original did."""

from __future__ import annotations

import io
from collections.abc import Callable

import pypdfium2 as pdfium
import pytest

from signflow.pdf.intake import inspect_pdf_sync, strip_active_content_sync
from tests.pdf import active_pdfs
from tests.pdf.builders import make_pdf
from tests.signing.checks import assert_qpdf_clean

LIMITS = {"max_bytes": 25 * 1024 * 1024, "max_pages": 500}
CASES = [
    *active_pdfs.ACTIVE.items(),
    ("everything", (active_pdfs.everything, active_pdfs.EVERYTHING)),
]


def rendered(pdf: bytes) -> bytes:
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        image = page.render(scale=1, may_draw_forms=True).to_pil()
        text = page.get_textpage().get_text_range()
        assert active_pdfs.PAGE_TEXT in text
        out = io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()
    finally:
        document.close()


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_each_kind_is_found_and_removed(
    name: str, case: tuple[Callable[[], bytes], tuple[str, ...]]
) -> None:
    build, expected = case
    original = build()
    assert active_pdfs.MARKER.encode() in original  # the test PDF does carry it
    assert inspect_pdf_sync(original, **LIMITS).active_content == expected

    stripped = strip_active_content_sync(original)

    assert stripped.removed == expected
    after = inspect_pdf_sync(stripped.data, **LIMITS)
    assert after.active_content == ()
    assert after.page_count == 1
    # Gone from the bytes, not only unreferenced (the file is rewritten, not appended to).
    assert active_pdfs.MARKER.encode() not in stripped.data
    assert_qpdf_clean(stripped.data)
    assert rendered(stripped.data) == rendered(original)


def test_links_and_navigation_are_kept_and_not_reported() -> None:
    harmless = active_pdfs.harmless_navigation()
    assert inspect_pdf_sync(harmless, **LIMITS).active_content == ()
    assert inspect_pdf_sync(make_pdf(texts=["plain"]), **LIMITS).active_content == ()
    stripped = strip_active_content_sync(active_pdfs.everything())
    assert active_pdfs.uri_targets(stripped.data) == [active_pdfs.KEPT_LINK]
