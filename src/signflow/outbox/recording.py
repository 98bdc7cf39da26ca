"""Writing a job's outcome: by the worker after the handler, or by the handler itself.

A handler that records its outcome in its own last transaction (`record_outcome`)
makes its effects and "done" one commit: a worker dying in between cannot make the
job run again, and the worker saves a transaction per job.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.db import utcnow
from signflow.models import Job, JobStatus
from signflow.outbox.handlers import Done, Outcome, Recorded, RetryAt


def _values(outcome: Outcome) -> dict[str, object]:
    if isinstance(outcome, Done):
        return {"status": JobStatus.DONE.value, "finished_at": utcnow(), "last_error": None}
    if isinstance(outcome, RetryAt):
        return {
            "status": JobStatus.PENDING.value,
            "due_at": outcome.when,
            "last_error": outcome.error,
        }
    return {"status": JobStatus.FAILED.value, "finished_at": utcnow(), "last_error": outcome.error}


async def record_outcome(session: AsyncSession, job: Job, outcome: Outcome) -> Recorded:
    # Only the claim that is still this one may record: a lease that ran out was
    # taken over, and the new owner records instead.
    await session.execute(
        update(Job)
        .where(Job.id == job.id, Job.worker_id == job.worker_id, Job.attempts == job.attempts)
        .values(lease_expires_at=None, **_values(outcome))
    )
    return Recorded(outcome)
