from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdfium2 as pdfium
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from signflow.pdf.evidence_data import (
    DocumentEvidence,
    EvidenceData,
    HistoryEvidence,
    PackageInfo,
    RecipientEvidence,
)
from signflow.pdf.evidence_report import render_evidence_report
from signflow.signing.evidence import sign_evidence_report
from signflow.signing.verify import verify_pdf
from tests.prerequisites import require_command
from tests.signing.checks import assert_everywhere_valid
from tests.signing.pki import make_pki

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _hex(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _evidence(entries: int) -> EvidenceData:
    history = [
        HistoryEvidence(
            id=i + 1,
            at=START + timedelta(minutes=i),
            action=f"ACTION_{i + 1}",
            user=f"user{i % 3}@example.com",
            ip_address=f"192.0.2.{i % 250}",
            details=f"Entry {i + 1}: document viewed and field filled",
            entry_hash=_hex(f"entry {i}"),
        )
        for i in range(entries)
    ]
    return EvidenceData(
        package=PackageInfo(
            id="42",
            name="Supply agreement",
            owner="owner@example.com",
            status="COMPLETED",
            created_at=START,
            completed_at=START + timedelta(days=1),
        ),
        documents=[
            DocumentEvidence("contract.pdf", _hex("before 1"), _hex("after 1")),
            DocumentEvidence("annex.pdf", _hex("before 2"), _hex("after 2")),
        ],
        recipients=[
            RecipientEvidence(
                order=1,
                name="Alice Example",
                email="alice@example.com",
                role="SIGNER",
                authentication="SMS OTP",
                action="SIGNED",
                acted_at=START + timedelta(hours=2),
                ip_address="198.51.100.7",
                user_agent="Mozilla/5.0 (X11; Linux x86_64)",
            )
        ],
        history=history,
        chain_head=history[-1].entry_hash,
        generated_at=START + timedelta(days=1, hours=1),
    )


def _text(pdf: bytes) -> tuple[str, int]:
    doc = pdfium.PdfDocument(pdf)
    try:
        parts = []
        for page in doc:
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(parts), len(doc)
    finally:
        doc.close()


def test_signed_report_holds_every_entry_and_hash() -> None:
    data = _evidence(entries=120)
    pki = make_pki()
    signed = sign_evidence_report(render_evidence_report(data), pki.seal())

    text, pages = _text(signed)
    flat = text.replace("\r", "").replace("\n", " ")
    assert pages > 2, "a long history must paginate"
    for entry in data.history:
        assert f"ACTION_{entry.id} " in flat
        assert entry.entry_hash in flat
    for document in data.documents:
        assert document.sha256_before in flat and document.sha256_after in flat
    assert "alice@example.com" in flat

    assert_everywhere_valid(signed, pki.ca.cert)
    (report,) = verify_pdf(signed, [pki.ca.cert])
    assert report.signature_status == "VALID" and report.certified
    assert report.signer_name == "Acme Test Ltd electronic seal"


LONG_NAME = "Maximiliana Theodora von Hohenzollern-Sigmaringen-Wittelsbach y Zoë Ångström"
LONG_EMAIL = "maximiliana.theodora.von.hohenzollern@a-very-long-subdomain.legal.example.com"


def _long_values(entries: int) -> EvidenceData:
    """Long names, addresses and details (with words wider than their column)."""
    data = _evidence(entries)
    history = [
        replace(
            entry,
            user=LONG_EMAIL if entry.id % 3 == 0 else entry.user,
            details=json.dumps(
                {
                    "order": entry.id % 2 + 1,
                    "signature_sha256": _hex(f"signature {entry.id}"),
                    "form_values": {f"field_{k}": f"Société Générale {k}" for k in range(6)}
                    if entry.id % 5 == 0
                    else {},
                },
                sort_keys=True,
            ),
        )
        for entry in data.history
    ]
    recipient = replace(data.recipients[0], name=LONG_NAME, email=LONG_EMAIL)
    return replace(data, history=history, recipients=[recipient])


def _pdftotext(pdf: bytes, *options: str) -> str:
    command = require_command("pdftotext", "poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            [command, *options, str(path), "-"], capture_output=True, text=True, check=True
        )
    return done.stdout


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _entries_in_order(text: str, history: list[HistoryEvidence]) -> None:
    """Every entry whole, its cells and its hash together, the entries in order."""
    position = 0
    for entry in history:
        cells = [
            str(entry.id),
            entry.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            entry.action,
            entry.user,
            entry.ip_address or "-",
            entry.details,
            f"entry hash {entry.entry_hash}",
        ]
        found = text.find(_squeezed("".join(cells)), position)
        assert found >= 0, f"entry {entry.id} is missing, cut or out of order"
        position = found + 1


HISTORY_HEADER = _squeezed("# Time Action User IP address Details")


def _words_inside_the_margins(pdf: bytes, footer: str = "Supply agreement - page N") -> None:
    """Every word of every page within the page's margins, but the page's footer (drawn
    last) below the bottom margin."""
    page_width, page_height = A4
    pages = re.findall(r"<page [^>]*>(.*?)</page>", _pdftotext(pdf, "-bbox"), re.DOTALL)
    assert pages
    for page in pages:
        boxes = re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">', page
        )
        body, foot = boxes[: -len(footer.split())], boxes[-len(footer.split()) :]
        for x_min, y_min, x_max, y_max in body:
            assert 15 * mm - 0.5 <= float(x_min) <= float(x_max) <= page_width - 15 * mm + 0.5
            assert 15 * mm - 0.5 <= float(y_min) <= float(y_max) <= page_height - 15 * mm + 0.5
        for _, y_min, _, _ in foot:
            assert float(y_min) > page_height - 15 * mm


def test_a_long_history_with_long_values_is_whole_and_in_order() -> None:
    data = _long_values(entries=90)
    pdf = render_evidence_report(data)

    _, pages = _text(pdf)
    assert pages > 3
    text = _squeezed(_pdftotext(pdf, "-raw"))
    _entries_in_order(text, list(data.history))
    _words_inside_the_margins(pdf)
    assert _squeezed(f"{LONG_NAME} / {LONG_EMAIL}") in text
    assert _squeezed(f"1. {LONG_NAME} <{LONG_EMAIL}>") in text
    assert _squeezed(f"Head of the history hash chain: {data.chain_head}") in text
    for page in range(1, pages + 1):
        assert f"Supply agreement - page {page}" in _pdftotext(pdf, "-raw")


def test_an_entry_taller_than_a_page_goes_on_over_the_next_pages() -> None:
    data = _evidence(entries=6)
    details = json.dumps({f"field_{k}": f"value {k} of a long form" for k in range(300)})
    history = list(data.history)
    history[2] = replace(history[2], details=details)
    data = replace(data, history=history)

    pdf = render_evidence_report(data)

    raw = _pdftotext(pdf, "-raw")
    assert _squeezed(raw).count(HISTORY_HEADER) > 3, "the header is repeated on each page"
    # Without the footer and header of the pages it runs over, the entry is whole.
    unpaged = _squeezed(re.sub(r"Supply agreement - page \d+\s*\f", "", raw))
    _entries_in_order(unpaged.replace(HISTORY_HEADER, ""), history)
    _words_inside_the_margins(pdf)


def test_an_empty_table_still_shows_its_header() -> None:
    data = replace(_evidence(entries=1), recipients=[], documents=[])

    text = _squeezed(_pdftotext(render_evidence_report(data), "-raw"))

    assert _squeezed("Recipients # Recipient Role Authentication Action") in text
    assert _squeezed("Documents Document SHA-256") in text
