"""Which blobs a package uses, which of them other rows still use, and removing the rest.

Blobs are content-addressed (storage/base.py): two packages holding the same bytes share
one blob, and a page image is cached once per document version whatever package shows
it. So a blob is removed only when no row references it any more, checked after the
rows of the purged or deleted package are gone (a `retention.release` job, run after
that commit), and only when nobody stored it again in the last BLOB_REUSE_GRACE: a
request that uploads the same bytes touches the blob (BlobStore) before it commits the
row that will reference it, and a request takes far less than that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.models import (
    Attachment,
    Document,
    DocumentVersion,
    EvidenceReport,
    RenderedPage,
    TemplateDocument,
)

# Longer than any request: a blob stored again within this is left for a later check.
BLOB_REUSE_GRACE = dt.timedelta(hours=1)
# Blob ids per IN (...) list: well under every database's parameter limit.
CHUNK = 500


def chunks(values: Iterable[str]) -> list[list[str]]:
    ordered = sorted(set(values))
    return [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]


async def package_blobs(session: AsyncSession, document_ids: Collection[int]) -> set[str]:
    """Every blob the documents reference: each version, the current and original bytes,
    the attachments."""
    if not document_ids:
        return set()
    ids = list(document_ids)
    found: set[str] = set()
    for column, where in (
        (DocumentVersion.sha256, DocumentVersion.document_id.in_(ids)),
        (Document.current_sha256, Document.id.in_(ids)),
        (Document.original_sha256, Document.id.in_(ids)),
        (Attachment.sha256, Attachment.document_id.in_(ids)),
    ):
        found.update(await session.scalars(select(column).where(where)))
    return found


async def evidence_blob(session: AsyncSession, package_id: int) -> str | None:
    report = await session.get(EvidenceReport, package_id)
    return report.sha256 if report is not None else None


async def referenced(session: AsyncSession, shas: Iterable[str]) -> set[str]:
    """Those of `shas` that a row still references. A purged document's digest is a record,
    not a reference: its bytes are gone."""
    found: set[str] = set()
    live_document = Document.purged_at.is_(None)
    for part in chunks(shas):
        for query in (
            select(DocumentVersion.sha256).where(DocumentVersion.sha256.in_(part)),
            select(Document.current_sha256).where(Document.current_sha256.in_(part), live_document),
            select(Document.original_sha256).where(
                Document.original_sha256.in_(part), live_document
            ),
            select(Attachment.sha256).where(Attachment.sha256.in_(part)),
            select(RenderedPage.image_sha256).where(RenderedPage.image_sha256.in_(part)),
            select(EvidenceReport.sha256).where(EvidenceReport.sha256.in_(part)),
            select(TemplateDocument.sha256).where(TemplateDocument.sha256.in_(part)),
        ):
            found.update(await session.scalars(query))
    return found


async def drop_unused_page_images(session: AsyncSession, document_shas: Iterable[str]) -> set[str]:
    """Remove the cached page images of document versions no row references any more;
    return the image blobs they pointed at (release candidates)."""
    shas = set(document_shas)
    unused = shas - await referenced(session, shas)
    images: set[str] = set()
    for part in chunks(unused):
        images.update(
            await session.scalars(
                delete(RenderedPage)
                .where(RenderedPage.document_sha256.in_(part))
                .returning(RenderedPage.image_sha256)
            )
        )
    return images
