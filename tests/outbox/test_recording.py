from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, JobStatus
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Recorded, RetryAt, job_handler
from signflow.outbox.recording import record_outcome
from signflow.outbox.worker import Worker


@job_handler("test.records_itself")
async def records_itself(context: AppContext, job: Job) -> Recorded:
    async with transaction(context.sessions) as session:
        enqueue(session, "test.follow_up", {"from": job.id})
        return await record_outcome(session, job, Done())


@job_handler("test.follow_up")
async def follow_up(_context: AppContext, _job: Job) -> Done:
    return Done()


async def job_rows(context: AppContext) -> list[Job]:
    async with transaction(context.sessions) as session:
        return list(await session.scalars(select(Job).order_by(Job.id)))


async def test_a_handler_records_its_outcome_with_its_writes(context: AppContext) -> None:
    async with transaction(context.sessions) as session:
        enqueue(session, "test.records_itself", {})
    worker = Worker(context)
    [job] = await worker.claim()
    result = await worker.run_job(job)
    # The worker dies here, before it could record anything: the job is done all the same,
    # in the same commit as the follow-up it enqueued, so it can never run twice.
    assert result == Recorded(Done())
    first, second = await job_rows(context)
    assert (first.status, first.lease_expires_at, second.kind) == (
        JobStatus.DONE,
        None,
        "test.follow_up",
    )
    assert await Worker(context).run_until_idle() == 1  # only the follow-up is left


async def test_a_late_claim_cannot_record_over_the_new_owner(context: AppContext) -> None:
    async with transaction(context.sessions) as session:
        enqueue(session, "test.follow_up", {})
    dead = Worker(context, worker_id="dead")
    [stale] = await dead.claim()
    async with transaction(context.sessions) as session:
        await session.execute(update(Job).values(lease_expires_at=utcnow() - dt.timedelta(1)))
    assert await Worker(context).run_until_idle() == 1
    async with transaction(context.sessions) as session:
        await record_outcome(session, stale, RetryAt(utcnow(), "late"))
    [job] = await job_rows(context)
    assert job.status == JobStatus.DONE
