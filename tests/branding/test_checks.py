"""The accent's contrast with white and the logo's format and size are checked."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from signflow.branding import check_accent, check_logo, contrast_ratio
from signflow.branding.colors import darker
from signflow.errors import BadRequest


def image(kind: str, size: tuple[int, int] = (120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (122, 31, 92)).save(buffer, kind)
    return buffer.getvalue()


def test_contrast_is_the_wcag_ratio() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_an_accent_readable_with_white_is_kept_lower_cased() -> None:
    assert check_accent("#7A1F5C") == "#7a1f5c"
    assert check_accent("#767676") == "#767676"
    assert darker("#7a1f5c") == "#5c1745"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("#777777", "contrast of 4.48:1 with white"),
        ("#ffcc00", "choose a darker colour"),
        ("#ffffff", "at least 4.5:1"),
        ("red", "#rrggbb"),
        ("#12345", "#rrggbb"),
        ("#12345g", "#rrggbb"),
    ],
)
def test_a_colour_that_fails_is_refused_with_the_reason(value: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_accent(value)


def bomb(side: int = 100_000) -> bytes:
    """A small PNG whose header claims side x side pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 100)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_png_and_jpeg_logos_are_accepted() -> None:
    assert check_logo(image("PNG")) == "image/png"
    assert check_logo(image("JPEG")) == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', "SVG"),
        (image("GIF"), "PNG or JPEG"),
        (image("PNG")[:60], "not a readable"),
        (image("PNG", (2100, 10)), "2000x2000"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (300 * 1024), "larger than 256 KB"),
        (bomb(), "not a readable"),
    ],
)
def test_other_logos_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        check_logo(data)
