"""Decline, terminate (complete), close, finish and recall, with their error texts."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Recipient
from tests.factories import Tenant, bearer, sign_in
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    document_statuses,
    event_statuses,
    history_actions,
    inbox,
    jobs,
    new_package,
    package_events,
    recipient_ids,
    share,
    statuses,
)

NOT_AUTHORIZED = {"Message": "You are not authorized to view this document"}
NOT_YOURS = {"Message": "Document does not belong to user"}
NOT_FOUND = {"Message": "Document not found"}
ACCESS_ENDED = {"Message": "You cannot access this document after the access period ends"}
LOCKED = {"Message": "You are not allowed to perform this action on locked workflow"}


async def test_decline_ends_the_package_with_two_notifications(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, documents = await new_package(people, documents=2)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    await share(people, package_id)
    too_long = await act(people, "ana", package_id, "decline", {"reason": "x" * 501})
    assert too_long.status_code == 400
    response = await act(
        people, "ana", package_id, "decline", {"reason": "Wrong rent", "documents": [documents[1]]}
    )
    assert response.status_code == 200, response.text
    assert await statuses(people, package_id) == ("DECLINED", ["DECLINED", "UN_PROCESSED"])
    users = (
        await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    ).json()
    assert users[0]["reason"] == "Wrong rent"
    assert users[0]["processed_on"] is not None
    ids = await recipient_ids(context, package_id)
    events = await package_events(context, package_id)
    assert [e["status"] for e in events] == ["CREATE", "DOCUMENT_REJECT", "REJECTED"]
    assert document_statuses(events[1]) == {
        str(documents[0]): "CREATE",
        str(documents[1]): "REJECT",
    }
    assert "signer" not in events[1]
    assert events[2]["status"] == "REJECTED"
    assert events[2]["signer"]["email"] == people.email("ana")
    assert events[2]["message"] == "Wrong rent"
    declined = [j.payload for j in await jobs(context, "email.declined")]
    assert declined == [{"package_id": package_id, "recipient_id": ids["ana"]}]
    # Nothing more can happen to a declined package.
    assert (await act(people, "ana", package_id, "finish")).status_code == 200  # she is done
    assert (await act(people, "ana", package_id, "decline", {"reason": "again"})).status_code == 403
    listed = (await client.get("/v3/packages/DECLINED/1/10", headers=people["ana"])).json()
    assert [item["package_id"] for item in listed] == [package_id]


async def test_continue_on_decline_passes_the_decliner(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, _ = await new_package(people)
    await client.put(
        f"/v3/packages/{package_id}/workflow",
        json={"continue_on_decline": True},
        headers=people.owner,
    )
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    await share(people, package_id)
    assert (
        await act(people, "ana", package_id, "decline", {"reason": "not me"})
    ).status_code == 200
    assert await statuses(people, package_id) == ("SHARED", ["DECLINED", "IN_PROGRESS"])
    assert (await act(people, "ben", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == ("COMPLETED", ["DECLINED", "SIGNED"])
    assert await event_statuses(context, package_id) == [
        "CREATE",
        "DOCUMENT_REJECT",
        "REJECTED",
        "NOTIFICATION",
        "SIGNED_PACKAGE",
    ]


async def test_complete_terminates_and_skips_who_has_not_acted(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cal")
    package_id, documents = await new_package(people)
    await client.put(
        f"/v3/packages/{package_id}/workflow",
        json={"workflow_type": "PARALLEL"},
        headers=people.owner,
    )
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    await add_users(people, package_id, [("cal", "SIGNER", 2)])
    await share(people, package_id)
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    assert package_id in await inbox(people, "ben")

    # Only the owner (or an admin acting as the owner) may terminate.
    assert (await act(people, "ben", package_id, "complete")).json() == NOT_AUTHORIZED
    assert (await act(people, "ben", package_id, "complete")).status_code == 400
    assert (await act(people, "cal", package_id, "complete")).json() == NOT_AUTHORIZED
    admin = await bearer(client, tenant, tenant.admin_email)
    unscoped = await client.post(f"/v3/packages/{package_id}/complete", headers=admin)
    assert unscoped.status_code == 400
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    foreign = await client.post(f"/v3/packages/{package_id}/complete", headers=stranger)
    assert foreign.status_code == 404
    assert foreign.json() == NOT_FOUND

    scoped = await sign_in(client, tenant, tenant.admin_email, scope=tenant.user_email)
    response = await client.post(
        f"/v3/packages/{package_id}/complete",
        headers={"Authorization": f"Bearer {scoped['access_token']}"},
    )
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert "content-type" not in response.headers
    assert await statuses(people, package_id) == ("COMPLETED", ["SIGNED", "SKIPPED", "SKIPPED"])
    # The skipped can no longer list or open it; the signer still can.
    assert package_id not in await inbox(people, "ben")
    opened = await client.get(f"/v3/packages/{package_id}/open", headers=people["ben"])
    assert opened.status_code == 403
    assert opened.json() == NOT_YOURS
    assert package_id in await inbox(people, "ana")
    events = await package_events(context, package_id)
    assert [e["status"] for e in events] == ["CREATE", "NOTIFICATION", "SIGNED_PACKAGE"]
    assert document_statuses(events[-1]) == {str(documents[0]): "FINISH"}
    actions = await history_actions(context, package_id)
    assert actions[-1] == "WORKFLOW_TERMINATED"
    # Terminating twice is harmless and sends nothing more.
    assert (
        await client.post(f"/v3/packages/{package_id}/complete", headers=people.owner)
    ).status_code == 200
    assert len(await package_events(context, package_id)) == 3


async def test_complete_on_a_draft_is_refused(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start()
    package_id, _ = await new_package(people)
    response = await client.post(f"/v3/packages/{package_id}/complete", headers=people.owner)
    assert response.status_code == 403
    missing = await client.post("/v3/packages/999999/complete", headers=people.owner)
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND


async def test_close_updates_reading_status_and_history_only(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    await share(people, package_id)
    listed = (await client.get("/v3/packages/ALL/1/10", headers=people["ana"])).json()
    assert listed[0]["unread"] is True
    response = await client.get(f"/v3/packages/{package_id}/close", headers=people["ana"])
    assert response.status_code == 200
    assert response.content == b""
    listed = (await client.get("/v3/packages/ALL/1/10", headers=people["ana"])).json()
    assert listed[0]["unread"] is False
    assert await statuses(people, package_id) == ("SHARED", ["IN_PROGRESS", "UN_PROCESSED"])
    assert (await history_actions(context, package_id))[-1] == "DOCUMENT_CLOSED"
    assert await event_statuses(context, package_id) == ["CREATE"]

    not_yet = await client.get(f"/v3/packages/{package_id}/close", headers=people["ben"])
    assert (not_yet.status_code, not_yet.json()) == (403, NOT_YOURS)
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    foreign = await client.get(f"/v3/packages/{package_id}/close", headers=stranger)
    assert (foreign.status_code, foreign.json()) == (404, NOT_FOUND)
    missing = await client.get("/v3/packages/999999/close", headers=people.owner)
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    unauthenticated = await client.get(f"/v3/packages/{package_id}/close")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == {"Message": "User authentication required"}


async def test_finish_is_idempotent_and_refused_after_the_access_period(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    response = await client.put(
        f"/v3/packages/{package_id}/workflow/2/authentication",
        json={
            "apply_to_all": False,
            "authentication": {"enabled": False},
            "access_duration": {
                "enabled": True,
                "duration_by_days": {"enabled": True, "duration": {"total_days": 2}},
            },
        },
        headers=people.owner,
    )
    assert response.status_code == 200, response.text
    await share(people, package_id)
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    assert await event_statuses(context, package_id) == ["CREATE", "NOTIFICATION"]
    assert (await history_actions(context, package_id)).count("PROCESSING_FINISHED") == 1

    async with transaction(context.sessions) as session:
        await session.execute(
            update(Recipient)
            .where(Recipient.package_id == package_id, Recipient.position == 2)
            .values(turn_started_at=utcnow() - dt.timedelta(days=3))
        )
    response = await act(people, "ben", package_id, "finish")
    assert (response.status_code, response.json()) == (403, ACCESS_ENDED)
    assert await statuses(people, package_id) == ("SHARED", ["SIGNED", "IN_PROGRESS"])


async def test_recall_returns_to_draft_and_hides_it_again(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    await share(people, package_id)
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    # Shared: the workflow is locked.
    locked = await client.put(
        f"/v3/packages/{package_id}/workflow", json={"message": "hi"}, headers=people.owner
    )
    assert (locked.status_code, locked.json()) == (403, LOCKED)
    again = await client.post(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert (again.status_code, again.json()) == (
        403,
        {"Message": "Document is no longer in draft state"},
    )

    response = await client.delete(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert response.status_code == 200, response.text
    assert await statuses(people, package_id) == ("DRAFT", ["UN_PROCESSED", "UN_PROCESSED"])
    assert package_id not in await inbox(people, "ana")
    assert (await act(people, "ana", package_id, "finish")).status_code == 403
    # Editable again, and shareable again.
    await add_users(people, package_id, [("ana", "CARBON_COPY")])
    await share(people, package_id)
    assert await statuses(people, package_id) == (
        "SHARED",
        ["IN_PROGRESS", "UN_PROCESSED", "UN_PROCESSED"],
    )
    assert "WORKFLOW_RECALLED" in await history_actions(context, package_id)


async def test_share_needs_documents_and_signers(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("cora")
    package_id, _ = await new_package(people)
    response = await client.post(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert (response.status_code, response.json()) == (
        404,
        {"Message": "You must add 1 or more signers"},
    )
    await add_users(people, package_id, [("cora", "CARBON_COPY")])
    response = await client.post(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert response.status_code == 404
    empty, _ = await new_package(people, documents=0)
    await add_users(people, empty, [("cora", "SIGNER")])
    response = await client.post(f"/v3/packages/{empty}/workflow", headers=people.owner)
    assert (response.status_code, response.json()) == (
        400,
        {"Message": "Request does not contain document"},
    )
