"""Deleting packages for good: the owner's delete call and the operator's command, as the
retention policy allows; each deletion in the enterprise's record."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.enterprise_setup import SetupError
from signflow.models import (
    Document,
    HistoryEntry,
    Job,
    JobStatus,
    Package,
    PackageDeletion,
    Recipient,
)
from signflow.outbox.worker import Worker
from signflow.retention.operator import delete_for_good, deletions
from signflow.retention.release import RELEASE_JOB, release_blobs
from tests.factories import Tenant, bearer, create_package
from tests.pdf.builders import make_pdf
from tests.retention.helpers import (
    RETENTION_DAYS,
    blob_path,
    completed,
    draft,
    end_days_ago,
    last_stored_days_ago,
    version_blobs,
)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"retention_days": RETENTION_DAYS}


async def rows_of(context: AppContext, package_id: int) -> dict[str, int]:
    async with transaction(context.sessions) as session:
        counts = {}
        for name, model, column in (
            ("packages", Package, Package.id),
            ("documents", Document, Document.package_id),
            ("recipients", Recipient, Recipient.package_id),
            ("history", HistoryEntry, HistoryEntry.package_id),
        ):
            counts[name] = int(
                await session.scalar(
                    select(func.count()).select_from(model).where(column == package_id)
                )
                or 0
            )
        return counts


async def test_the_owner_deletes_a_draft_for_good_and_the_enterprise_keeps_a_record(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    pdf = make_pdf(texts=["Draft"])
    owner, package_id, _ = await draft(client, tenant, pdf)
    # The other enterprise uploaded the same bytes: the blob is theirs too.
    theirs, their_id, _ = await draft(client, other_tenant, pdf, "Theirs")
    _, lone_id, _ = await draft(client, tenant, make_pdf(texts=["Only here"]), "Lone")
    shared = await version_blobs(context, package_id)
    lone = await version_blobs(context, lone_id)
    async with transaction(context.sessions) as session:
        head = await session.scalar(select(Package.history_head).where(Package.id == package_id))

    outsider = await client.delete(f"/v3/packages/{package_id}", headers=theirs)
    assert outsider.status_code == 404
    deleted = await client.delete(f"/v3/packages/{package_id}", headers=owner)
    assert deleted.status_code == 200, deleted.text
    assert await rows_of(context, package_id) == dict.fromkeys(
        ("packages", "documents", "recipients", "history"), 0
    )
    again = await client.get(f"/v3/packages/{package_id}", headers=owner)
    assert again.status_code == 404
    assert (await client.delete(f"/v3/packages/{lone_id}", headers=owner)).status_code == 200

    [record] = [r for r in await deletions(context, tenant.name) if r.package_id == package_id]
    assert record.reason == "owner_request"
    assert record.deleted_by == tenant.admin_email
    assert record.status == "DRAFT"
    assert record.history_head == head and record.history_entries >= 2
    assert record.removed["documents"] == 1
    assert await deletions(context, other_tenant.name) == []

    # The shared blob is still used, so it stays; the other was stored minutes ago, so
    # its release waits until no request can still be storing it again.
    await Worker(context).run_until_idle()
    assert all(blob_path(context, sha).exists() for sha in shared | lone)
    async with transaction(context.sessions) as session:
        waiting = list(
            await session.scalars(
                select(Job).where(Job.kind == RELEASE_JOB, Job.status == JobStatus.PENDING.value)
            )
        )
    assert {sha for job in waiting for sha in job.payload["sha256"]} == lone
    # Later: the blob only the deleted package used goes; the shared one stays.
    last_stored_days_ago(context, 1)
    removed, recent = await release_blobs(context, sorted(shared | lone))
    assert (removed, recent) == (len(lone), [])
    assert not any(blob_path(context, sha).exists() for sha in lone)
    assert all(blob_path(context, sha).exists() for sha in shared)
    assert (await client.get(f"/v3/packages/{their_id}", headers=theirs)).status_code == 200


async def test_an_ended_package_is_hidden_within_retention_and_deleted_for_good_after(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner, kept_id, _ = await completed(client, tenant, make_pdf(texts=["Kept"]), "Kept")
    _, old_id, _ = await completed(client, tenant, make_pdf(texts=["Old"]), "Old")
    await end_days_ago(context, kept_id, RETENTION_DAYS - 1)
    await end_days_ago(context, old_id, RETENTION_DAYS + 1)

    hidden = await client.delete(f"/v3/packages/{kept_id}", headers=owner)
    assert hidden.status_code == 200, hidden.text
    assert (await rows_of(context, kept_id))["history"] > 0
    async with transaction(context.sessions) as session:
        assert (await session.get_one(Package, kept_id)).deleted_at is not None
    assert all(blob_path(context, sha).exists() for sha in await version_blobs(context, kept_id))

    gone = await client.delete(f"/v3/packages/{old_id}", headers=owner)
    assert gone.status_code == 200, gone.text
    assert (await rows_of(context, old_id))["packages"] == 0
    [record] = await deletions(context, tenant.name)
    assert (record.package_id, record.status) == (old_id, "COMPLETED")
    assert record.ended_at is not None


@pytest.mark.parametrize(
    "settings_overrides", [{"retention_days": RETENTION_DAYS, "legal_hold": True}]
)
async def test_a_legal_hold_refuses_deletion_for_good(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    refused = await client.delete(f"/v3/packages/{package_id}", headers=owner)
    assert refused.status_code == 409
    assert refused.json()["Error"] == "legal_hold"
    assert "legal hold" in refused.json()["Message"]
    assert (await rows_of(context, package_id))["packages"] == 1
    with pytest.raises(SetupError, match="legal hold"):
        await delete_for_good(context, tenant.name, package_id, "ops")
    assert await deletions(context, tenant.name) == []


async def test_the_operator_deletes_only_what_the_policy_allows(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    owner, package_id, _ = await completed(client, tenant, make_pdf(texts=["Signed"]))
    with pytest.raises(SetupError, match="kept until"):
        await delete_for_good(context, tenant.name, package_id, "ops")
    with pytest.raises(SetupError, match=f"has no package {package_id}"):
        await delete_for_good(context, other_tenant.name, package_id, "ops")
    with pytest.raises(SetupError, match="no enterprise named"):
        await delete_for_good(context, "Nobody", package_id, "ops")
    _, shared_id, _ = await draft(client, tenant, make_pdf(texts=["Out"]), "Out")
    await client.post(
        f"/v3/packages/{shared_id}/workflow/users",
        json=[{"user_email": tenant.user_email, "user_name": "Ana", "role": "SIGNER"}],
        headers=owner,
    )
    assert (await client.post(f"/v3/packages/{shared_id}/workflow", headers=owner)).is_success
    with pytest.raises(SetupError, match="in progress"):
        await delete_for_good(context, tenant.name, shared_id, "ops")

    # Hidden by its owner, past retention: the operator may delete it for good.
    assert (await client.delete(f"/v3/packages/{package_id}", headers=owner)).is_success
    await end_days_ago(context, package_id, RETENTION_DAYS + 1)
    record = await delete_for_good(context, tenant.name, package_id, "ops@acme.test")
    assert (record.reason, record.deleted_by) == ("operator", "ops@acme.test")
    assert (await rows_of(context, package_id))["packages"] == 0
    async with transaction(context.sessions) as session:
        assert await session.get(PackageDeletion, record.id) is not None


@pytest.mark.parametrize("settings_overrides", [{"retention_days": 0}])
async def test_without_retention_ended_packages_are_kept_for_ever(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    _, package_id, _ = await completed(client, tenant, make_pdf(texts=["Forever"]))
    await end_days_ago(context, package_id, 3650)
    with pytest.raises(SetupError, match="kept for ever"):
        await delete_for_good(context, tenant.name, package_id, "ops")
