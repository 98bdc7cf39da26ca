"""A package signed through the API end to end: the evidence report and the notifications."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading

import httpx
import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from signflow.audit import evidence
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Document, EnterpriseCa, EvidenceReport, HistoryEntry, Package
from signflow.outbox.worker import Worker
from signflow.pdf.evidence_data import EvidenceData
from signflow.pdf.evidence_report import render_evidence_report
from signflow.signing.verify import verify_pdf
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.pdf.builders import make_pdf
from tests.webhooks.receiver import Receiver


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webhook_allowed_networks": "127.0.0.0/8"}


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


async def shared_with_ana(
    client: httpx.AsyncClient,
    tenant: Tenant,
    owner: dict[str, str],
    package_id: int,
    document_id: int,
) -> dict[str, str]:
    """The draft shared with one signer (the tenant's user, "Ana Ruiz", field "Ana");
    answers her headers."""
    added = await client.post(
        f"/v3/packages/{package_id}/workflow/users",
        json=[{"user_email": tenant.user_email, "user_name": "Ana Ruiz", "role": "SIGNER"}],
        headers=owner,
    )
    assert added.status_code == 200, added.text
    field = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/digital_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "Ana",
            "dimensions": {"x": 72, "y": 120, "width": 200, "height": 60},
        },
        headers=owner,
    )
    assert field.status_code == 200, field.text
    shared = await client.post(f"/v3/packages/{package_id}/workflow", headers=owner)
    assert shared.status_code == 200, shared.text
    return await bearer(client, tenant, tenant.user_email)


async def sign_and_finish(
    client: httpx.AsyncClient,
    signer: dict[str, str],
    package_id: int,
    document_id: int,
    **signature: str,
) -> None:
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "Ana", **(signature or {"signing_reason": "I agree"})},
        headers=signer,
    )
    assert signed.status_code == 200, signed.text
    finished = await client.post(f"/v3/packages/{package_id}/finish", headers=signer)
    assert finished.status_code == 200, finished.text


async def signed_and_completed(
    client: httpx.AsyncClient, tenant: Tenant
) -> tuple[dict[str, str], int, int]:
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, make_pdf(texts=["Lease"]))
    signer = await shared_with_ana(client, tenant, owner, package_id, document_id)
    await sign_and_finish(client, signer, package_id, document_id)
    return owner, package_id, document_id


async def test_the_evidence_report_is_sealed_and_lists_everything(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    owner, package_id, document_id = await signed_and_completed(client, tenant)
    await Worker(context).run_until_idle()
    async with transaction(context.sessions) as session:
        stored = await session.get(EvidenceReport, package_id)
        assert stored is not None, "the report is made on completion"
        document = await session.get_one(Document, document_id)
        entries = list(
            await session.scalars(select(HistoryEntry).where(HistoryEntry.package_id == package_id))
        )
        ca = await session.get_one(EnterpriseCa, tenant.enterprise_id)

    response = await client.get(f"/v3/packages/{package_id}/report", headers=owner)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    report = response.content
    assert await context.blobs.get(stored.sha256) == report
    text = pdf_text(report).replace("\r", "").replace("\n", "")
    for entry in entries:
        assert entry.action in text
        assert entry.entry_hash[:16] in text
    assert document.original_sha256[:16] in text
    assert document.current_sha256[:16] in text
    assert "Ana Ruiz" in text
    [seal] = await asyncio.to_thread(verify_pdf, report, [ca.cert_der])
    assert seal.signature_status == "VALID"
    assert seal.certified is True
    again = await client.get(f"/v3/packages/{package_id}/report", headers=owner)
    assert again.content == report


async def test_no_report_before_completion(client: httpx.AsyncClient, tenant: Tenant):
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    response = await client.get(f"/v3/packages/{package_id}/report", headers=owner)
    assert response.status_code == 400
    assert response.json() == {
        "Message": "The evidence report is available once the package is completed"
    }


async def test_completion_notifies_with_finished_documents(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext, receiver: Receiver
):
    owner = await bearer(client, tenant, tenant.admin_email)
    created = await client.post("/v3/webhooks", json={"url": receiver.url()}, headers=owner)
    assert created.status_code == 201
    _, _, document_id = await signed_and_completed(client, tenant)
    await Worker(context).run_until_idle()
    statuses = [json.loads(r.body)["status"] for r in receiver.requests]
    assert statuses == ["CREATE", "NOTIFICATION", "SIGNED_PACKAGE"]
    completed = json.loads(receiver.requests[-1].body)
    [document] = completed["documents"]
    assert document["status"] == "FINISH"
    download = await client.get(document["url"].removeprefix("http://testserver"))
    async with transaction(context.sessions) as session:
        current = (await session.get_one(Document, document_id)).current_sha256
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == current


async def test_other_writes_go_on_while_the_report_is_rendered(
    client: httpx.AsyncClient,
    tenant: Tenant,
    context: AppContext,
    monkeypatch: pytest.MonkeyPatch,
):
    """On SQLite a write transaction holds the database's one write lock: the report is
    rendered between two short transactions, so nobody waits for the rendering."""
    _, package_id, _ = await signed_and_completed(client, tenant)
    rendering, may_finish = threading.Event(), threading.Event()

    def slow_render(data: EvidenceData) -> bytes:
        rendering.set()
        assert may_finish.wait(10)
        return render_evidence_report(data)

    monkeypatch.setattr(evidence, "render_evidence_report", slow_render)
    worker = asyncio.create_task(Worker(context).run_until_idle())
    try:
        assert await asyncio.to_thread(rendering.wait, 10)
        async with asyncio.timeout(3), transaction(context.sessions) as session:
            package = await session.get_one(Package, package_id)
            package.name = "Renamed while the report renders"
    finally:
        may_finish.set()
        await worker
    async with transaction(context.sessions) as session:
        assert await session.get(EvidenceReport, package_id) is not None
