"""The retention sweep, run by the worker: ended packages past retention lose their
documents and keep their record and history; nothing else is touched."""

from __future__ import annotations

import base64
import datetime as dt

import httpx
import pytest
from sqlalchemy import func, select, update

from signflow.audit.history import verify_chain
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import (
    CredentialKind,
    Document,
    DocumentVersion,
    EvidenceReport,
    Field,
    HistoryEntry,
    Job,
    JobStatus,
    Package,
    RenderedPage,
    SignatureRequest,
    SigningCredential,
    WorkflowStatus,
)
from signflow.outbox.worker import Worker
from signflow.packages.links import document_link
from signflow.retention.sweep import SWEEP_JOB, ensure_sweep, sweep, sweep_pending
from signflow.signing.enterprise_keys import credential_for
from tests.factories import Tenant
from tests.pdf.builders import make_pdf
from tests.retention.helpers import (
    RETENTION_DAYS,
    blob_path,
    completed,
    end_days_ago,
    last_stored_days_ago,
    version_blobs,
)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"retention_days": RETENTION_DAYS}


async def run_sweep(context: AppContext) -> None:
    await ensure_sweep(context)
    await Worker(context).run_until_idle()


async def test_a_package_past_retention_loses_its_documents_and_keeps_its_history(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    lease = make_pdf(texts=["Lease"])
    owner, old_id, old_document = await completed(client, tenant, lease, "Old lease")
    _, recent_id, recent_document = await completed(client, tenant, make_pdf(texts=["Recent"]))
    # Another enterprise holds the same original bytes: one shared blob.
    theirs, their_id, their_document = await completed(client, other_tenant, lease, "Theirs")
    image = await client.get(
        f"/v3/packages/{old_id}/documents/{old_document}/images/1/72", headers=owner
    )
    assert image.status_code == 200, image.text
    await Worker(context).run_until_idle()  # evidence reports and notifications
    their_file = await client.get(f"/v3/packages/{their_id}", headers=theirs)
    assert their_file.status_code == 200

    old_blobs = await version_blobs(context, old_id)
    async with transaction(context.sessions) as session:
        image_blob = await session.scalar(
            select(RenderedPage.image_sha256).where(
                RenderedPage.document_sha256.in_(old_blobs), RenderedPage.page_no == 1
            )
        )
        report_blob = await session.scalar(
            select(EvidenceReport.sha256).where(EvidenceReport.package_id == old_id)
        )
        head_before = await session.scalar(select(Package.history_head).where(Package.id == old_id))
        link = document_link(context.settings, await session.get_one(Document, old_document))
    assert (await client.get(link)).status_code == 200  # as a notification's link
    assert image_blob is not None and report_blob is not None
    shared_original = old_blobs & await version_blobs(context, their_id)
    assert len(shared_original) == 1
    only_old = old_blobs - shared_original | {image_blob, report_blob}
    assert all(blob_path(context, sha).exists() for sha in only_old)

    await end_days_ago(context, old_id, RETENTION_DAYS + 1)
    await end_days_ago(context, recent_id, RETENTION_DAYS - 1)
    last_stored_days_ago(context, RETENTION_DAYS + 1)
    await run_sweep(context)

    # The files only the old package used are gone from disk; the shared one stays.
    assert not any(blob_path(context, sha).exists() for sha in only_old)
    assert all(blob_path(context, sha).exists() for sha in shared_original)
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, old_id)
        assert package.purged_at is not None
        document = await session.get_one(Document, old_document)
        assert document.purged_at is not None  # kept as a record, its bytes gone
        for model, column in (
            (DocumentVersion, DocumentVersion.document_id),
            (Field, Field.document_id),
        ):
            count = await session.scalar(
                select(func.count()).select_from(model).where(column == old_document)
            )
            assert count == 0, model
        assert await session.get(EvidenceReport, old_id) is None
        assert (
            await session.scalar(
                select(func.count())
                .select_from(RenderedPage)
                .where(RenderedPage.image_sha256 == image_blob)
            )
            == 0
        )
        last = await session.scalar(
            select(HistoryEntry)
            .where(HistoryEntry.package_id == old_id)
            .order_by(HistoryEntry.sequence.desc())
            .limit(1)
        )
        assert last is not None and last.action == "PACKAGE_PURGED"
        assert last.previous_hash == head_before
        assert last.details["retention_days"] == RETENTION_DAYS
        removed = last.details["removed"]
        assert isinstance(removed, dict)
        assert removed["documents"] == 1 and removed["versions"] == 2
        assert removed["page_images"] == 1 and removed["evidence_report"] == 1
        assert (await verify_chain(session, old_id)).ok
        # Within retention, and the other enterprise's package: untouched.
        for kept_id, kept_document in ((recent_id, recent_document), (their_id, their_document)):
            kept = await session.get_one(Package, kept_id)
            assert kept.purged_at is None
            assert (
                await session.scalar(
                    select(func.count())
                    .select_from(DocumentVersion)
                    .where(DocumentVersion.document_id == kept_document)
                )
                == 2
            )
            assert (await verify_chain(session, kept_id)).ok
        # The sweep scheduled the next one, an hour on.
        next_sweep = await session.scalar(
            select(Job).where(Job.kind == SWEEP_JOB, Job.status == JobStatus.PENDING.value)
        )
        assert next_sweep is not None
        assert next_sweep.due_at > utcnow() + dt.timedelta(minutes=50)

    their_again = await client.get(f"/v3/packages/{their_id}", headers=theirs)
    assert their_again.status_code == 200
    assert their_again.content == their_file.content
    recent_file = await client.get(f"/v3/packages/{recent_id}", headers=owner)
    assert recent_file.status_code == 200

    # Every download of the purged package: 410 in the SigningHub shape, never a 500.
    base = f"/v3/packages/{old_id}"
    for path in (
        base,
        f"{base}/base64",
        f"{base}/documents/{old_document}",
        f"{base}/documents/{old_document}/base64",
        f"{base}/documents/{old_document}/images/1/72",
        f"{base}/documents/{old_document}/images/1/96/base64",
        f"{base}/verification",
        f"{base}/documents/{old_document}/verification",
        f"{base}/report",
    ):
        answer = await client.get(path, headers=owner)
        assert answer.status_code == 410, (path, answer.text)
        body = answer.json()
        assert body["Error"] == "content_purged", path
        assert "removed" in body["Message"] and "retention policy" in body["Message"]
    by_link = await client.get(link)
    assert by_link.status_code == 410 and by_link.json()["Error"] == "content_purged"
    # The record and the history are still there to read.
    log = await client.get(f"{base}/log", headers=owner)
    assert log.status_code == 200
    assert log.json()["actions"][-1]["action_type"] == "PACKAGE_PURGED"


async def test_expired_certificates_lose_their_keys_and_live_ones_keep_them(
    context: AppContext, tenant: Tenant
):
    async with transaction(context.sessions) as session:
        expired = await credential_for(
            session, context.settings, tenant.enterprise_id, CredentialKind.SIGNER, email="a@x.test"
        )
        live = await credential_for(
            session, context.settings, tenant.enterprise_id, CredentialKind.SIGNER, email="b@x.test"
        )
        expired_id, live_id = expired.id, live.id
        await session.execute(
            update(SigningCredential)
            .where(SigningCredential.id == expired_id)
            .values(not_after=utcnow() - dt.timedelta(days=1))
        )
    await run_sweep(context)
    async with transaction(context.sessions) as session:
        gone = await session.get_one(SigningCredential, expired_id)
        kept = await session.get_one(SigningCredential, live_id)
        assert gone.encrypted_key == b"" and gone.key_destroyed_at is not None
        assert gone.cert_der  # the certificate stays, to verify old signatures
        assert kept.encrypted_key != b"" and kept.key_destroyed_at is None


async def test_a_purged_okdokument_document_answers_410_in_its_shape(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    body = {
        "filedata": {"content": base64.b64encode(make_pdf()).decode(), "state": "tosign"},
        "filename": "contract.pdf",
    }
    key = {"x-api-key": tenant.api_key}
    created = await client.post("/JSON/signatureRequest", json=body, headers=key)
    assert created.status_code == 200, created.text
    document_id = created.json()["documentId"]
    async with transaction(context.sessions) as session:
        request = await session.scalar(
            select(SignatureRequest).where(SignatureRequest.document_id == document_id)
        )
        assert request is not None
        package_id = request.package_id
        # The request ran out unsigned long ago.
        await session.execute(
            update(Package)
            .where(Package.id == package_id)
            .values(status=WorkflowStatus.EXPIRED.value)
        )
    await end_days_ago(context, package_id, RETENTION_DAYS + 5)
    await run_sweep(context)

    answer = await client.get(f"/JSON/document/{document_id}", headers=key)
    assert answer.status_code == 410, answer.text
    assert answer.json()["value"] == str(document_id)
    assert "retention policy" in answer.json()["message"]
    metadata = await client.get(f"/JSON/document/metadata/{document_id}", headers=key)
    assert metadata.status_code == 200, metadata.text
    assert metadata.json()["id"] == document_id


@pytest.mark.parametrize(
    "settings_overrides",
    [{"retention_days": 0}, {"retention_days": RETENTION_DAYS, "legal_hold": True}],
)
async def test_nothing_is_purged_with_retention_off_or_under_legal_hold(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner, package_id, _ = await completed(client, tenant, make_pdf(texts=["Kept"]))
    await Worker(context).run_until_idle()
    await end_days_ago(context, package_id, 10 * RETENTION_DAYS)
    last_stored_days_ago(context, 10 * RETENTION_DAYS)
    blobs = await version_blobs(context, package_id)
    await run_sweep(context)
    report = await sweep(context)
    assert report.purged == [] and report.keys_destroyed == 0
    async with transaction(context.sessions) as session:
        assert (await session.get_one(Package, package_id)).purged_at is None
        assert not await sweep_pending(session)  # nothing scheduled while it is off
    assert all(blob_path(context, sha).exists() for sha in blobs)
    assert (await client.get(f"/v3/packages/{package_id}", headers=owner)).status_code == 200
