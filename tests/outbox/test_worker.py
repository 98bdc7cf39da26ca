from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, JobStatus
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Failed, RetryAt, job_handler
from signflow.outbox.worker import Worker

ran: list[tuple[str, object]] = []


@job_handler("test.record")
async def record_job(_context: AppContext, job: Job) -> Done:
    ran.append(("record", job.payload["n"]))
    return Done()


@job_handler("test.flaky")
async def flaky_job(_context: AppContext, job: Job) -> Done | RetryAt:
    ran.append(("flaky", job.attempts))
    if job.attempts < 2:
        return RetryAt(utcnow() - dt.timedelta(seconds=1), "not yet")
    return Done()


@job_handler("test.raises")
async def raising_job(_context: AppContext, _job: Job) -> Done:
    raise RuntimeError("boom")


@job_handler("test.gives_up")
async def failing_job(_context: AppContext, _job: Job) -> Failed:
    return Failed("permanent")


@pytest.fixture(autouse=True)
def clear_ran() -> None:
    ran.clear()


async def jobs(context: AppContext) -> list[Job]:
    async with transaction(context.sessions) as session:
        return list(await session.scalars(select(Job).order_by(Job.id)))


async def test_a_committed_job_runs_once_and_wakes_the_worker(context: AppContext):
    assert not context.jobs_committed.is_set()
    async with transaction(context.sessions) as session:
        enqueue(session, "test.record", {"n": 1})
    assert context.jobs_committed.is_set()
    assert await Worker(context).run_until_idle() == 1
    assert await Worker(context).run_until_idle() == 0
    assert ran == [("record", 1)]
    [job] = await jobs(context)
    assert job.status == JobStatus.DONE
    assert job.finished_at is not None


async def test_a_rolled_back_transaction_enqueues_nothing(context: AppContext):
    with pytest.raises(RuntimeError):
        async with transaction(context.sessions) as session:
            enqueue(session, "test.record", {"n": 1})
            raise RuntimeError("request failed")
    assert await Worker(context).run_until_idle() == 0
    assert await jobs(context) == []


async def test_jobs_due_later_wait(context: AppContext):
    async with transaction(context.sessions) as session:
        enqueue(session, "test.record", {"n": 1}, due_at=utcnow() + dt.timedelta(hours=1))
    assert await Worker(context).run_until_idle() == 0


async def test_retries_until_done(context: AppContext):
    async with transaction(context.sessions) as session:
        enqueue(session, "test.flaky", {})
    await Worker(context).run_until_idle()
    assert ran == [("flaky", 1), ("flaky", 2)]
    [job] = await jobs(context)
    assert job.status == JobStatus.DONE
    assert job.attempts == 2


async def test_an_exception_is_recorded_and_retried_later(context: AppContext):
    async with transaction(context.sessions) as session:
        enqueue(session, "test.raises", {})
    await Worker(context).run_until_idle()
    [job] = await jobs(context)
    assert job.status == JobStatus.PENDING
    assert "boom" in (job.last_error or "")
    assert job.due_at > utcnow()


async def test_unknown_kinds_and_permanent_failures_end_failed(context: AppContext):
    async with transaction(context.sessions) as session:
        enqueue(session, "test.nobody", {})
        enqueue(session, "test.gives_up", {})
    await Worker(context).run_until_idle()
    first, second = await jobs(context)
    assert (first.status, second.status) == (JobStatus.FAILED, JobStatus.FAILED)
    assert "no handler" in (first.last_error or "")
    assert second.last_error == "permanent"


async def test_jobs_sharing_an_ordering_key_wait_for_earlier_ones(context: AppContext):
    async with transaction(context.sessions) as session:
        first = enqueue(session, "test.record", {"n": 1}, ordering_key="endpoint-1:package-1")
        enqueue(session, "test.record", {"n": 2}, ordering_key="endpoint-1:package-1")
        enqueue(session, "test.record", {"n": 3}, ordering_key="endpoint-2:package-1")
    async with transaction(context.sessions) as session:
        # The first is waiting for a retry: the second must not overtake it.
        await session.execute(
            update(Job).where(Job.id == first.id).values(due_at=utcnow() + dt.timedelta(hours=1))
        )
    await Worker(context).run_until_idle()
    assert ran == [("record", 3)]
    async with transaction(context.sessions) as session:
        await session.execute(update(Job).where(Job.id == first.id).values(due_at=utcnow()))
    await Worker(context).run_until_idle()
    assert ran == [("record", 3), ("record", 1), ("record", 2)]


async def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(context: AppContext):
    async with transaction(context.sessions) as session:
        enqueue(session, "test.record", {"n": 7})
    dead = Worker(context, worker_id="dead")
    [claimed] = await dead.claim()
    assert await Worker(context).run_until_idle() == 0  # leased to the dead worker
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Job).values(lease_expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    assert await Worker(context).run_until_idle() == 1
    # The dead worker's late report must not overwrite the new owner's outcome.
    await dead.record(claimed, Failed("late"))
    [job] = await jobs(context)
    assert job.status == JobStatus.DONE
    assert ran == [("record", 7)]


async def test_a_claim_of_uncertain_outcome_is_released_without_waiting_for_the_lease(
    context: AppContext,
):
    async with transaction(context.sessions) as session:
        enqueue(session, "test.record", {"n": 1})
        enqueue(session, "test.record", {"n": 2})
    worker = Worker(context)
    # The claim committed, but its connection broke before the answer: the worker runs
    # only what it knows it claimed (here the first job) and releases the rest.
    first, second = await worker.claim()
    assert await worker.release_unknown_claims({first.id}) == 1
    rows = {job.id: job for job in await jobs(context)}
    assert rows[first.id].status == JobStatus.RUNNING
    assert (rows[second.id].status, rows[second.id].lease_expires_at) == (JobStatus.PENDING, None)
    assert await Worker(context).run_until_idle() == 1
    assert ran == [("record", 2)]
