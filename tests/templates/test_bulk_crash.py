"""A bulk run survives its worker: a `signflow worker` process SIGKILLed halfway
through a run of 500 rows, a new one started, and the run ends with exactly 500
packages, each row sent once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, func, select

from signflow.app import create_app
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import (
    BulkRow,
    BulkRowStatus,
    BulkRun,
    BulkRunStatus,
    HistoryEntry,
    Package,
    WebhookEndpoint,
)
from tests.faces.signinghub.test_templates import save, source_package
from tests.factories import make_tenant
from tests.outbox.worker_process import pg_context, start_worker, stop_worker
from tests.workflow.helpers import People

__all__ = ["pg_context"]  # a fixture, used by name

ROWS = 500


@pytest.fixture
async def pg_client(pg_context: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(context=pg_context))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def sent_rows(context: AppContext, run_id: int) -> int:
    async with transaction(context.sessions) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(BulkRow)
            .where(BulkRow.run_id == run_id, BulkRow.status != BulkRowStatus.PENDING.value)
        )
    return int(count or 0)


async def wait_for(context: AppContext, run_id: int, rows: int, seconds: float) -> int:
    done = 0
    for _ in range(int(seconds * 10)):
        done = await sent_rows(context, run_id)
        if done >= rows:
            break
        await asyncio.sleep(0.1)
    return done


@pytest.mark.slow
async def test_a_run_of_500_survives_a_sigkilled_worker(
    pg_context: AppContext, pg_client: httpx.AsyncClient, postgres_url: str, tmp_path: Path
):
    context = pg_context
    tenant = await make_tenant(context, "Bulkco")
    people = await People(pg_client, context, tenant).start("ana", "ben")
    source_id, _ = await source_package(people)
    template_id = (await save(people, source_id))["template_id"]
    async with transaction(context.sessions) as session:  # no webhook to a closed port
        await session.execute(delete(WebhookEndpoint))
    body = "Tenant email,Tenant name,Landlord email,Rent\n" + "".join(
        f"t{n}@example.com,Tenant {n},landlord@example.com,{n}\n" for n in range(1, ROWS + 1)
    )
    started = await pg_client.post(
        f"/v4/settings/templates/{template_id}/bulk",
        content=body.encode(),
        headers=people.owner | {"content-type": "text/csv"},
    )
    assert started.status_code == 201, started.text
    run_id = started.json()["bulk_id"]

    worker = start_worker(postgres_url, tmp_path / "var")
    try:
        halfway = await wait_for(context, run_id, ROWS // 2, seconds=300)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert ROWS // 2 <= halfway < ROWS, "the worker was killed halfway"
        at_kill = await sent_rows(context, run_id)
        assert at_kill < ROWS
        worker = start_worker(postgres_url, tmp_path / "var")
        assert await wait_for(context, run_id, ROWS, seconds=300) == ROWS
        for _ in range(300):  # the last batch's job records the run as completed
            async with transaction(context.sessions) as session:
                run = await session.get_one(BulkRun, run_id)
            if run.status == BulkRunStatus.COMPLETED.value:
                break
            await asyncio.sleep(0.1)
    finally:
        stop_worker(worker)

    try:
        async with transaction(context.sessions) as session:
            run = await session.get_one(BulkRun, run_id)
            rows = list(await session.scalars(select(BulkRow).where(BulkRow.run_id == run_id)))
            made = list(
                await session.scalars(select(Package.id).where(Package.template_id == template_id))
            )
            shared = await session.scalar(
                select(func.count())
                .select_from(HistoryEntry)
                .where(HistoryEntry.package_id.in_(made), HistoryEntry.action == "PACKAGE_SHARED")
            )
    finally:
        await context.close()
    assert run.status == BulkRunStatus.COMPLETED.value
    assert len(rows) == ROWS
    assert {r.status for r in rows} == {BulkRowStatus.SENT.value}
    assert sorted(r.row_no for r in rows) == list(range(1, ROWS + 1))
    # Exactly one package per row, and no package left over from a killed transaction.
    assert len(made) == ROWS
    assert sorted(r.package_id for r in rows if r.package_id) == sorted(made)
    assert shared == ROWS
