"""A bulk batch the outbox gives up on never leaves its run RUNNING: on the job's last
attempt each row is tried alone, a row that still cannot be sent becomes FAILED with
the reason, the others are sent, the run ends COMPLETED and the job is recorded failed."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import BulkRow, BulkRun, Job, JobStatus
from signflow.outbox.handlers import MAX_ATTEMPTS
from signflow.outbox.worker import Worker
from signflow.templates.bulk import SEND_BATCH
from tests.faces.signinghub.test_bulk import bulk, status
from tests.faces.signinghub.test_templates import save, source_package
from tests.factories import Tenant
from tests.workflow.helpers import People

ROWS = (
    "Tenant email,Tenant name,Landlord email,Rent\n"
    "cy@example.com,Cy,dee@example.com,1200\n"
    "eve@example.com,Eve,dee@example.com,900\n"
    "fay@example.com,Fay,dee@example.com,950\n"
)


async def batch_job(context: AppContext) -> Job:
    async with transaction(context.sessions) as session:
        job = await session.scalar(select(Job).where(Job.kind == SEND_BATCH))
        assert job is not None
        return job


async def make_due(context: AppContext, attempts: int | None = None) -> None:
    values: dict[str, object] = {"due_at": utcnow() - dt.timedelta(seconds=1)}
    if attempts is not None:
        values["attempts"] = attempts
    async with transaction(context.sessions) as session:
        await session.execute(update(Job).where(Job.kind == SEND_BATCH).values(**values))


async def test_a_batch_given_up_fails_its_pending_rows_and_ends_the_run(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    source_id, _ = await source_package(people)
    template_id = (await save(people, source_id))["template_id"]
    started = await bulk(people, template_id, ROWS)
    assert started.status_code == 201, started.text
    bulk_id = started.json()["bulk_id"]
    # Row 2's stored data can no longer be read: every try of the batch raises.
    async with transaction(context.sessions) as session:
        await session.execute(
            update(BulkRow)
            .where(BulkRow.run_id == bulk_id, BulkRow.row_no == 2)
            .values(data={"placeholders": "unreadable"})
        )

    await Worker(context).run_until_idle()
    job = await batch_job(context)
    assert (job.status, job.attempts) == (JobStatus.PENDING.value, 1)  # retried later
    assert "TypeError" in (job.last_error or "")
    running = await status(people, template_id, bulk_id)
    # The failed try wrote nothing: its rows (in one transaction with row 2) are pending.
    assert (running["status"], running["pending"], running["sent"]) == ("RUNNING", 3, 0)

    # The outbox's last attempt: rows 1 and 3 are sent, row 2 fails, the run ends.
    await make_due(context, attempts=MAX_ATTEMPTS - 1)
    await Worker(context).run_until_idle()
    done = await status(people, template_id, bulk_id)
    assert (done["status"], done["sent"], done["failed"], done["pending"]) == (
        "COMPLETED",
        2,
        1,
        0,
    )
    assert done["finished_on"] is not None
    rows = {row["row"]: row for row in done["rows"]}
    assert [rows[n]["status"] for n in (1, 2, 3)] == ["SENT", "FAILED", "SENT"]
    assert rows[1]["package_id"] and rows[3]["package_id"]
    assert rows[2] == {
        "row": 2,
        "status": "FAILED",
        "package_id": None,
        "error": f"Row 2: not sent: the worker gave up on it after {MAX_ATTEMPTS} attempts; "
        "send it again in a new run",
    }
    assert done["errors"] == [rows[2]]
    job = await batch_job(context)
    assert job.status == JobStatus.FAILED.value
    assert f"gave up after {MAX_ATTEMPTS} attempts, rows [2] failed" in (job.last_error or "")
    # The guide's status call says the same.
    guide = await client.post(
        "/v4/packages/SEND/status", json={"transaction_id": str(bulk_id)}, headers=people.owner
    )
    assert guide.status_code == 200, guide.text
    assert guide.json()["status"] == "COMPLETED"
    assert [p["status"] for p in guide.json()["packages"]] == ["SENT", "FAILED", "SENT"]


async def test_a_run_whose_context_cannot_be_read_fails_every_row_on_the_last_attempt(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    """The batch fails before any row (its template version cannot be found): on the
    last attempt every row of the batch is failed and the run ends."""
    people = await People(client, context, tenant).start("ana", "ben")
    source_id, _ = await source_package(people)
    template_id = (await save(people, source_id))["template_id"]
    started = await bulk(people, template_id, ROWS)
    bulk_id = started.json()["bulk_id"]
    async with transaction(context.sessions) as session:
        await session.execute(
            update(BulkRun).where(BulkRun.id == bulk_id).values(template_version=99)
        )
    await make_due(context, attempts=MAX_ATTEMPTS - 1)
    await Worker(context).run_until_idle()
    done = await status(people, template_id, bulk_id)
    assert (done["status"], done["sent"], done["failed"], done["pending"]) == (
        "COMPLETED",
        0,
        3,
        0,
    )
    assert [row["error"] for row in done["rows"]] == [
        f"Row {n}: not sent: the worker gave up on it after {MAX_ATTEMPTS} attempts; "
        "send it again in a new run"
        for n in (1, 2, 3)
    ]
    assert (await batch_job(context)).status == JobStatus.FAILED.value
