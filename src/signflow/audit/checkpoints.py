"""Checkpoints: keyed records of chain heads that a later rewrite cannot match.

A checkpoint lists (package, sequence, head) for packages whose head changed since the
enterprise's previous checkpoint, and carries an HMAC under the enterprise's
checkpoint key (derived from SECRET_KEY, never stored) over that list and the previous
checkpoint's MAC. They are taken by a worker job every
`history_checkpoint_interval_seconds`, and for one package whenever its evidence
report is sealed. `audit verify` then requires, for every checkpoint naming a
package, that the chain still holds that head at that sequence: a chain cut short
lacks it, a rewritten one has another link there. Each MAC is also written to the log,
a copy outside the database.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.history import head_seal, keys_for, verify_chain
from signflow.audit.keys import mac, same
from signflow.context import AppContext, settings_of
from signflow.db import transaction, utcnow
from signflow.models import (
    Enterprise,
    HistoryCheckpoint,
    HistoryCheckpointHead,
    HistoryEntry,
    Job,
    JobStatus,
    Package,
)
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Outcome, job_handler

CHECKPOINT_JOB = "history.checkpoint"
PERIODIC = "periodic"
EVIDENCE = "evidence"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Head:
    package_id: int
    sequence: int
    head: str


def checkpoint_mac(
    key: bytes,
    *,
    enterprise_id: int,
    sequence: int,
    reason: str,
    created_at: dt.datetime,
    previous_mac: str | None,
    heads: list[Head],
) -> str:
    content = {
        "enterprise_id": enterprise_id,
        "sequence": sequence,
        "reason": reason,
        "created_at": created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "previous_mac": previous_mac,
        "heads": [[h.package_id, h.sequence, h.head] for h in sorted(heads, key=_by_package)],
    }
    return mac(key, json.dumps(content, sort_keys=True, separators=(",", ":")).encode())


def _by_package(head: Head) -> int:
    return head.package_id


async def _lock_enterprise(session: AsyncSession, enterprise_id: int) -> None:
    """The enterprise row serialises checkpoints, so each follows exactly one other. FOR NO
    KEY UPDATE: rows that only reference the enterprise (new packages, jobs) still go on."""
    await session.scalar(
        select(Enterprise.id).where(Enterprise.id == enterprise_id).with_for_update(key_share=True)
    )


async def take_checkpoint(
    session: AsyncSession, enterprise_id: int, reason: str, heads: list[Head]
) -> HistoryCheckpoint:
    await _lock_enterprise(session, enterprise_id)
    last = await session.scalar(
        select(HistoryCheckpoint)
        .where(HistoryCheckpoint.enterprise_id == enterprise_id)
        .order_by(HistoryCheckpoint.sequence.desc())
        .limit(1)
    )
    checkpoint = HistoryCheckpoint(
        enterprise_id=enterprise_id,
        sequence=(last.sequence if last else 0) + 1,
        reason=reason,
        created_at=utcnow(),
        previous_mac=last.mac if last else None,
    )
    checkpoint.mac = checkpoint_mac(
        keys_for(session, enterprise_id).checkpoint,
        enterprise_id=enterprise_id,
        sequence=checkpoint.sequence,
        reason=reason,
        created_at=checkpoint.created_at,
        previous_mac=checkpoint.previous_mac,
        heads=heads,
    )
    session.add(checkpoint)
    await session.flush()
    session.add_all(
        HistoryCheckpointHead(
            checkpoint_id=checkpoint.id, package_id=h.package_id, sequence=h.sequence, head=h.head
        )
        for h in heads
    )
    await session.flush()
    logger.info(
        "history checkpoint",
        extra={
            "enterprise_id": enterprise_id,
            "checkpoint_sequence": checkpoint.sequence,
            "reason": reason,
            "packages": len(heads),
            "checkpoint_mac": checkpoint.mac,
        },
    )
    return checkpoint


async def current_heads(session: AsyncSession, enterprise_id: int) -> list[Head]:
    lengths = (
        select(HistoryEntry.package_id, func.max(HistoryEntry.sequence).label("length"))
        .group_by(HistoryEntry.package_id)
        .subquery()
    )
    rows = await session.execute(
        select(Package.id, lengths.c.length, Package.history_head)
        .join(lengths, lengths.c.package_id == Package.id)
        .where(Package.enterprise_id == enterprise_id, Package.history_head.is_not(None))
    )
    return [Head(package_id, length, head) for package_id, length, head in rows]


async def checkpointed_heads(session: AsyncSession, enterprise_id: int) -> dict[int, str]:
    """Each package's head as the enterprise's newest checkpoint naming it recorded it."""
    newest = (
        select(
            HistoryCheckpointHead.package_id,
            func.max(HistoryCheckpointHead.checkpoint_id).label("checkpoint_id"),
        )
        .join(HistoryCheckpoint, HistoryCheckpoint.id == HistoryCheckpointHead.checkpoint_id)
        .where(HistoryCheckpoint.enterprise_id == enterprise_id)
        .group_by(HistoryCheckpointHead.package_id)
        .subquery()
    )
    rows = await session.execute(
        select(HistoryCheckpointHead.package_id, HistoryCheckpointHead.head).join(
            newest,
            (newest.c.package_id == HistoryCheckpointHead.package_id)
            & (newest.c.checkpoint_id == HistoryCheckpointHead.checkpoint_id),
        )
    )
    return {package_id: head for package_id, head in rows}  # noqa: C416


async def checkpoint_enterprise(session: AsyncSession, enterprise_id: int) -> int:
    """Checkpoint the heads that changed since the last checkpoint, each once its chain
    checks out; how many there were.

    Packages whose chain predates keyed links get their head sealed here, so from now on
    they are held like every other."""
    await _lock_enterprise(session, enterprise_id)
    keys = keys_for(session, enterprise_id)
    seen = await checkpointed_heads(session, enterprise_id)
    kept = []
    for head in await current_heads(session, enterprise_id):
        if seen.get(head.package_id) == head.head:
            continue
        check = await verify_chain(session, head.package_id)
        if not check.ok:
            # Recording it would vouch for it; the earlier checkpoints still hold it.
            logger.warning(
                "history of package %s is broken (%s); its head is not checkpointed",
                head.package_id,
                check.reason,
            )
            continue
        package = await session.get_one(Package, head.package_id)
        if package.history_head_mac is None:
            package.history_head_mac = head_seal(keys, head.package_id, head.sequence, head.head)
        kept.append(head)
    if kept:
        await take_checkpoint(session, enterprise_id, PERIODIC, kept)
    return len(kept)


async def checkpoint_all(context: AppContext) -> int:
    async with transaction(context.sessions) as session:
        enterprise_ids = list(await session.scalars(select(Enterprise.id).order_by(Enterprise.id)))
    total = 0
    for enterprise_id in enterprise_ids:
        async with transaction(context.sessions) as session:
            total += await checkpoint_enterprise(session, enterprise_id)
    return total


@job_handler(CHECKPOINT_JOB)
async def periodic_checkpoint(context: AppContext, job: Job) -> Outcome:
    """Checkpoint every enterprise, then schedule the next run (one pending at a time)."""
    await checkpoint_all(context)
    async with transaction(context.sessions) as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.kind == CHECKPOINT_JOB,
                Job.status == JobStatus.PENDING.value,
                Job.id != job.id,
            )
        )
        if not pending:
            interval = dt.timedelta(
                seconds=settings_of(session).history_checkpoint_interval_seconds
            )
            enqueue(
                session, CHECKPOINT_JOB, {}, due_at=utcnow() + interval, ordering_key=CHECKPOINT_JOB
            )
    return Done()


@dataclass(frozen=True)
class CheckpointProblem:
    reason: str


async def _checkpoint_heads(session: AsyncSession, checkpoint_id: int) -> list[Head]:
    rows = await session.scalars(
        select(HistoryCheckpointHead).where(HistoryCheckpointHead.checkpoint_id == checkpoint_id)
    )
    return [Head(r.package_id, r.sequence, r.head) for r in rows]


async def verify_enterprise_checkpoints(session: AsyncSession, enterprise_id: int) -> str | None:
    """Check the enterprise's checkpoints form an unbroken keyed chain; the problem, if any."""
    key = keys_for(session, enterprise_id).checkpoint
    checkpoints = list(
        await session.scalars(
            select(HistoryCheckpoint)
            .where(HistoryCheckpoint.enterprise_id == enterprise_id)
            .order_by(HistoryCheckpoint.sequence)
        )
    )
    previous: str | None = None
    for expected, checkpoint in enumerate(checkpoints, start=1):
        if checkpoint.sequence != expected or checkpoint.previous_mac != previous:
            return f"checkpoint {expected} of the enterprise is missing"
        computed = checkpoint_mac(
            key,
            enterprise_id=enterprise_id,
            sequence=checkpoint.sequence,
            reason=checkpoint.reason,
            created_at=checkpoint.created_at,
            previous_mac=checkpoint.previous_mac,
            heads=await _checkpoint_heads(session, checkpoint.id),
        )
        if not same(computed, checkpoint.mac):
            return f"checkpoint {checkpoint.sequence} does not match its MAC"
        previous = checkpoint.mac
    return None


async def verify_against_checkpoints(
    session: AsyncSession, package_id: int, enterprise_id: int, links: dict[int, str]
) -> str | None:
    """Whether the chain (`links`: sequence -> entry_hash) holds every recorded head."""
    rows = await session.execute(
        select(
            HistoryCheckpoint.sequence, HistoryCheckpointHead.sequence, HistoryCheckpointHead.head
        )
        .join(HistoryCheckpoint, HistoryCheckpoint.id == HistoryCheckpointHead.checkpoint_id)
        .where(
            HistoryCheckpointHead.package_id == package_id,
            HistoryCheckpoint.enterprise_id == enterprise_id,
        )
        .order_by(HistoryCheckpoint.sequence)
    )
    for checkpoint_sequence, sequence, head in rows:
        link = links.get(sequence)
        if link is None:
            return (
                f"checkpoint {checkpoint_sequence} recorded entry {sequence}, "
                f"which the chain no longer has (entries removed)"
            )
        if link != head:
            return (
                f"entry {sequence} differs from the link checkpoint {checkpoint_sequence} "
                "recorded (history rewritten)"
            )
    return None
