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
from tests.audit.test_evidence import shared_with_ana, sign_and_finish
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
    signer = await shared_with_ana(client, tenant, owner, package_id, document_id)
    await sign_and_finish(client, signer, package_id, document_id)
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
