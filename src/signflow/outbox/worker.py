"""The worker: claims due jobs with a lease, runs them, records the outcome.

On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so any number of workers
share the table; on SQLite the claim runs in a `BEGIN IMMEDIATE` transaction,
which serialises claimers. A job whose worker died is claimed again when its
lease runs out, so every job runs at least once. Jobs that share an
`ordering_key` run one at a time in id order.

The worker's own statements (the claim, the outcomes of jobs without writes of their
own) are SQLAlchemy Core on a connection, built once; on PostgreSQL each commits by
itself, without a BEGIN and a COMMIT round trip. `run_forever` claims only when a job
may be due: a commit woke it, its last claim was full, an outcome it recorded may have
let a job through, or its idle poll came round; a job that merely ends does not make
it ask again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import traceback
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal, cast

import asyncpg
from sqlalchemy import (
    BindParameter,
    Integer,
    Row,
    Table,
    Update,
    and_,
    bindparam,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

import signflow.outbox.kinds  # noqa: F401  (registers every job handler)
from signflow.context import AppContext
from signflow.db import sqlite_file, transaction, utcnow
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


_table = cast(Table, Job.__table__)
_jobs = _table.c


def _claim_statement() -> Update:
    """One Core statement, built once: lease the next due jobs, at most one per ordering
    key (a job waits while an earlier one of its key is pending or running), and return
    their rows whole."""
    now: BindParameter[dt.datetime] = bindparam("now")
    earlier = _table.alias("earlier")
    blocked_by_earlier = exists().where(
        earlier.c.ordering_key == _jobs.ordering_key,
        earlier.c.id < _jobs.id,
        earlier.c.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]),
    )
    due = or_(
        and_(_jobs.status == JobStatus.PENDING.value, _jobs.due_at <= now),
        and_(_jobs.status == JobStatus.RUNNING.value, _jobs.lease_expires_at < now),
    )
    candidates = (
        select(_jobs.id)
        .where(due, or_(_jobs.ordering_key.is_(None), ~blocked_by_earlier))
        .order_by(_jobs.due_at, _jobs.id)
        .limit(bindparam("claim_limit", type_=Integer))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(_table)
        .where(_jobs.id.in_(candidates))
        .values(
            status=JobStatus.RUNNING.value,
            lease_expires_at=bindparam("lease_until"),
            worker_id=bindparam("claimer"),
            attempts=_jobs.attempts + 1,
        )
        .returning(*_table.columns)
    )


_CLAIM = _claim_statement()
_CLAIM_KEYS = tuple(column.key for column in _table.columns)
_new_job = Job.__mapper__.class_manager.new_instance


def _job_of(row: Row[Any]) -> Job:
    """A `Job` holding a claimed row, attached to no session: handlers only read it, and
    the ORM's loading (identity map, events) would cost more than the claim itself."""
    job: Job = _new_job()
    job.__dict__.update(zip(_CLAIM_KEYS, row, strict=True))
    return job


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
        # Set when a job ends while `run_forever` waits for a free slot.
        self._slot_freed: asyncio.Future[None] | None = None
        self._claiming = False
        engine = context.engine
        # On PostgreSQL the worker's own statements commit by themselves (autocommit):
        # each is one round trip, where a transaction adds a BEGIN and a COMMIT.
        self._autocommit: AsyncEngine | None = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else None
        )

    @contextlib.asynccontextmanager
    async def _statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one writing statement: on PostgreSQL in autocommit, on SQLite
        in a transaction of its own (its BEGIN IMMEDIATE is what takes the write lock)."""
        if self._autocommit is not None:
            async with self._autocommit.connect() as connection:
                yield connection
        else:
            async with self.context.engine.begin() as connection:
                yield connection

    def _start(self, job: Job) -> None:
        task = asyncio.create_task(self._run_and_record(job))
        self._running[task] = job.id
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        freed = self._slot_freed
        if freed is not None and not freed.done():
            freed.set_result(None)

    async def claim(self, limit: int = BATCH) -> list[Job]:
        now = utcnow()
        async with self._statement() as connection:
            result = await connection.execute(
                _CLAIM,
                {
                    "now": now,
                    "claim_limit": limit,
                    "lease_until": now + self.lease,
                    "claimer": self.worker_id,
                },
            )
            claimed = [_job_of(row) for row in result]
        claimed.sort(key=lambda job: job.id)
        return claimed

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
        outcomes: Sequence[tuple[Job, Outcome]]
        try:
            if any(isinstance(result, Finish) for _, result in finished):
                async with transaction(self.context.sessions) as session:
                    outcomes = await self._write_outcomes(session, finished)
            else:
                # Nothing to write but the outcomes: one statement, no session.
                outcomes = cast(Sequence[tuple[Job, Outcome]], finished)
                async with self._statement() as connection:
                    await record_outcomes(connection, outcomes)
            self._wake_for_followers(outcomes)
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
                outcomes = await self._write_outcomes(session, [(job, result)])
        except Exception as exc:
            if not isinstance(result, Finish):
                raise
            # Its writes failed: the job is retried on its schedule, like a handler that raised.
            logger.exception("the writes of job %s (%s) failed", job.id, job.kind)
            outcomes = [(job, outcome_of_error(job, exc))]
            async with transaction(self.context.sessions) as session:
                await record_outcomes(session, outcomes)
        self._wake_for_followers(outcomes)

    async def _write_outcomes(
        self, session: AsyncSession, finished: Sequence[tuple[Job, Result]]
    ) -> list[tuple[Job, Outcome]]:
        outcomes = [
            (job, await result.write(session) if isinstance(result, Finish) else result)
            for job, result in finished
        ]
        await run_deferred(session)
        await record_outcomes(session, outcomes)
        return outcomes

    def _wake_for_followers(self, recorded: Sequence[tuple[Job, Outcome]]) -> None:
        """An outcome can make a job due without any commit enqueueing one: the next job
        of an ordering key once the one before it is finished, a retry due at once. The
        worker claims again for those, as it does after a commit."""
        now = utcnow()
        for job, outcome in recorded:
            if isinstance(outcome, RetryAt):
                if outcome.when <= now:
                    self.wake.set()
                    return
            elif job.ordering_key is not None:
                self.wake.set()
                return

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

    def _notified(self, _connection: object, _pid: int, _channel: str, origin: str) -> None:
        # A commit of this worker's own context has set `wake` already: claiming again for
        # its notification, a moment later, would find nothing.
        if origin != self.context.notify_origin:
            self.wake.set()

    async def listen(self, stop: asyncio.Event) -> None:
        """On PostgreSQL, wake on every commit that enqueued jobs, in any process (a
        commit of its own context wakes it directly).

        Polling stays as the fallback: a lost listener connection is reopened.
        """
        url = self.context.settings.effective_database_url
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        while not stop.is_set():
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(dsn, timeout=5)
                await connection.add_listener(JOBS_CHANNEL, self._notified)
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
        """Keep up to `concurrency` jobs running; a slow job holds one slot, not the others.

        It claims only when a job may be due: woken (a commit that enqueued jobs, an
        outcome that lets a job through), its last claim as full as it asked (more may be
        waiting), or `IDLE_POLL_SECONDS` since its last claim (jobs due later, leases run
        out, a wake lost with the listener's connection)."""
        logger.info("worker %s started", self.worker_id)
        running = self._running
        loop = asyncio.get_running_loop()
        listener: asyncio.Task[None] | None = None
        database = sqlite_file(self.context.settings.effective_database_url)
        if self.context.engine.dialect.name == "postgresql":
            listener = asyncio.create_task(self.listen(stop))
        elif database is not None:
            listener = asyncio.create_task(
                watch_commits(
                    database,
                    self.wake,
                    stop,
                    lambda: self._claiming or len(running) >= concurrency,
                )
            )
        claim_uncertain = False
        more_waiting = True  # at start, anything may be due
        next_poll = loop.time()
        stopping = asyncio.create_task(stop.wait())
        woken: asyncio.Task[Literal[True]] | None = None
        try:
            while not stop.is_set():
                free = concurrency - len(running)
                due = more_waiting or self.wake.is_set() or loop.time() >= next_poll
                if free > 0 and due:
                    self.wake.clear()
                    limit = min(free, BATCH)
                    self._claiming = True
                    try:
                        if claim_uncertain:
                            await self.release_unknown_claims(set(running.values()))
                            claim_uncertain = False
                        claimed = await self.claim(limit)
                    except Exception:  # the database may be restarting: keep trying
                        logger.exception("claiming jobs failed; retrying")
                        claim_uncertain = more_waiting = True
                        await asyncio.sleep(1)
                        continue
                    finally:
                        self._claiming = False
                    for job in claimed:
                        self._start(job)
                    more_waiting = len(claimed) == limit
                    next_poll = loop.time() + IDLE_POLL_SECONDS
                    if more_waiting:
                        await asyncio.sleep(0)  # let the jobs just claimed begin
                    continue
                # Nothing to claim now: wait for a reason to. Without a free slot, a wake
                # stays set for when a job ends (waiting for it would only spin).
                waits: set[asyncio.Future[Any]] = {stopping}
                timeout: float | None = None
                if free > 0:
                    if woken is None or woken.done():
                        woken = asyncio.create_task(self.wake.wait())
                    waits.add(woken)
                    timeout = max(0.0, next_poll - loop.time())
                else:
                    self._slot_freed = loop.create_future()
                    waits.add(self._slot_freed)
                await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                self._slot_freed = None
        finally:
            stopping.cancel()
            if woken is not None:
                woken.cancel()
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
