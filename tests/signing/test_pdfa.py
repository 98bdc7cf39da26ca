"""PDF/A inputs (exported by LibreOffice) keep every font embedded and their claim honest
through a prepared form and two signatures with stamps and filled fields.

LibreOffice is required in CI (CI=true); elsewhere these tests are skipped without it.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from signflow.signing.ca import KeyType
from signflow.signing.fields import EmptyField
from signflow.signing.form_spec import FormFieldSpec, FormKind, Widget
from signflow.signing.forms import prepare_form
from signflow.signing.signer import SignRequest
from tests.prerequisites import require_command
from tests.signing.checks import assert_everywhere_valid
from tests.signing.forms_pdfs import (
    assert_every_font_embedded,
    pdffonts,
    pdftotext,
    save_png,
)
from tests.signing.pdfs import hand_signature_png
from tests.signing.pki import Pki

pytestmark = pytest.mark.slow

SCREENSHOTS = Path("/work/wt/screenshots/pdf-forms")
TEXT = "Lease agreement\n\nTenant: Zoë Ångström, Łódź\n\nThe tenant agrees to every term.\n"
FIELDS = (
    FormFieldSpec("city", FormKind.TEXT, (Widget(0, (100, 500, 200, 22)),)),
    FormFieldSpec("agree", FormKind.CHECKBOX, (Widget(0, (100, 470, 16, 16)),)),
    FormFieldSpec(
        "plan",
        FormKind.RADIO,
        (Widget(0, (100, 440, 16, 16), "a"), Widget(0, (140, 440, 16, 16), "b")),
    ),
    FormFieldSpec(
        "country", FormKind.DROPDOWN, (Widget(0, (100, 400, 150, 22)),), options=("PL", "SE")
    ),
)
SIGNATURES = (
    EmptyField("sig1", 0, (72, 200, 200, 60)),
    EmptyField("sig2", 0, (320, 200, 200, 60)),
)


@pytest.fixture(scope="module")
def pdfa_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, bytes]:
    """PDF/A-1, -2 and -3 exports of a small text, made once per run."""
    program = shutil.which("soffice") or require_command("libreoffice", "libreoffice-writer-nogui")
    work = tmp_path_factory.mktemp("pdfa")
    source = work / "lease.txt"
    source.write_text(TEXT, encoding="utf-8")
    out = {}
    for part in (1, 2, 3):
        target = work / f"a{part}"
        options = '{"SelectPdfVersion":{"type":"long","value":"' + str(part) + '"}}'
        subprocess.run(
            [
                program,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                f"pdf:writer_pdf_Export:{options}",
                "--outdir",
                str(target),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        out[part] = (target / "lease.pdf").read_bytes()
    return out


def _claimed_part(pdf: bytes) -> int | None:
    """The PDF/A part in the XMP metadata of the final revision."""
    root = PdfFileReader(io.BytesIO(pdf)).root
    metadata = root["/Metadata"]
    assert isinstance(metadata, generic.StreamObject)
    found = re.search(rb"pdfaid:part(?:>|=[\"'])\s*(\d)", metadata.data)
    return int(found.group(1)) if found else None


def _has_soft_mask(pdf: bytes) -> bool:
    reader = PdfFileReader(io.BytesIO(pdf))
    for idnum in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(generic.Reference(idnum, 0, reader))
        except Exception:  # noqa: S112 - free object numbers
            continue
        if isinstance(obj, generic.DictionaryObject) and "/SMask" in obj:
            return True
    return False


@pytest.mark.parametrize("part", [1, 2, 3])
def test_a_pdfa_input_keeps_every_font_embedded_after_two_signatures(
    pki: Pki, pdfa_inputs: dict[int, bytes], part: int
) -> None:
    source = pdfa_inputs[part]
    assert _claimed_part(source) == part
    assert_every_font_embedded(source)

    pdf = prepare_form(source, FIELDS, SIGNATURES, {"country": "PL"})
    first = pki.signer("Zoë Ångström", "zoe@example.com", KeyType.EC_P256)
    second = pki.signer("Łukasz Żółć", "lukasz@example.com", KeyType.EC_P256)
    pdf = first.sign(
        pdf,
        SignRequest(
            field_name="sig1",
            rect=SIGNATURES[0].rect,
            hand_signature_png=hand_signature_png(),  # drawn with an alpha channel
            form_values={"city": "Łódź", "agree": "true"},
        ),
    )
    pdf = second.sign(
        pdf,
        SignRequest(
            field_name="sig2",
            rect=SIGNATURES[1].rect,
            kind="initials",
            form_values={"plan": "b"},
            lock_form_fields=True,
        ),
    )
    assert_everywhere_valid(pdf, pki.ca.cert, count=2)
    assert_every_font_embedded(pdf)
    added = [row for row in pdffonts(pdf) if row not in pdffonts(source)]
    assert added and all("NotoSans" in row[0] for row in added)
    assert _claimed_part(pdf) == part
    # PDF/A-1 allows no transparency: there the hand signature is laid on white.
    assert _has_soft_mask(pdf) is (part != 1)
    text = pdftotext(pdf)
    assert "Łódź" in text and "PL" in text and "Zoë Ångström" in text
    if part == 2:
        save_png(pdf, SCREENSHOTS / "pdfa2-signed-twice.png")
