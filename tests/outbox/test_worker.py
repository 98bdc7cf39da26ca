from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, JobStatus
from signflow.outbox import worker as worker_module
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


class Claims:
    """Counts the claim statements a worker's engine runs."""

    def __init__(self, context: AppContext) -> None:
        self.count = 0
        event.listen(context.engine.sync_engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE jobs") and "RETURNING" in statement:
            self.count += 1


@asynccontextmanager
async def running_worker(
    context: AppContext, monkeypatch: pytest.MonkeyPatch, concurrency: int = 32
) -> AsyncIterator[Worker]:
    """`run_forever` without its idle poll: whatever runs was woken for."""
    monkeypatch.setattr(worker_module, "IDLE_POLL_SECONDS", 3600.0)
    stop = asyncio.Event()
    worker = Worker(context)
    loop = asyncio.create_task(worker.run_forever(stop, concurrency=concurrency))
    try:
        yield worker
    finally:
        stop.set()
        await asyncio.wait_for(loop, timeout=30)


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(30):
        while not condition():
            await asyncio.sleep(0.01)


async def settled(worker: Worker) -> None:
    """Until the worker runs no job, and a moment for its loop to react to that."""
    await until(lambda: not worker._running)
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_job_ending_does_not_make_the_worker_claim_again(
    context: AppContext, monkeypatch: pytest.MonkeyPatch
):
    # Without the SQLite watch, which may also see the commit (as another process's would
    # be seen) a moment before the commit's own wake: one wake here, one claim.
    async def no_watch(_database: object, _wake: object, stop: asyncio.Event, _busy: object):
        await stop.wait()

    monkeypatch.setattr(worker_module, "watch_commits", no_watch)
    claims = Claims(context)
    async with running_worker(context, monkeypatch) as worker:
        # Its first claim, at start, found nothing.
        await until(lambda: claims.count == 1 and not worker._claiming)
        await settled(worker)
        claims.count = 0
        async with transaction(context.sessions) as session:
            for n in range(3):
                enqueue(session, "test.record", {"n": n})
        await until(lambda: len(ran) == 3)
        await settled(worker)
    # One claim for the commit that woke it; the three jobs' ends ask for nothing.
    assert claims.count == 1


async def test_the_next_job_of_an_ordering_key_runs_without_the_idle_poll(
    context: AppContext, monkeypatch: pytest.MonkeyPatch
):
    async with running_worker(context, monkeypatch):
        async with transaction(context.sessions) as session:
            for n in range(3):
                enqueue(session, "test.record", {"n": n}, ordering_key="endpoint:package")
        # Each is let through by the outcome of the one before: no commit wakes the worker.
        await until(lambda: len(ran) == 3)
    assert ran == [("record", 0), ("record", 1), ("record", 2)]


async def test_a_retry_due_at_once_runs_without_the_idle_poll(
    context: AppContext, monkeypatch: pytest.MonkeyPatch
):
    async with running_worker(context, monkeypatch):
        async with transaction(context.sessions) as session:
            enqueue(session, "test.flaky", {})
        await until(lambda: len(ran) == 2)
    assert ran == [("flaky", 1), ("flaky", 2)]


async def test_a_full_claim_is_followed_by_another_when_a_slot_frees(
    context: AppContext, monkeypatch: pytest.MonkeyPatch
):
    async with transaction(context.sessions) as session:
        for n in range(7):
            enqueue(session, "test.record", {"n": n})
    # Two slots: each claim is full, so the worker claims again as jobs end, with no
    # commit and no poll to wake it.
    async with running_worker(context, monkeypatch, concurrency=2):
        await until(lambda: len(ran) == 7)
    assert sorted(int(str(n)) for _, n in ran) == list(range(7))
    assert {job.status for job in await jobs(context)} == {JobStatus.DONE}


holding: list[asyncio.Event] = []


@job_handler("test.holds_slot")
async def holds_slot(_context: AppContext, _job: Job) -> Done:
    await holding[-1].wait()
    return Done()


async def test_a_wake_while_every_slot_is_busy_is_kept_for_when_one_frees(
    context: AppContext, monkeypatch: pytest.MonkeyPatch
):
    release = asyncio.Event()
    holding.append(release)
    async with running_worker(context, monkeypatch, concurrency=1) as worker:
        async with transaction(context.sessions) as session:
            enqueue(session, "test.holds_slot", {})
        await until(lambda: len(worker._running) == 1)
        async with transaction(context.sessions) as session:
            enqueue(session, "test.record", {"n": 1})  # wakes a worker with no free slot
        await settled_loop()
        assert ran == []
        release.set()
        await until(lambda: ran == [("record", 1)])


async def settled_loop() -> None:
    for _ in range(20):
        await asyncio.sleep(0)
