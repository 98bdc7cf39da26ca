"""Adding jobs to the outbox, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.db import utcnow
from signflow.models import Job

# Set on a session that enqueued work, so the process can wake its worker after commit.
ENQUEUED_FLAG = "signflow.outbox.enqueued"
# The PostgreSQL channel a commit that enqueued jobs notifies (see context.py).
JOBS_CHANNEL = "signflow_jobs"


def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, object],
    *,
    due_at: dt.datetime | None = None,
    ordering_key: str | None = None,
    enterprise_id: int | None = None,
) -> Job:
    """Add a job. It exists only if the caller's transaction commits: a rolled-back
    request leaves nothing behind to send."""
    job = Job(
        kind=kind,
        payload=payload,
        due_at=due_at or utcnow(),
        ordering_key=ordering_key,
        enterprise_id=enterprise_id,
    )
    session.add(job)
    session.info[ENQUEUED_FLAG] = True
    return job
