"""Packages in the states retention cares about, made through the API; time made to pass
by moving the packages' end and the blobs' last use back (as if that many days went by)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import httpx
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Document, DocumentVersion, Package
from signflow.storage import FilesystemBlobStore
from tests.factories import Tenant, bearer, create_package, upload_document

RETENTION_DAYS = 30


async def draft(
    client: httpx.AsyncClient, tenant: Tenant, pdf: bytes, name: str = "Draft"
) -> tuple[dict[str, str], int, int]:
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner, name)
    document_id = await upload_document(client, owner, package_id, pdf)
    return owner, package_id, document_id


async def completed(
    client: httpx.AsyncClient, tenant: Tenant, pdf: bytes, name: str = "Lease"
) -> tuple[dict[str, str], int, int]:
    """A package its one signer signed and finished: COMPLETED, with a signed version."""
    owner, package_id, document_id = await draft(client, tenant, pdf, name)
    signer = await bearer(client, tenant, tenant.user_email)
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
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "Ana", "signing_reason": "I agree"},
        headers=signer,
    )
    assert signed.status_code == 200, signed.text
    finished = await client.post(f"/v3/packages/{package_id}/finish", headers=signer)
    assert finished.status_code == 200, finished.text
    return owner, package_id, document_id


async def end_days_ago(context: AppContext, package_id: int, days: float) -> None:
    """The package ended `days` ago."""
    moment = utcnow() - dt.timedelta(days=days)
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Package)
            .where(Package.id == package_id)
            .values(completed_at=moment, modified_at=moment)
        )


async def version_blobs(context: AppContext, package_id: int) -> set[str]:
    async with transaction(context.sessions) as session:
        return set(
            await session.scalars(
                select(DocumentVersion.sha256)
                .join(Document, Document.id == DocumentVersion.document_id)
                .where(Document.package_id == package_id)
            )
        )


def blob_path(context: AppContext, sha256: str) -> Path:
    store = context.blobs
    assert isinstance(store, FilesystemBlobStore)
    return store.path_of(sha256)


def every_blob(context: AppContext) -> list[Path]:
    store = context.blobs
    assert isinstance(store, FilesystemBlobStore)
    return [p for p in store.root.rglob("*") if p.is_file() and len(p.name) == 64]


def last_stored_days_ago(context: AppContext, days: float) -> None:
    """Every blob was last stored `days` ago."""
    then = (utcnow() - dt.timedelta(days=days)).timestamp()
    for path in every_blob(context):
        os.utime(path, (then, then))
