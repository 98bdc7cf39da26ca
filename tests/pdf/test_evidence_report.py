from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pypdfium2 as pdfium

from signflow.pdf.evidence_report import (
    DocumentEvidence,
    EvidenceData,
    HistoryEvidence,
    PackageInfo,
    RecipientEvidence,
    render_evidence_report,
)
from signflow.signing.evidence import sign_evidence_report
from signflow.signing.verify import verify_pdf
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
