"""The `retention.sweep` job: purges what retention says is due, then schedules itself.

While retention is on, one sweep is pending at any time: each worker makes sure of it
when it starts (`ensure_sweep`), and a sweep schedules the next unless one is pending
already. All sweeps share one ordering key, so two never run at once. With retention
off (or a legal hold on) nothing is scheduled: the settings are read at start, so the
next start after turning it on schedules the first sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.context import AppContext
from signflow.db import read_transaction, transaction, utcnow
from signflow.models import Job, JobStatus
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Outcome, job_handler
from signflow.retention.keys import destroy_expired_keys
from signflow.retention.policy import RetentionPolicy
from signflow.retention.purge import due_for_purge, purge_package

logger = logging.getLogger("signflow.retention")

SWEEP_JOB = "retention.sweep"
SWEEP_INTERVAL = dt.timedelta(hours=1)
# Packages purged per sweep; with more due, the next sweep follows at once.
SWEEP_BATCH = 100


@dataclass
class SweepReport:
    purged: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    keys_destroyed: int = 0
    more_due: bool = False


async def sweep(context: AppContext, now: dt.datetime | None = None) -> SweepReport:
    """Purge the packages past retention (one transaction each) and destroy expired keys."""
    now = now or utcnow()
    policy = RetentionPolicy.from_settings(context.settings)
    report = SweepReport()
    if not policy.purges:
        return report
    async with read_transaction(context.sessions) as session:
        due = await due_for_purge(session, policy, now, SWEEP_BATCH)
    for package_id in due:
        try:
            async with transaction(context.sessions) as session:
                purged = await purge_package(session, package_id, policy, now)
        except Exception:  # one package's fault must not stop the others' purge
            logger.exception("purging package %s failed; the next sweep tries again", package_id)
            report.failed.append(package_id)
            continue
        if purged is not None:
            report.purged.append(package_id)
            logger.info("purged package %s: %s", package_id, purged.removed)
    async with transaction(context.sessions) as session:
        report.keys_destroyed = await destroy_expired_keys(session, now)
    report.more_due = len(due) == SWEEP_BATCH and len(report.failed) < len(due)
    return report


async def sweep_pending(session: AsyncSession, *, other_than: int | None = None) -> bool:
    query = select(Job.id).where(Job.kind == SWEEP_JOB, Job.status == JobStatus.PENDING.value)
    if other_than is not None:
        query = query.where(Job.id != other_than)
    return await session.scalar(query.limit(1)) is not None


def schedule_sweep(session: AsyncSession, due_at: dt.datetime) -> None:
    enqueue(session, SWEEP_JOB, {}, due_at=due_at, ordering_key=SWEEP_JOB)


async def ensure_sweep(context: AppContext) -> None:
    """Make sure a sweep is scheduled while retention is on (called when a worker starts)."""
    if not RetentionPolicy.from_settings(context.settings).purges:
        return
    async with transaction(context.sessions) as session:
        if not await sweep_pending(session):
            schedule_sweep(session, utcnow())


@job_handler(SWEEP_JOB)
async def run_sweep(context: AppContext, job: Job) -> Outcome:
    report = await sweep(context)
    if not RetentionPolicy.from_settings(context.settings).purges:
        return Done()  # turned off since it was scheduled: the chain ends here
    async with transaction(context.sessions) as session:
        if not await sweep_pending(session, other_than=job.id):
            schedule_sweep(
                session, utcnow() + (dt.timedelta(0) if report.more_due else SWEEP_INTERVAL)
            )
    if report.purged or report.keys_destroyed or report.failed:
        logger.info(
            "retention sweep: %s packages purged, %s failed, %s expired keys destroyed",
            len(report.purged),
            len(report.failed),
            report.keys_destroyed,
        )
    return Done()
