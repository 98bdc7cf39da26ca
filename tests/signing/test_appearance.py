"""Stamps and field values fitted to their boxes, in the embedded font, in any Latin,
Greek or Cyrillic script."""

from __future__ import annotations

from pathlib import Path

import pytest

from signflow.signing.fonts import signflow_font
from signflow.signing.form_spec import FormFieldSpec, FormKind, Rect, Widget
from signflow.signing.forms import prepare_form
from signflow.signing.signer import SignRequest
from signflow.signing.textfit import MIN_SIZE, fill_box, one_line, paragraph
from tests.signing.checks import assert_everywhere_valid
from tests.signing.forms_pdfs import (
    SCALE,
    assert_every_font_embedded,
    ink,
    ink_bounds,
    labelled_pdf,
    pdftotext,
    render,
    save_png,
    values_of,
)
from tests.signing.pki import Pki

SCREENSHOTS = Path("/work/wt/screenshots/pdf-forms")
LONG_NAME = "Maximilian Alexander Wolfeschlegelsteinhausenberger-Ångström"
# Empty parts of `labelled_pdf`'s page, each with room around it.
SMALL_BOX: Rect = (100.0, 300.0, 40.0, 22.0)
NAME_BOX: Rect = (200.0, 290.0, 160.0, 40.0)
STAMP_BOX: Rect = (380.0, 280.0, 150.0, 50.0)
MEMO_BOX: Rect = (100.0, 120.0, 300.0, 60.0)


def _inside(pdf: bytes, rect: Rect, engine: str = "pdfium") -> tuple[int, int, int, int]:
    """The ink around `rect` (within 20 pt of it) stays inside it; return its bounds."""
    margin = 20.0
    left, top, right, bottom = ink_bounds(render(pdf, engine), rect, margin)
    m = round(margin * SCALE)
    w, h = round(rect[2] * SCALE), round(rect[3] * SCALE)
    assert left >= m and top >= m, (left, top)
    assert right <= m + w and bottom <= m + h, (right, bottom, w, h)
    return left - m, top - m, right - m, bottom - m


def test_typed_initials_fill_a_small_box(pki: Pki) -> None:
    signer = pki.signer("Anna Tomczak", "anna@example.com")
    request = SignRequest(field_name="Ini", rect=SMALL_BOX, kind="initials", initials="A.T.")
    signed = signer.sign(labelled_pdf(), request)
    assert_everywhere_valid(signed, pki.ca.cert)
    for engine in ("pdfium", "poppler"):
        left, top, right, bottom = _inside(signed, SMALL_BOX, engine)
        height, width = SMALL_BOX[3] * SCALE, SMALL_BOX[2] * SCALE
        # As large as the box allows one way, centred the other.
        assert (bottom - top) >= 0.75 * height or (right - left) >= 0.85 * width
    assert "A.T." in pdftotext(signed)
    assert_every_font_embedded(signed)
    save_png(signed, SCREENSHOTS / "initials-small-box.png", dpi=200)


def test_a_long_name_shrinks_into_the_stamp(pki: Pki) -> None:
    signer = pki.signer(LONG_NAME, "max@example.com")
    request = SignRequest(field_name="S", rect=STAMP_BOX, reason="Gelesen und genehmigt")
    signed = signer.sign(labelled_pdf(), request)
    assert_everywhere_valid(signed, pki.ca.cert)
    _inside(signed, STAMP_BOX)
    save_png(signed, SCREENSHOTS / "stamp-long-name.png", dpi=200)
    assert "".join(LONG_NAME.split()) in "".join(pdftotext(signed).split())
    # the short name in the same box is drawn larger
    font = signflow_font()
    long_size = fill_box(font, LONG_NAME, 146, 20).size
    assert long_size < fill_box(font, "Ann Lee", 146, 20).size


def test_form_values_shrink_and_wrap_inside_their_boxes() -> None:
    fields = (
        FormFieldSpec("name", FormKind.TEXT, (Widget(0, NAME_BOX),)),
        FormFieldSpec("small", FormKind.TEXT, (Widget(0, SMALL_BOX),)),
        FormFieldSpec("memo", FormKind.TEXT, (Widget(0, MEMO_BOX),), multiline=True),
    )
    memo = "Ζωή Παπαδοπούλου and Жанна Иванова agree to every term of this lease. " * 3
    values = {"name": LONG_NAME, "small": "Łódź", "memo": memo}
    pdf = prepare_form(labelled_pdf(), fields, (), values)
    for rect in (NAME_BOX, SMALL_BOX, MEMO_BOX):
        _inside(pdf, rect)
    text = pdftotext(pdf)
    assert "Łódź" in text
    assert "".join(LONG_NAME.split()) in "".join(text.split())
    flat = " ".join(text.split())
    assert "Ζωή Παπαδοπούλου" in flat and "Жанна Иванова" in flat
    save_png(pdf, SCREENSHOTS / "values-fitted.png", dpi=150)


def test_text_outside_the_font_is_drawn_as_a_placeholder_and_kept_in_the_value() -> None:
    fields = (FormFieldSpec("name", FormKind.TEXT, (Widget(0, NAME_BOX),)),)
    pdf = prepare_form(labelled_pdf(), fields, (), {"name": "王小明 Wang"})
    assert values_of(pdf)["name"] == "王小明 Wang"
    assert "??? Wang" in pdftotext(pdf)
    assert ink(render(pdf), NAME_BOX) > 0


def test_fitting_uses_the_fonts_own_widths() -> None:
    font = signflow_font()
    # Noto Sans: "i" is narrower than "W" (a width table, not a fixed advance).
    assert font.width("iiii", 10) < font.width("WWWW", 10)
    assert font.width("Łódź", 10) == pytest.approx(
        sum(font.advances[g] for g in font.glyphs("Łódź")) / 100
    )
    line = one_line(font, LONG_NAME, 100, 20, max_size=11)
    assert font.width(LONG_NAME, line.size) <= 100.01
    assert one_line(font, "Ann", 100, 20, max_size=11).size == 11
    lines = paragraph(font, "word " * 200, 100, 40, max_size=11)
    assert lines[0].size == MIN_SIZE or len(lines) * lines[0].size * 1.15 <= 40
    assert all(font.width(line.text, line.size) <= 100.01 for line in lines)
