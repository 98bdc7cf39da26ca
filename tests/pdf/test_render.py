from __future__ import annotations

import io

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from signflow.errors import BadRequest, InvalidPdf, NotFound
from signflow.pdf.render import (
    page_image_cache_key,
    render_page_image,
    render_page_png,
    render_page_png_async,
)
from tests.pdf import builders


def _red_square_pdf() -> bytes:
    """Page 1 (A4) white; page 2 (300x200 pt) with a red square at its bottom-left corner."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    canvas.showPage()
    canvas.setPageSize((300, 200))
    canvas.setFillColorRGB(1, 0, 0)
    canvas.rect(0, 0, 100, 100, stroke=0, fill=1)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(
    ("page", "dpi", "size"),
    [
        (0, 72, (595, 842)),
        (0, 100, (827, 1169)),
        (0, 150, (1240, 1754)),
        (1, 10, (42, 28)),
        (1, 400, (1667, 1111)),
    ],
)
def test_page_renders_to_a_png_of_the_requested_size(
    page: int, dpi: int, size: tuple[int, int]
) -> None:
    image = _png(render_page_png(_red_square_pdf(), page, dpi))
    assert image.size == size
    assert image.size == (
        round([595.276, 300][page] * dpi / 72),
        round([841.89, 200][page] * dpi / 72),
    )


def test_rendering_draws_the_page_content_in_the_right_place() -> None:
    image = _png(render_page_png(_red_square_pdf(), 1, 72)).convert("RGB")
    assert image.getpixel((10, 190)) == (255, 0, 0)  # bottom-left: the red square
    assert image.getpixel((290, 10)) == (255, 255, 255)  # top-right: white paper


async def test_async_variant_renders_off_the_event_loop() -> None:
    image = _png(await render_page_png_async(builders.make_pdf(), 0, 50))
    assert image.size == (round(595.276 * 50 / 72), round(841.89 * 50 / 72))


def test_the_page_image_has_the_pixels_of_the_png() -> None:
    data = _red_square_pdf()
    image = render_page_image(data, 1, 72)
    assert image.mode == "RGB"
    assert image.tobytes() == _png(render_page_png(data, 1, 72)).convert("RGB").tobytes()
    assert image.getpixel((10, 190)) == (255, 0, 0)
    assert image.getpixel((200, 10)) == (255, 255, 255)


def test_the_page_image_refuses_as_the_png_does() -> None:
    with pytest.raises(NotFound):
        render_page_image(_red_square_pdf(), 2, 72)
    with pytest.raises(BadRequest):
        render_page_image(_red_square_pdf(), 0, 401)


@pytest.mark.parametrize("page", [-1, 2, 99])
def test_page_out_of_range_is_not_found(page: int) -> None:
    with pytest.raises(NotFound, match="Page not found"):
        render_page_png(_red_square_pdf(), page, 72)


@pytest.mark.parametrize("dpi", [0, 9, 401, 10_000])
def test_resolution_out_of_bounds_is_a_bad_request(dpi: int) -> None:
    with pytest.raises(BadRequest, match="between 10 and 400 dpi"):
        render_page_png(_red_square_pdf(), 0, dpi)


def test_a_huge_page_is_refused_by_the_pixel_cap() -> None:
    data = builders.make_pdf([(14400, 14400)])
    with pytest.raises(BadRequest, match="lower resolution"):
        render_page_png(data, 0, 100)
    assert _png(render_page_png(data, 0, 10)).size == (2000, 2000)


def test_not_a_pdf_is_invalid() -> None:
    with pytest.raises(InvalidPdf):
        render_page_png(b"not a pdf", 0, 72)


def test_a_self_drawing_form_renders_without_hanging() -> None:
    assert _png(render_page_png(builders.resources_loop(), 0, 36)).size == (306, 396)


def test_cache_key_names_version_page_and_resolution() -> None:
    sha = "ab" * 32
    key = page_image_cache_key(sha, 3, 150)
    assert sha in key
    assert key != page_image_cache_key(sha, 3, 100)
    assert key != page_image_cache_key(sha, 4, 150)
    assert key != page_image_cache_key("cd" * 32, 3, 150)
    assert key == page_image_cache_key(sha, 3, 150)
