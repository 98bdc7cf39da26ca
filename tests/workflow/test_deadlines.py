"""Expiry and reminders run as scheduled jobs in the worker."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, Package
from signflow.outbox.worker import Worker
from tests.factories import Tenant
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    document_statuses,
    event_statuses,
    history_actions,
    jobs,
    new_package,
    package_events,
    recipient_ids,
    share,
    statuses,
)


async def make_due(context: AppContext, kind: str) -> None:
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Job)
            .where(Job.kind == kind, Job.status == "pending")
            .values(due_at=utcnow() - dt.timedelta(seconds=1))
        )


async def test_a_package_past_its_deadline_expires(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, documents = await new_package(people)
    expires = (utcnow() + dt.timedelta(days=7)).isoformat()
    response = await client.put(
        f"/v3/packages/{package_id}/workflow", json={"expires_on": expires}, headers=people.owner
    )
    assert response.status_code == 200, response.text
    details = (await client.get(f"/v3/packages/{package_id}/workflow", headers=people.owner)).json()
    assert details["workflow"]["expires_on"] is not None
    await add_users(people, package_id, [("ana", "SIGNER")])
    await share(people, package_id)
    (expiry,) = await jobs(context, "workflow.expire")
    assert abs((expiry.due_at - dt.datetime.fromisoformat(expires)).total_seconds()) < 1

    # Not due yet: the worker leaves it.
    await Worker(context).run_until_idle()
    assert (await statuses(people, package_id))[0] == "SHARED"

    async with transaction(context.sessions) as session:
        await session.execute(
            update(Package)
            .where(Package.id == package_id)
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    await make_due(context, "workflow.expire")
    await Worker(context).run_until_idle()
    assert await statuses(people, package_id) == ("EXPIRED", ["IN_PROGRESS"])
    assert await event_statuses(context, package_id) == ["CREATE", "EXPIRED"]
    events = await package_events(context, package_id)
    assert document_statuses(events[-1]) == {str(documents[0]): "EXPIRED"}
    assert (await history_actions(context, package_id))[-1] == "PACKAGE_EXPIRED"
    assert (await act(people, "ana", package_id, "finish")).status_code == 403
    listed = (await client.get("/v3/packages/EXPIRED/1/10", headers=people.owner)).json()
    assert [item["package_id"] for item in listed] == [package_id]


async def test_reminders_follow_their_schedule_until_the_turn_ends(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    response = await client.put(
        f"/v3/packages/{package_id}/workflow/1/reminders",
        json={
            "apply_to_all": True,
            "enabled": True,
            "remind_after": 2,
            "repeat": {"enabled": True, "keep_reminding_after": 1, "total_reminders": 2},
        },
        headers=people.owner,
    )
    assert response.status_code == 200, response.text
    stored = (
        await client.get(f"/v3/packages/{package_id}/workflow/2/reminders", headers=people.owner)
    ).json()
    assert stored["remind_after"] == 2
    assert stored["repeat"]["total_reminders"] == 2
    await share(people, package_id)
    ids = await recipient_ids(context, package_id)
    (first,) = await jobs(context, "workflow.remind")
    assert first.payload["recipient_id"] == ids["ana"]
    assert (first.due_at - first.created_at) > dt.timedelta(days=1, hours=23)

    await make_due(context, "workflow.remind")
    await Worker(context).run_until_idle()
    reminders = [j.payload for j in await jobs(context, "email.reminder")]
    assert reminders == [{"recipient_id": ids["ana"]}]
    scheduled = await jobs(context, "workflow.remind")
    assert len(scheduled) == 2 and scheduled[1].status == "pending"

    await make_due(context, "workflow.remind")
    await Worker(context).run_until_idle()
    assert len(await jobs(context, "email.reminder")) == 2
    # Two reminders were asked for: no third is scheduled.
    assert len(await jobs(context, "workflow.remind")) == 2
    assert (await history_actions(context, package_id)).count("REMINDER_SENT") == 2

    # Ben's turn opens; his reminder stops mattering once he has finished.
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    assert (await act(people, "ben", package_id, "finish")).status_code == 200
    await make_due(context, "workflow.remind")
    await Worker(context).run_until_idle()
    assert len(await jobs(context, "email.reminder")) == 2
