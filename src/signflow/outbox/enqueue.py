"""Adding jobs to the outbox, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.db import utcnow
from signflow.models import Job, JobStatus
from signflow.outbox.handlers import Result

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


# Set by the worker on the session that records a round of outcomes.
CLAIMER = "signflow.outbox.claimer"
# The jobs `enqueue_started` created claimed, with how to run each.
STARTED_ON_COMMIT = "signflow.outbox.started"

Runner = Callable[[Job], Awaitable[Result]]


@dataclass(frozen=True)
class Claimer:
    worker_id: str
    lease_until: dt.datetime


def enqueue_started(
    session: AsyncSession,
    kind: str,
    payload: dict[str, object],
    run: Runner,
    *,
    ordering_key: str | None = None,
    enterprise_id: int | None = None,
) -> Job:
    """Add a job that the worker recording this session's round runs as soon as the
    round commits, by `run` (which may use what the round already knows), without
    waiting to claim it: it is written claimed by that worker, so if the worker dies it
    is run again when the lease runs out. Outside a worker's round it is a plain
    `enqueue`. The caller checks that no earlier job of `ordering_key` is waiting."""
    claimer: Claimer | None = session.info.get(CLAIMER)
    if claimer is None:
        return enqueue(
            session, kind, payload, ordering_key=ordering_key, enterprise_id=enterprise_id
        )
    job = Job(
        kind=kind,
        payload=payload,
        due_at=utcnow(),
        ordering_key=ordering_key,
        enterprise_id=enterprise_id,
        status=JobStatus.RUNNING.value,
        worker_id=claimer.worker_id,
        lease_expires_at=claimer.lease_until,
        attempts=1,
    )
    session.add(job)
    session.info.setdefault(STARTED_ON_COMMIT, []).append((job, run))
    return job
