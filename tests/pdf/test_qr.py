"""A QR code drawn on a page reads back, with a barcode reader, as the data it carries."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import zxingcpp
from PIL import Image

from signflow.pdf.qr import QrPlacement, draw_qr
from signflow.pdf.render import render_page_png
from tests.prerequisites import require_command
from tests.workflow.helpers import make_pdf


def read_codes(pdf: bytes, page_index: int) -> list[str]:
    page = Image.open(io.BytesIO(render_page_png(pdf, page_index, 150)))
    return [result.text for result in zxingcpp.read_barcodes(page)]


def test_the_code_reads_back_as_its_data_on_its_page_only(tmp_path: Path):
    original = make_pdf(2, ["Lease"])
    data = "https://sign.example.test/document/7f3a?lang=nl"

    drawn = draw_qr(original, data, QrPlacement(1, 400, 600, 120, 160))

    assert drawn.startswith(original)  # an incremental update: earlier bytes untouched
    assert read_codes(drawn, 1) == [data]
    assert read_codes(drawn, 0) == []
    # Still a well-formed PDF to poppler.
    pdfinfo = require_command("pdfinfo", "poppler-utils")
    path = tmp_path / "drawn.pdf"
    path.write_bytes(drawn)
    info = subprocess.run([pdfinfo, str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+2$", info.stdout, re.MULTILINE)


def test_two_codes_on_one_page_both_read_back():
    pdf = make_pdf(1)
    pdf = draw_qr(pdf, "first", QrPlacement(0, 50, 50, 150, 150))
    pdf = draw_qr(pdf, "second", QrPlacement(0, 350, 500, 150, 150))
    assert sorted(read_codes(pdf, 0)) == ["first", "second"]
