from __future__ import annotations

import io
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from signflow.errors import BadRequest
from signflow.pdf import convert
from signflow.pdf.convert import convert_to_pdf, find_libreoffice
from signflow.pdf.text_search import find_text
from tests.pdf import builders
from tests.prerequisites import missing

RTF = rb"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard Signflow converts this. \par}"


def _image(
    fmt: str, size: tuple[int, int] = (300, 200), mode: str = "RGB", **save: object
) -> bytes:
    out = io.BytesIO()
    colors: dict[str, int | tuple[int, ...]] = {"RGBA": (0, 0, 255, 128), "P": 3, "L": 40}
    Image.new(mode, size, colors.get(mode, (0, 0, 255))).save(out, fmt, **save)
    return out.getvalue()


def _pages(pdf: bytes) -> list[tuple[float, float]]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [document.get_page_size(i) for i in range(len(document))]
    finally:
        document.close()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"])
async def test_images_become_a_one_page_pdf_without_libreoffice(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    pdf = await convert_to_pdf(_image(fmt), "scan.bin")
    assert pdf.startswith(b"%PDF-")
    ((width, height),) = _pages(pdf)
    assert width > height  # a wide image gets a landscape page


async def test_image_keeps_its_physical_size_when_it_fits_the_page() -> None:
    pdf = await convert_to_pdf(_image("PNG", (300, 600), dpi=(150, 150)), "a.png")
    # 300x600 px at 150 dpi is 144x288 pt, centred on an A4 portrait page.
    assert _pages(pdf) == [pytest.approx((595.2756, 841.8898), abs=0.01)]


async def test_a_big_photo_is_scaled_down_to_fit_a4() -> None:
    pdf = await convert_to_pdf(_image("JPEG", (4000, 3000)), "photo.jpg")
    assert _pages(pdf) == [pytest.approx((841.8898, 595.2756), abs=0.01)]


async def test_transparent_and_palette_images_convert() -> None:
    assert await convert_to_pdf(_image("PNG", mode="RGBA"), "a.png")
    assert await convert_to_pdf(_image("PNG", mode="P"), "a.png")


async def test_multi_page_tiff_gives_one_page_per_frame() -> None:
    frames = [Image.new("L", (100, 150), shade) for shade in (0, 128, 255)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    assert len(_pages(await convert_to_pdf(out.getvalue(), "fax.tiff"))) == 3


async def test_a_pdf_is_returned_unchanged() -> None:
    data = builders.make_pdf()
    assert await convert_to_pdf(data, "whatever.docx") is data


async def test_plain_text_is_typeset_without_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    text = "Contract\n\nThe parties agree, über alles, to sign here.\n" + "line\n" * 120
    pdf = await convert_to_pdf(text.encode(), "contract.txt")
    assert len(_pages(pdf)) == 3  # 123 lines at about 58 lines a page
    assert [hit.page_index for hit in find_text(pdf, "sign here")] == [0]
    assert find_text(pdf, "über alles")


async def test_binary_text_file_is_refused() -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        await convert_to_pdf("hi".encode("utf-16"), "notes.txt")


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.doc", "Converting .doc files"),
        (b"PK\x03\x04" + bytes(100), "letter.docx", "Converting .docx files"),
        (RTF, "letter.rtf", "Converting .rtf files"),
    ],
)
async def test_office_documents_without_libreoffice_get_a_clear_400(
    data: bytes, name: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(BadRequest) as refused:
        await convert_to_pdf(data, name)
    assert words in refused.value.message
    assert "apt-get install libreoffice-writer" in refused.value.message
    assert refused.value.status_code == 400


async def test_office_document_converts_with_libreoffice() -> None:
    if find_libreoffice() is None:
        missing("LibreOffice (soffice)", "apt-get install libreoffice-writer-nogui")
    pdf = await convert_to_pdf(RTF, "letter.rtf")
    assert find_text(pdf, "Signflow converts this")


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"\x7fELF\x02\x01\x01" + bytes(50), "tool"), (b"PK\x03\x04" + bytes(10), "bundle.zip")],
)
async def test_unknown_types_are_a_clear_400(data: bytes, name: str) -> None:
    with pytest.raises(BadRequest, match="cannot be converted to PDF"):
        await convert_to_pdf(data, name)


async def test_empty_file_is_a_400() -> None:
    with pytest.raises(BadRequest, match="empty"):
        await convert_to_pdf(b"", "a.png")


async def test_an_image_over_the_pixel_cap_is_refused() -> None:
    with pytest.raises(BadRequest, match="pixels"):
        await convert_to_pdf(_image("PNG", (10_000, 10_000), mode="L"), "huge.png")


async def test_a_corrupt_image_is_a_400() -> None:
    with pytest.raises(BadRequest, match="image"):
        await convert_to_pdf(_image("PNG")[:60], "broken.png")


def _fake_soffice(directory: Path, body: str) -> None:
    """A stand-in for LibreOffice, to test the subprocess handling without installing it."""
    script = directory / "soffice"
    script.write_text(
        "#!/bin/sh\n"
        'while [ $# -gt 0 ]; do case "$1" in --outdir) out="$2"; shift;; esac; shift; done\n' + body
    )
    script.chmod(0o755)


async def test_office_conversion_returns_what_libreoffice_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    converted = builders.make_pdf(texts=["converted by the fake"])
    (tmp_path / "result.pdf").write_bytes(converted)
    _fake_soffice(tmp_path, f'mkdir -p "$out" && cp {tmp_path}/result.pdf "$out/document.pdf"\n')
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert await convert_to_pdf(b"PK\x03\x04" + bytes(50), "letter.docx") == converted


async def test_office_conversion_failure_is_a_400_with_libreoffice_s_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_soffice(tmp_path, 'echo "Error: source file could not be loaded" >&2; exit 1\n')
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    with pytest.raises(BadRequest, match="source file could not be loaded"):
        await convert_to_pdf(RTF, "letter.rtf")


async def test_a_hung_conversion_is_stopped_and_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_soffice(tmp_path, "exec sleep 30\n")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setattr(convert, "LIBREOFFICE_TIMEOUT_S", 0.5)
    started = time.monotonic()
    with pytest.raises(BadRequest, match="did not convert the document within"):
        await convert_to_pdf(RTF, "letter.odt")
    assert time.monotonic() - started < 5
