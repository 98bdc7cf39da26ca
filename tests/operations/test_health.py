"""/healthz (liveness) and /readyz (database, migrations, a live worker), apart."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from signflow.app import create_app
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.migrate import upgrade
from signflow.models import WorkerHeartbeat
from signflow.observability.heartbeat import run_worker
from tests.conftest import make_settings
from tests.operations.processes import free_port


async def ask(context: AppContext, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(context=context))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)


@pytest.fixture
async def unreachable(tmp_path: Path) -> AsyncIterator[AppContext]:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
    context = AppContext.create(make_settings(url, tmp_path))
    yield context
    await context.close()


async def test_liveness_does_not_ask_the_database(unreachable: AppContext):
    alive = await ask(unreachable, "/healthz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    ready = await ask(unreachable, "/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["database"].startswith("unavailable")


async def test_ready_only_while_a_worker_beats(context: AppContext):
    without = await ask(context, "/readyz")
    assert without.status_code == 503
    assert without.json() == {
        "status": "unavailable",
        "database": "ok",
        "migrations": "ok",
        "worker": "no worker has ever beaten",
    }
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(context, stop))
    try:
        for _ in range(100):
            ready = await ask(context, "/readyz")
            if ready.status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert ready.json() == {
            "status": "ok",
            "database": "ok",
            "migrations": "ok",
            "worker": "ok",
        }
    finally:
        stop.set()
        await worker
    # A worker that stops removes its row.
    async with transaction(context.sessions) as session:
        assert (await session.scalars(select(WorkerHeartbeat))).all() == []
    assert (await ask(context, "/readyz")).status_code == 503


async def test_a_stale_heartbeat_is_not_a_live_worker(context: AppContext):
    async with transaction(context.sessions) as session:
        session.add(
            WorkerHeartbeat(
                worker_id="gone:1",
                hostname="gone",
                pid=1,
                beat_at=utcnow() - dt.timedelta(minutes=5),
            )
        )
    answer = await ask(context, "/readyz")
    assert answer.status_code == 503
    # Five minutes and however long this loaded machine took to answer.
    said = answer.json()["worker"]
    silent = re.fullmatch(r"no heartbeat for (\d+) s: is a worker running\?", said)
    assert silent is not None, said
    assert 300 <= int(silent[1]) < 360


async def test_not_ready_before_the_migrations(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    context = AppContext.create(make_settings(url, tmp_path))
    try:
        await upgrade(context.engine, "9d41c0e7a2b5")  # the revision before this release's
        answer = await ask(context, "/readyz")
    finally:
        await context.close()
    assert answer.status_code == 503
    body = answer.json()
    assert body["database"] == "ok"
    assert body["migrations"].startswith("at 9d41c0e7a2b5, expected ")
    assert body["migrations"].endswith(": run signflow migrate")
