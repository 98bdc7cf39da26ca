"""On PostgreSQL a commit that enqueues jobs wakes workers in other processes at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

import signflow.outbox.worker as worker_module
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Job, JobStatus
from signflow.outbox.enqueue import JOBS_CHANNEL, enqueue
from signflow.outbox.handlers import Done, job_handler
from signflow.outbox.worker import Worker
from tests.conftest import make_settings, wipe

woken: list[int] = []


@job_handler("test.listen")
async def record_wake(_context: AppContext, job: Job) -> Done:
    woken.append(job.id)
    return Done()


@pytest.fixture
async def two_processes(postgres_url: str, tmp_path: Path):
    """Two contexts on one database, as an API process and a worker process would be."""
    api = AppContext.create(make_settings(postgres_url, tmp_path / "api"))
    worker = AppContext.create(make_settings(postgres_url, tmp_path / "worker"))
    await wipe(api)
    try:
        yield api, worker
    finally:
        await api.close()
        await worker.close()


async def test_a_commit_that_enqueues_notifies_the_channel(two_processes, postgres_url: str):
    api, _ = two_processes
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(dsn)
    heard = asyncio.Event()
    origins: list[str] = []

    def on_notify(_connection: object, _pid: int, _channel: str, payload: str) -> None:
        origins.append(payload)
        heard.set()

    await listener.add_listener(JOBS_CHANNEL, on_notify)
    try:
        async with transaction(api.sessions) as session:
            session.info["unrelated"] = True  # a commit without jobs notifies nobody
        await asyncio.sleep(0.2)
        assert not heard.is_set()
        async with transaction(api.sessions) as session:
            enqueue(session, "test.listen", {})
        await asyncio.wait_for(heard.wait(), timeout=5)
        # It names the context that committed, so that that context's worker can tell.
        assert origins == [api.notify_origin]
    finally:
        await listener.close()


async def test_a_worker_ignores_the_notifications_of_its_own_contexts_commits(two_processes):
    api, other = two_processes
    worker = Worker(other)
    # Its own context's commit has set the event directly; the notification that follows
    # would only make it claim a second time.
    worker._notified(None, 0, JOBS_CHANNEL, other.notify_origin)
    assert not worker.wake.is_set()
    worker._notified(None, 0, JOBS_CHANNEL, api.notify_origin)
    assert worker.wake.is_set()


async def test_a_worker_elsewhere_starts_without_waiting_for_its_poll(
    two_processes, monkeypatch: pytest.MonkeyPatch
):
    api, other = two_processes
    monkeypatch.setattr(worker_module, "IDLE_POLL_SECONDS", 60.0)
    woken.clear()
    stop = asyncio.Event()
    running = asyncio.create_task(Worker(other).run_forever(stop))
    try:
        await asyncio.sleep(1.0)  # the listener is connected, the first idle wait begun
        async with transaction(api.sessions) as session:
            job = enqueue(session, "test.listen", {})
        for _ in range(100):
            if woken:
                break
            await asyncio.sleep(0.05)
        assert woken == [job.id]
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=10)
    async with transaction(api.sessions) as session:
        done = await session.get_one(Job, job.id)
    assert done.status == JobStatus.DONE
