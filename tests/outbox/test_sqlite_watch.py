"""On SQLite, a job committed by another process wakes the worker without its idle poll."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from signflow.context import AppContext
from signflow.db import sqlite_file, transaction, utcnow
from signflow.models import Job, JobStatus
from signflow.outbox import worker as worker_module
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, job_handler
from signflow.outbox.sqlite_watch import CommitWatch
from signflow.outbox.worker import Worker
from tests.conftest import make_settings, wipe

ran: list[int] = []


@job_handler("test.watched")
async def watched_job(_context: AppContext, job: Job) -> Done:
    ran.append(job.payload["n"])
    return Done()


@pytest.fixture
async def two_processes(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[AppContext, ...]]:
    """Two contexts on one file, each with its own engine, as two processes have."""
    ran.clear()
    here = AppContext.create(make_settings(sqlite_url, tmp_path / "var"))
    there = AppContext.create(make_settings(sqlite_url, tmp_path / "var"))
    await wipe(here)
    try:
        yield here, there
    finally:
        await here.close()
        await there.close()


def _database(context: AppContext) -> Path:
    database = sqlite_file(context.settings.effective_database_url)
    assert database is not None
    return database


async def _enqueue(context: AppContext, n: int, due_at: dt.datetime | None = None) -> None:
    async with transaction(context.sessions) as session:
        job = enqueue(session, "test.watched", {"n": n})
        if due_at is not None:
            job.due_at = due_at


async def test_the_watch_answers_only_for_a_due_job_committed_since_it_last_asked(
    two_processes: tuple[AppContext, AppContext],
):
    _, there = two_processes
    watch = CommitWatch(_database(there))
    try:
        assert not watch.due_job_committed()
        await _enqueue(there, 1, due_at=utcnow() + dt.timedelta(hours=1))
        assert not watch.due_job_committed()  # committed, but not due
        await _enqueue(there, 2)
        assert watch.due_job_committed()
        assert not watch.due_job_committed()  # nothing committed since
    finally:
        watch.close()


async def test_a_job_of_another_process_runs_without_waiting_for_the_idle_poll(
    two_processes: tuple[AppContext, AppContext], monkeypatch: pytest.MonkeyPatch
):
    here, there = two_processes
    # Without the watch, the worker would look again only after this.
    monkeypatch.setattr(worker_module, "IDLE_POLL_SECONDS", 3600.0)
    stop = asyncio.Event()
    worker = asyncio.create_task(Worker(here).run_forever(stop))
    try:
        await asyncio.sleep(0.1)  # the worker has found nothing and is waiting
        await _enqueue(there, 7)
        async with asyncio.timeout(30):
            while ran != [7]:
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        await worker


async def test_a_job_waiting_behind_an_earlier_one_of_its_key_does_not_count(
    two_processes: tuple[AppContext, AppContext],
):
    _, there = two_processes
    watch = CommitWatch(_database(there))
    try:
        async with transaction(there.sessions) as session:
            first = enqueue(session, "test.watched", {"n": 1}, ordering_key="key")
            first.due_at = utcnow() + dt.timedelta(hours=1)  # waiting for a retry
            enqueue(session, "test.watched", {"n": 2}, ordering_key="key")
        # The second is due, but it may not run before the first: nothing to claim.
        assert not watch.due_job_committed()
        async with transaction(there.sessions) as session:
            await session.execute(
                update(Job).where(Job.id == first.id).values(status=JobStatus.DONE.value)
            )
        assert watch.due_job_committed()
    finally:
        watch.close()
