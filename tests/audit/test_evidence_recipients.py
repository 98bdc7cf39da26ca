"""The evidence report shows, per recipient, when they were sent, viewed and signed, the
consent text (or that none is recorded), their signature image and certificate serial."""

from __future__ import annotations

import base64
import io
import subprocess
from pathlib import Path

import httpx
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import CredentialKind, EvidenceReport, Recipient, SigningCredential
from signflow.outbox.worker import Worker
from signflow.pdf.evidence_report import NO_CONSENT
from tests.audit.test_evidence import pdf_text, shared_with_ana, sign_and_finish
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.pdf.builders import make_pdf
from tests.prerequisites import require_command

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "audit"


def hand_signature() -> str:
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 80), (90, 20), (160, 85), (290, 15)], fill="navy", width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def image_objects(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return sum(
            1
            for page in document
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4)
        )
    finally:
        document.close()


async def test_each_recipient_has_times_consent_image_and_certificate(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, make_pdf(texts=["Lease"]))
    signer = await shared_with_ana(client, tenant, owner, package_id, document_id)
    opened = await client.get(f"/v3/packages/{package_id}/open", headers=signer)
    assert opened.status_code == 200, opened.text
    await sign_and_finish(
        client, signer, package_id, document_id, hand_signature_image=hand_signature()
    )
    await Worker(context).run_until_idle()

    async with transaction(context.sessions) as session:
        stored = await session.get_one(EvidenceReport, package_id)
        recipient = await session.scalar(
            select(Recipient).where(Recipient.package_id == package_id)
        )
        credential = await session.scalar(
            select(SigningCredential).where(
                SigningCredential.enterprise_id == tenant.enterprise_id,
                SigningCredential.kind == CredentialKind.SIGNER.value,
                SigningCredential.email == tenant.user_email,
            )
        )
    assert recipient is not None and credential is not None
    report = await context.blobs.get(stored.sha256)
    text = pdf_text(report).replace("\r", "").replace("\n", " ")
    assert "Sent" in text and "Viewed" in text and "Signed" in text
    for moment in (recipient.turn_started_at, recipient.read_at, recipient.processed_on):
        assert moment is not None
        assert moment.strftime("%Y-%m-%d %H:%M:%S") in text
    assert "not viewed" not in text
    assert NO_CONSENT in text
    assert f"certificate serial {int(credential.serial_number, 16):X}" in text
    assert image_objects(report) >= 1, "the signature image is drawn in the report"

    pdftoppm = require_command("pdftoppm", "poppler-utils")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTIFACTS / "evidence-report.pdf"
    pdf_path.write_bytes(report)
    subprocess.run(
        [pdftoppm, "-r", "70", "-png", str(pdf_path), str(ARTIFACTS / "page")],
        check=True,
    )
    assert list(ARTIFACTS.glob("page*.png"))
