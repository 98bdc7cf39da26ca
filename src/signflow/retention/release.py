"""The `retention.release` job: removing blobs a purge or a deletion left unreferenced.

Enqueued in the transaction that removed the rows, so it runs only once they are gone
for good, and runs even if the process stops right after that commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.context import AppContext
from signflow.db import read_transaction, transaction, utcnow
from signflow.models import Job
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Failed, Outcome, job_handler
from signflow.retention.blobs import BLOB_REUSE_GRACE, chunks, referenced
from signflow.storage.base import check_sha256

logger = logging.getLogger("signflow.retention")

RELEASE_JOB = "retention.release"


def schedule_release(
    session: AsyncSession, shas: Iterable[str], *, after_grace: bool = False
) -> int:
    """Enqueue the check-and-remove of these blobs; returns how many were handed over."""
    count = 0
    for part in chunks(shas):
        enqueue(
            session,
            RELEASE_JOB,
            {"sha256": part},
            due_at=utcnow() + BLOB_REUSE_GRACE if after_grace else None,
        )
        count += len(part)
    return count


async def release_blobs(context: AppContext, shas: list[str]) -> tuple[int, list[str]]:
    """Remove those of `shas` nothing references and nobody stored again lately.
    Returns (how many were removed, those stored again lately: to check later)."""
    started = utcnow()
    async with read_transaction(context.sessions) as session:
        unused = set(shas) - await referenced(session, shas)
    removed, recent = 0, []
    for sha256 in sorted(unused):
        if await context.blobs.delete_if_untouched_since(sha256, started - BLOB_REUSE_GRACE):
            removed += 1
        elif await context.blobs.exists(sha256):
            recent.append(sha256)
    return removed, recent


@job_handler(RELEASE_JOB)
async def run_release(context: AppContext, job: Job) -> Outcome:
    given = job.payload.get("sha256")
    if not isinstance(given, list) or not all(isinstance(sha, str) for sha in given):
        return Failed("payload has no sha256 list")
    shas = [check_sha256(sha) for sha in given]
    removed, recent = await release_blobs(context, shas)
    if recent:
        # Stored again by a request that may not have committed its row yet: look again
        # once that request is surely over.
        async with transaction(context.sessions) as session:
            schedule_release(session, recent, after_grace=True)
    logger.info("released %s of %s blobs (%s stored again lately)", removed, len(shas), len(recent))
    return Done()
