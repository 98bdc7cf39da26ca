"""The worker: claims due jobs with a lease, runs them, records the outcome.

On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so any number of workers
share the table; on SQLite the claim runs in a `BEGIN IMMEDIATE` transaction,
which serialises claimers. A job whose worker died is claimed again when its
lease runs out, so every job runs at least once. Jobs that share an
`ordering_key` run one at a time in id order.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import traceback
from collections.abc import Sequence

import asyncpg
from sqlalchemy import (
    BindParameter,
    Integer,
    Update,
    and_,
    bindparam,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

import signflow.outbox.kinds  # noqa: F401  (registers every job handler)
from signflow.context import AppContext
from signflow.db import sqlite_file, statements, transaction, utcnow
from signflow.models import Job, JobStatus
from signflow.outbox.coalesce import Coalescer
from signflow.outbox.deferred import run_deferred
from signflow.outbox.enqueue import JOBS_CHANNEL
from signflow.outbox.handlers import (
    MAX_ATTEMPTS,
    Failed,
    Finish,
    Outcome,
    Result,
    RetryAt,
    handler_for,
)
from signflow.outbox.recording import record_outcomes, still_claimed
from signflow.outbox.sqlite_watch import watch_commits

logger = logging.getLogger("signflow.worker")

BATCH = 20
CONCURRENCY = 32
IDLE_POLL_SECONDS = 0.5
# Recording an outcome that failed (the database away) is retried this soon, doubling.
RECORD_RETRY_SECONDS = 0.5
RECORD_RETRY_MAX_SECONDS = 5.0


def _claim_statement() -> Update:
    """One statement, built once: lease the next due jobs, at most one per ordering key
    (a job waits while an earlier one of its key is pending or running)."""
    now: BindParameter[dt.datetime] = bindparam("now")
    earlier = aliased(Job)
    blocked_by_earlier = exists().where(
        earlier.ordering_key == Job.ordering_key,
        earlier.id < Job.id,
        earlier.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]),
    )
    due = or_(
        and_(Job.status == JobStatus.PENDING.value, Job.due_at <= now),
        and_(Job.status == JobStatus.RUNNING.value, Job.lease_expires_at < now),
    )
    candidates = (
        select(Job.id)
        .where(due, or_(Job.ordering_key.is_(None), ~blocked_by_earlier))
        .order_by(Job.due_at, Job.id)
        .limit(bindparam("claim_limit", type_=Integer))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(Job)
        .where(Job.id.in_(candidates))
        .values(
            status=JobStatus.RUNNING.value,
            lease_expires_at=bindparam("lease_until"),
            worker_id=bindparam("claimer"),
            attempts=Job.attempts + 1,
        )
        .returning(Job)
    )


_CLAIM = _claim_statement()


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{id(object()):x}"


class Worker:
    def __init__(self, context: AppContext, worker_id: str | None = None) -> None:
        self.context = context
        self.worker_id = worker_id or new_worker_id()
        self.wake = context.jobs_committed
        self.lease = dt.timedelta(seconds=context.settings.job_lease_seconds)
        self._recorder: Coalescer[tuple[Job, Result], None] = Coalescer(self._record_round)
        # The jobs this worker runs now, with their ids.
        self._running: dict[asyncio.Task[None], int] = {}

    def _start(self, job: Job) -> None:
        task = asyncio.create_task(self._run_and_record(job))
        self._running[task] = job.id
        task.add_done_callback(lambda done: self._running.pop(done, None))

    async def claim(self, limit: int = BATCH) -> list[Job]:
        now = utcnow()
        async with statements(self.context.sessions) as session:
            claimed = await session.scalars(
                _CLAIM,
                {
                    "now": now,
                    "claim_limit": limit,
                    "lease_until": now + self.lease,
                    "claimer": self.worker_id,
                },
            )
            return sorted(claimed, key=lambda job: job.id)

    async def run_job(self, job: Job) -> Result:
        handler = handler_for(job.kind)
        if handler is None:
            return Failed(f"no handler for job kind {job.kind!r}")
        try:
            return await handler(self.context, job)
        except Exception as exc:  # a job's failure must not stop the worker
            logger.exception("job %s (%s) raised", job.id, job.kind)
            return outcome_of_error(job, exc)

    async def record(self, job: Job, result: Result) -> None:
        """Record a job's outcome (running its `Finish` writes first), in one transaction
        with the other jobs finishing at the same time."""
        await self._recorder.submit((job, result))

    async def _record_round(
        self, finished: Sequence[tuple[Job, Result]]
    ) -> list[BaseException | None]:
        try:
            async with transaction(self.context.sessions) as session:
                await self._write_outcomes(session, finished)
            return [None] * len(finished)
        except Exception:  # not swallowed: each job is recorded alone below, with its own error
            logger.warning(
                "recording a round of %s jobs failed; recording each alone",
                len(finished),
                exc_info=True,
            )
        # One job's writes failed the shared transaction, or its commit's answer was lost:
        # each job alone, so that the others are recorded, only the failing one is retried,
        # and none recorded already is written twice.
        answers: list[BaseException | None] = []
        for job, result in finished:
            try:
                await self._record_alone(job, result)
                answers.append(None)
            except Exception as exc:
                answers.append(exc)
        return answers

    async def _record_alone(self, job: Job, result: Result) -> None:
        try:
            async with transaction(self.context.sessions) as session:
                # After a commit whose answer was lost, the job may be recorded already:
                # its writes must not be made twice.
                if not await still_claimed(session, job):
                    return
                await self._write_outcomes(session, [(job, result)])
        except Exception as exc:
            if not isinstance(result, Finish):
                raise
            # Its writes failed: the job is retried on its schedule, like a handler that raised.
            logger.exception("the writes of job %s (%s) failed", job.id, job.kind)
            async with transaction(self.context.sessions) as session:
                await record_outcomes(session, [(job, outcome_of_error(job, exc))])

    async def _write_outcomes(
        self, session: AsyncSession, finished: Sequence[tuple[Job, Result]]
    ) -> None:
        outcomes = [
            (job, await result.write(session) if isinstance(result, Finish) else result)
            for job, result in finished
        ]
        await run_deferred(session)
        await record_outcomes(session, outcomes)

    async def run_once(self) -> int:
        jobs = await self.claim()
        if not jobs:
            return 0
        results = await asyncio.gather(*(self.run_job(job) for job in jobs))
        finished = zip(jobs, results, strict=True)
        await asyncio.gather(*(self.record(job, result) for job, result in finished))
        return len(jobs)

    async def run_until_idle(self, max_rounds: int = 100) -> int:
        """Run every job due now (tests, and `signflow worker --once`)."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_once()
            total += ran
            if not ran:
                break
        return total

    async def _run_and_record(self, job: Job) -> None:
        outcome = await self.run_job(job)
        # The database may be away when the handler ends (a restart, a failover): keep
        # trying while the claim is ours, so that the job is recorded, or retried on its
        # schedule, once the database is back, not only when its lease has run out.
        delay = RECORD_RETRY_SECONDS
        while True:
            try:
                await self.record(job, outcome)
                return
            except Exception as exc:
                expires = job.lease_expires_at
                remaining = (expires - utcnow()).total_seconds() if expires else 0.0
                if remaining <= delay:  # the lease will run out and the job will run again
                    logger.exception("could not record the outcome of job %s", job.id)
                    return
                logger.warning(
                    "could not record the outcome of job %s (%s); retrying",
                    job.id,
                    type(exc).__name__,
                )
            await asyncio.sleep(delay)
            delay = min(2 * delay, RECORD_RETRY_MAX_SECONDS)

    async def release_unknown_claims(self, running_ids: set[int]) -> int:
        """After a claim whose commit may or may not have happened (the connection broke
        during it), the jobs leased to this worker that it is not running go back to
        pending at once, instead of waiting out their lease."""
        async with transaction(self.context.sessions) as session:
            released = await session.scalars(
                update(Job)
                .where(
                    Job.worker_id == self.worker_id,
                    Job.status == JobStatus.RUNNING.value,
                    Job.id.not_in(running_ids),
                )
                .values(status=JobStatus.PENDING.value, lease_expires_at=None)
                .returning(Job.id)
            )
            count = len(list(released))
        if count:
            logger.warning("released %s jobs of a claim whose commit was uncertain", count)
        return count

    async def listen(self, stop: asyncio.Event) -> None:
        """On PostgreSQL, wake on every commit that enqueued jobs, in any process.

        Polling stays as the fallback: a lost listener connection is reopened.
        """
        url = self.context.settings.effective_database_url
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        while not stop.is_set():
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(dsn, timeout=5)
                await connection.add_listener(JOBS_CHANNEL, lambda *_: self.wake.set())
                while not stop.is_set() and not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=1)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                logger.warning("job listener lost its connection (%s); reconnecting", exc)
                await asyncio.sleep(1)
            finally:
                if connection is not None and not connection.is_closed():
                    await connection.close()

    async def run_forever(self, stop: asyncio.Event, concurrency: int = CONCURRENCY) -> None:
        """Keep up to `concurrency` jobs running; a slow job holds one slot, not the others."""
        logger.info("worker %s started", self.worker_id)
        running = self._running
        listener: asyncio.Task[None] | None = None
        database = sqlite_file(self.context.settings.effective_database_url)
        if self.context.engine.dialect.name == "postgresql":
            listener = asyncio.create_task(self.listen(stop))
        elif database is not None:
            listener = asyncio.create_task(
                watch_commits(database, self.wake, stop, lambda: len(running) >= concurrency)
            )
        claim_uncertain = False
        while not stop.is_set():
            free = concurrency - len(running)
            claimed: list[Job] = []
            if free > 0:
                self.wake.clear()
                try:
                    if claim_uncertain:
                        await self.release_unknown_claims(set(running.values()))
                        claim_uncertain = False
                    claimed = await self.claim(min(free, BATCH))
                except Exception:  # the database may be restarting: keep trying
                    logger.exception("claiming jobs failed; retrying")
                    claim_uncertain = True
                    await asyncio.sleep(1)
            for job in claimed:
                self._start(job)
            if claimed and len(claimed) == free:
                await asyncio.sleep(0)
                continue
            if len(running) >= concurrency:
                # No slot to claim into: a wake now would only spin this loop; the next
                # job to finish brings it back to claim anyway.
                self.wake.clear()
            waiters = [asyncio.create_task(self.wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(
                [*waiters, *running], timeout=IDLE_POLL_SECONDS, return_when="FIRST_COMPLETED"
            )
            for waiter in waiters:
                waiter.cancel()
        if running:
            await asyncio.wait(running, timeout=self.lease.total_seconds() / 2)
        if listener is not None:
            await listener
        logger.info("worker %s stopped", self.worker_id)


def outcome_of_error(job: Job, exc: Exception) -> Outcome:
    error = "".join(traceback.format_exception_only(exc)).strip()
    if job.attempts >= MAX_ATTEMPTS:
        return Failed(f"gave up after {job.attempts} attempts: {error}")
    return RetryAt(utcnow() + backoff(job.attempts), error)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))
