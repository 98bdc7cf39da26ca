"""Writing jobs' outcomes: one statement for every job finishing in a round.

The statement is SQLAlchemy Core, built once; it runs in the round's session when jobs
made writes of their own (`Finish`), and otherwise on a connection by itself (on
PostgreSQL in autocommit: one round trip for the whole round)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from signflow.db import utcnow
from signflow.models import Job, JobStatus
from signflow.outbox.handlers import Done, Outcome, RetryAt

_table = cast(Table, Job.__table__)
_jobs = _table.c
# Only the claim that is still this one may record: a lease that ran out was taken
# over, and the new owner records instead; a job recorded already stays as it is.
_RECORD = (
    update(_table)
    .where(
        _jobs.id == bindparam("job_id"),
        _jobs.worker_id == bindparam("claimed_by"),
        _jobs.attempts == bindparam("claim_attempts"),
        _jobs.status == JobStatus.RUNNING.value,
    )
    .values(
        status=bindparam("new_status"),
        due_at=bindparam("new_due_at"),
        finished_at=bindparam("new_finished_at"),
        last_error=bindparam("new_last_error"),
        lease_expires_at=None,
    )
)


def _row(job: Job, outcome: Outcome, now: dt.datetime) -> dict[str, object]:
    claim = {"job_id": job.id, "claimed_by": job.worker_id, "claim_attempts": job.attempts}
    if isinstance(outcome, Done):
        return claim | {
            "new_status": JobStatus.DONE.value,
            "new_due_at": job.due_at,
            "new_finished_at": now,
            "new_last_error": None,
        }
    if isinstance(outcome, RetryAt):
        return claim | {
            "new_status": JobStatus.PENDING.value,
            "new_due_at": outcome.when,
            "new_finished_at": None,
            "new_last_error": outcome.error,
        }
    return claim | {
        "new_status": JobStatus.FAILED.value,
        "new_due_at": job.due_at,
        "new_finished_at": now,
        "new_last_error": outcome.error,
    }


async def still_claimed(session: AsyncSession, job: Job) -> bool:
    """Whether `job` is still running under this claim, locking its row until commit."""
    found = await session.scalar(
        select(_jobs.id)
        .where(
            _jobs.id == job.id,
            _jobs.worker_id == job.worker_id,
            _jobs.attempts == job.attempts,
            _jobs.status == JobStatus.RUNNING.value,
        )
        .with_for_update()
    )
    return found is not None


async def record_outcomes(
    executor: AsyncSession | AsyncConnection, finished: Sequence[tuple[Job, Outcome]]
) -> None:
    if not finished:
        return
    now = utcnow()
    await executor.execute(_RECORD, [_row(job, outcome, now) for job, outcome in finished])
