"""Purging an ended package past retention: its documents go, its record and history stay.

Removed: every document version, attachment and filled-in field value, the cached page
images, the evidence report, and (by the `retention.release` job after commit) the
blobs nothing else uses. Kept: the package row, its recipients, its history (with a
PACKAGE_PURGED entry saying what was removed, when, under which policy), and each
document row as a record (name, page sizes, the SHA-256 of its last version, so that a
copy kept elsewhere can still be matched to it), marked `purged_at`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from signflow.audit.history import SYSTEM, record
from signflow.db import Base
from signflow.models import (
    Attachment,
    Document,
    DocumentVersion,
    EvidenceReport,
    Field,
    Package,
)
from signflow.retention.blobs import (
    drop_unused_page_images,
    evidence_blob,
    package_blobs,
)
from signflow.retention.policy import ENDED_STATUSES, RetentionPolicy, ended_at, ended_at_column
from signflow.retention.release import schedule_release

PURGED_ACTION = "PACKAGE_PURGED"


@dataclass(frozen=True)
class Purged:
    package_id: int
    removed: dict[str, int]


async def due_for_purge(
    session: AsyncSession, policy: RetentionPolicy, now: dt.datetime, limit: int
) -> list[int]:
    """Ids of ended packages (hidden ones included) past retention and not purged yet."""
    if not policy.purges:
        return []
    return list(
        await session.scalars(
            select(Package.id)
            .where(
                Package.status.in_(ENDED_STATUSES),
                Package.purged_at.is_(None),
                ended_at_column() < policy.cutoff(now),
            )
            .order_by(Package.id)
            .limit(limit)
        )
    )


async def purge_package(
    session: AsyncSession, package_id: int, policy: RetentionPolicy, now: dt.datetime
) -> Purged | None:
    """Purge one package if it is (still) due; None if it is not."""
    package = await session.scalar(
        select(Package).where(Package.id == package_id).with_for_update()
    )
    if (
        package is None
        or package.purged_at is not None
        or not policy.purges
        or not policy.past_retention(package, now)
    ):
        return None
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
    removed = {
        "documents": len(document_ids),
        "versions": await _delete(
            session, DocumentVersion, DocumentVersion.document_id, document_ids
        ),
        "attachments": await _delete(session, Attachment, Attachment.document_id, document_ids),
        "fields": await _delete(session, Field, Field.document_id, document_ids),
        "evidence_report": int(evidence is not None),
    }
    if evidence is not None:
        candidates.add(evidence)
        await session.execute(delete(EvidenceReport).where(EvidenceReport.package_id == package.id))
    await session.execute(
        update(Document).where(Document.id.in_(document_ids)).values(purged_at=now)
    )
    images = await drop_unused_page_images(session, versions)
    removed["page_images"] = len(images)
    candidates |= images
    removed["blobs_to_release"] = schedule_release(session, candidates)
    package.purged_at = now
    ended = ended_at(package)
    await record(
        session,
        package.id,
        PURGED_ACTION,
        SYSTEM,
        policy.describe()
        | {
            "ended_at": ended.astimezone(dt.UTC).isoformat() if ended else None,
            "purged_at": now.astimezone(dt.UTC).isoformat(),
            "removed": dict(removed),
        },
    )
    return Purged(package.id, removed)


async def _delete(
    session: AsyncSession, model: type[Base], column: InstrumentedAttribute[int], ids: list[int]
) -> int:
    """Delete the rows of `model` whose `column` is one of `ids`; return how many."""
    if not ids:
        return 0
    result = await session.execute(delete(model).where(column.in_(ids)))
    return int(getattr(result, "rowcount", 0) or 0)
