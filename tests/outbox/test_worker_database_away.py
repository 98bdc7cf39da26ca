"""The database away when a job ends (a PostgreSQL restart): the worker keeps trying to
record the outcome while its claim lasts, instead of leaving the job to its lease
(tests/hardening/test_postgres_restart.py shows it through a real restart)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, JobStatus
from signflow.outbox import worker as worker_module
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, job_handler
from signflow.outbox.worker import Worker


@job_handler("test.away")
async def quick_job(_context: AppContext, _job: Job) -> Done:
    return Done()


async def claimed_job(context: AppContext, worker: Worker) -> Job:
    async with transaction(context.sessions) as session:
        enqueue(session, "test.away", {})
    [job] = await worker.claim()
    return job


async def job_row(context: AppContext, job_id: int) -> Job:
    async with transaction(context.sessions) as session:
        return await session.get_one(Job, job_id)


def database_away_for(worker: Worker, failures: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker's next `failures` records fail as on a refused connection."""
    calls: list[int] = []
    real = worker.record

    async def record(job: Job, outcome: object) -> None:
        calls.append(job.id)
        if len(calls) <= failures:
            raise ConnectionRefusedError(111, "Connection refused")
        await real(job, outcome)  # type: ignore[arg-type]

    monkeypatch.setattr(worker, "record", record)
    monkeypatch.setattr(worker_module, "RECORD_RETRY_SECONDS", 0.01)
    return calls


async def test_an_outcome_is_recorded_once_the_database_is_back(
    context: AppContext, monkeypatch: pytest.MonkeyPatch
):
    worker = Worker(context)
    job = await claimed_job(context, worker)
    calls = database_away_for(worker, 3, monkeypatch)
    await worker._run_and_record(job)
    assert calls == [job.id] * 4
    row = await job_row(context, job.id)
    assert (row.status, row.lease_expires_at) == (JobStatus.DONE.value, None)


async def test_recording_stops_trying_when_the_lease_runs_out(
    context: AppContext, monkeypatch: pytest.MonkeyPatch
):
    worker = Worker(context)
    job = await claimed_job(context, worker)
    # A claim about to run out: another worker may take the job over, so stop trying.
    job.lease_expires_at = utcnow() + dt.timedelta(milliseconds=5)
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Job).where(Job.id == job.id).values(lease_expires_at=job.lease_expires_at)
        )
    calls = database_away_for(worker, 100, monkeypatch)
    await worker._run_and_record(job)
    assert calls == [job.id]
    async with transaction(context.sessions) as session:
        status = await session.scalar(select(Job.status).where(Job.id == job.id))
    assert status == JobStatus.RUNNING.value  # claimed again once the lease has run out
