"""The image of a signature field: its area of the page as drawn, as PNG."""

from __future__ import annotations

import io

from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from signflow.audit.signature_facts import (
    IMAGE_DPI,
    FieldBox,
    field_image,
    field_image_of_page,
    page_image,
)


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
