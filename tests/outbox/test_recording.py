from __future__ import annotations

import asyncio
import datetime as dt
import re
from functools import partial
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, JobStatus
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Finish, Outcome, RetryAt, job_handler
from signflow.outbox.recording import record_outcomes
from signflow.outbox.worker import Worker


async def enqueue_follow_up(job: Job, session: AsyncSession) -> Outcome:
    enqueue(session, "test.follow_up", {"from": job.id})
    return Done()


@job_handler("test.finishes")
async def finishes(_context: AppContext, job: Job) -> Finish:
    return Finish(partial(enqueue_follow_up, job))


@job_handler("test.finish_fails")
async def finish_fails(_context: AppContext, job: Job) -> Finish:
    async def write(session: AsyncSession) -> Outcome:
        enqueue(session, "test.follow_up", {"from": job.id})
        raise RuntimeError("the write failed")

    return Finish(write)


@job_handler("test.follow_up")
async def follow_up(_context: AppContext, _job: Job) -> Done:
    return Done()


async def job_rows(context: AppContext) -> list[Job]:
    async with transaction(context.sessions) as session:
        return list(await session.scalars(select(Job).order_by(Job.id)))


async def test_a_handlers_writes_and_its_outcome_are_one_commit(context: AppContext) -> None:
    async with transaction(context.sessions) as session:
        enqueue(session, "test.finishes", {})
    worker = Worker(context)
    [job] = await worker.claim()
    result = await worker.run_job(job)
    assert isinstance(result, Finish)
    # The worker dies here, before recording: the handler's writes were not made either,
    # so the job runs again after its lease and nothing is half done.
    [row] = await job_rows(context)
    assert row.status == JobStatus.RUNNING
    await worker.record(job, result)
    first, second = await job_rows(context)
    assert (first.status, first.lease_expires_at, second.kind) == (
        JobStatus.DONE,
        None,
        "test.follow_up",
    )
    assert await Worker(context).run_until_idle() == 1  # only the follow-up is left


async def test_jobs_finishing_together_share_one_transaction_but_not_a_failure(
    context: AppContext,
) -> None:
    async with transaction(context.sessions) as session:
        for _ in range(3):
            enqueue(session, "test.finishes", {})
        enqueue(session, "test.finish_fails", {})
    ends = transaction_ends(context)
    assert await Worker(context).run_once() == 4
    rows = await job_rows(context)
    by_kind = {kind: [row for row in rows if row.kind == kind] for kind in {r.kind for r in rows}}
    assert [row.status for row in by_kind["test.finishes"]] == [JobStatus.DONE] * 3
    # The failing job's writes were rolled back and it waits for a retry; the others'
    # writes (their follow-ups) were kept.
    [failed] = by_kind["test.finish_fails"]
    assert failed.status == JobStatus.PENDING
    assert "the write failed" in (failed.last_error or "")
    assert failed.due_at > utcnow()
    follow_ups = by_kind["test.follow_up"]
    assert sorted(row.payload["from"] for row in follow_ups) == sorted(
        row.id for row in by_kind["test.finishes"]
    )
    # The shared round rolled back, then each job was recorded alone, the failing one's
    # retry without its writes.
    assert ends == [1, 1, 1, 1]


async def test_jobs_finishing_together_are_recorded_in_one_commit(context: AppContext) -> None:
    async with transaction(context.sessions) as session:
        for _ in range(3):
            enqueue(session, "test.finishes", {})
    ends = transaction_ends(context)
    assert await Worker(context).run_once() == 3
    assert ends == [3]
    assert [row.status for row in await job_rows(context)] == [JobStatus.DONE] * 3 + [
        JobStatus.PENDING
    ] * 3


def transaction_ends(context: AppContext) -> list[int]:
    """How many outcomes each committed transaction that recorded any recorded."""
    ends: list[int] = []
    recorded = [0]

    def on_execute(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool):
        # The recording statement sets `last_error`; the claim's update only returns it.
        if statement.startswith("UPDATE jobs") and re.search(r"last_error\s*=", statement):
            recorded[0] += len(params) if many else 1

    def on_commit(_conn: Any) -> None:
        if recorded[0]:
            ends.append(recorded[0])
        recorded[0] = 0

    def on_rollback(_conn: Any) -> None:
        recorded[0] = 0

    engine = context.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    return ends


async def test_a_late_claim_cannot_record_over_the_new_owner(context: AppContext) -> None:
    async with transaction(context.sessions) as session:
        enqueue(session, "test.follow_up", {})
    dead = Worker(context, worker_id="dead")
    [stale] = await dead.claim()
    async with transaction(context.sessions) as session:
        await session.execute(update(Job).values(lease_expires_at=utcnow() - dt.timedelta(1)))
    assert await Worker(context).run_until_idle() == 1
    async with transaction(context.sessions) as session:
        await record_outcomes(session, [(stale, RetryAt(utcnow(), "late"))])
    [job] = await job_rows(context)
    assert job.status == JobStatus.DONE


async def test_outcomes_without_writes_are_one_statement_and_no_transaction_on_postgresql(
    context: AppContext,
) -> None:
    async with transaction(context.sessions) as session:
        for _ in range(3):
            enqueue(session, "test.follow_up", {})
    worker = Worker(context)
    claimed = await worker.claim()
    executed: list[tuple[str, int]] = []
    commits: list[object] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool):
        executed.append((statement.split(" SET", 1)[0], len(params) if many else 1))

    def on_commit(conn: Any) -> None:
        commits.append(conn)

    engine = context.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        await asyncio.gather(*(worker.record(job, Done()) for job in claimed))
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    # The three outcomes in one statement; on PostgreSQL it commits by itself (no BEGIN
    # and COMMIT round trips), on SQLite its transaction is what takes the write lock.
    assert executed == [("UPDATE jobs", 3)]
    assert len(commits) == (0 if context.engine.dialect.name == "postgresql" else 1)
    assert [row.status for row in await job_rows(context)] == [JobStatus.DONE] * 3
