"""Deleting a package for good: every row of it, its history included, and (by the
`retention.release` job after commit) the blobs nothing else uses.

The package's own history goes with it, so the deletion is written to the enterprise's
record (`package_deletions`), which outlives it: which package, in which state, its last
history hash and number of entries, who deleted it, why and when, and what was removed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.models import (
    Document,
    DocumentVersion,
    HistoryEntry,
    Package,
    PackageDeletion,
    SignatureRequest,
)
from signflow.retention.blobs import drop_unused_page_images, evidence_blob, package_blobs
from signflow.retention.policy import ended_at
from signflow.retention.release import schedule_release

OWNER_REQUEST = "owner_request"
OPERATOR = "operator"


async def erase_package(
    session: AsyncSession, package: Package, *, deleted_by: str, reason: str, now: dt.datetime
) -> PackageDeletion:
    """Delete the (locked) package and everything of it; return the record written."""
    document_ids = list(
        await session.scalars(select(Document.id).where(Document.package_id == package.id))
    )
    candidates = await package_blobs(session, document_ids)
    versions = set(
        await session.scalars(
            select(DocumentVersion.sha256).where(DocumentVersion.document_id.in_(document_ids))
        )
    )
    evidence = await evidence_blob(session, package.id)
    if evidence is not None:
        candidates.add(evidence)
    entries = await session.scalar(
        select(func.count()).select_from(HistoryEntry).where(HistoryEntry.package_id == package.id)
    )
    deletion = PackageDeletion(
        enterprise_id=package.enterprise_id,
        package_id=package.id,
        status=package.status,
        package_created_at=package.created_at,
        ended_at=ended_at(package),
        history_head=package.history_head,
        history_entries=int(entries or 0),
        reason=reason,
        deleted_by=deleted_by[:320],
        removed={"documents": len(document_ids), "versions": len(versions)},
        deleted_at=now,
    )
    session.add(deletion)
    # Rows that point at the package without cascading: an OKdokument request (its
    # callbacks cascade from it), and the copies an INDIVIDUAL workflow made, which
    # stay packages of their own.
    await session.execute(delete(SignatureRequest).where(SignatureRequest.package_id == package.id))
    await session.execute(
        update(Package).where(Package.parent_id == package.id).values(parent_id=None)
    )
    # Documents (versions, attachments, fields), recipients, history and the evidence
    # report cascade in the database.
    await session.execute(delete(Package).where(Package.id == package.id))
    session.expunge(package)
    images = await drop_unused_page_images(session, versions)
    deletion.removed = dict(deletion.removed) | {
        "page_images": len(images),
        "blobs_to_release": schedule_release(session, candidates | images),
    }
    await session.flush()
    return deletion
