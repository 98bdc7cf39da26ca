"""The third failure blocks; parallel guesses still get three tries; the owner unblocks."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import HistoryEntry, Recipient
from signflow.outbox.worker import Worker
from tests.factories import Tenant, bearer
from tests.identity.conftest import authentication, identity_row, shared_with_ana
from tests.webhooks.receiver import Receiver
from tests.workflow.helpers import event_statuses, statuses

PASSWORD = "open sesame 42"
BLOCKED = {
    "Message": "Too many failed identity checks: the document owner must unblock you",
    "Error": "recipient_blocked",
}


async def count(context: AppContext, package_id: int, action: str) -> int:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(HistoryEntry.id).where(
                HistoryEntry.package_id == package_id, HistoryEntry.action == action
            )
        )
        return len(list(rows))


async def wrong(
    client: httpx.AsyncClient, headers: dict[str, str], package_id: int
) -> httpx.Response:
    return await client.get(
        f"/v3/packages/{package_id}/open", headers=headers | {"x-password": "wrong"}
    )


async def test_third_failure_blocks_and_notifies_with_the_spec_body(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, receiver: Receiver
):
    admin = await bearer(client, tenant, tenant.admin_email)
    hook = await client.post(
        "/v3/webhooks", json={"url": receiver.url(), "events": ["BLOCKED"]}, headers=admin
    )
    assert hook.status_code == 201
    people, package_id, document_id = await shared_with_ana(
        client, context, tenant, authentication(password=PASSWORD)
    )
    ana = people["ana"]
    first, second = await wrong(client, ana, package_id), await wrong(client, ana, package_id)
    assert [first.json()["Error"], second.json()["Error"]] == ["invalid_credentials"] * 2
    third = await wrong(client, ana, package_id)
    assert (third.status_code, third.json()) == (403, BLOCKED)
    right = await client.get(
        f"/v3/packages/{package_id}/open", headers=ana | {"x-password": PASSWORD}
    )
    assert (right.status_code, right.json()) == (403, BLOCKED)
    assert await statuses(people, package_id) == ("SHARED", ["BLOCKED"])
    assert await count(context, package_id, "RECIPIENT_BLOCKED") == 1
    assert (await identity_row(context, package_id)).failures == 3
    assert await event_statuses(context, package_id) == ["CREATE", "BLOCKED"]

    await Worker(context).run_until_idle()
    [request] = receiver.requests
    body = json.loads(request.body)
    async with transaction(context.sessions) as session:
        recipient = await session.scalar(
            select(Recipient).where(Recipient.package_id == package_id)
        )
        assert recipient is not None
    assert body == {
        "package": str(package_id),
        "name": "Lease 2026",
        "signer": {
            "id": recipient.public_id,
            "name": "Ana",
            "email": people.email("ana"),
            "phone": None,
        },
        "status": "BLOCKED",
        "message": "PASSWORD_INVALID",
        "documents": [
            {
                "code": str(document_id),
                "name": "doc1.pdf",
                "status": "CREATE",
                "url": body["documents"][0]["url"],
            }
        ],
    }


async def test_twenty_parallel_wrong_guesses_get_three_tries(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(password=PASSWORD)
    )
    answers = await asyncio.gather(*(wrong(client, people["ana"], package_id) for _ in range(20)))
    errors = sorted(a.json()["Error"] for a in answers)
    assert all(a.status_code == 403 for a in answers)
    assert errors.count("invalid_credentials") == 2
    assert errors.count("recipient_blocked") == 18
    assert (await identity_row(context, package_id)).failures == 3
    assert await count(context, package_id, "IDENTITY_CHECK_FAILED") == 3
    assert await count(context, package_id, "RECIPIENT_BLOCKED") == 1
    assert (await event_statuses(context, package_id)).count("BLOCKED") == 1


async def block(client: httpx.AsyncClient, people: object, package_id: int) -> None:
    from tests.workflow.helpers import People

    assert isinstance(people, People)
    for _ in range(3):
        await wrong(client, people["ana"], package_id)
    assert await statuses(people, package_id) == ("SHARED", ["BLOCKED"])


async def test_unblock_reset_gives_three_new_tries(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(password=PASSWORD)
    )
    await block(client, people, package_id)
    url = f"/v3/packages/{package_id}/workflow/1/unblock"
    by_ana = await client.post(url, json={"action": "reset"}, headers=people["ana"])
    assert by_ana.status_code == 403
    bad = await client.post(url, json={"action": "forgive"}, headers=people.owner)
    assert bad.status_code == 400
    reset = await client.post(url, json={"action": "reset"}, headers=people.owner)
    assert reset.status_code == 200, reset.text
    assert reset.json()["process_status"] == "IN_PROGRESS"
    assert (await identity_row(context, package_id)).failures == 0
    again = await client.post(url, json={"action": "reset"}, headers=people.owner)
    assert (again.status_code, again.json()) == (
        400,
        {"Message": "The user at this order is not blocked"},
    )
    assert (await wrong(client, people["ana"], package_id)).json()["Error"] == "invalid_credentials"
    opened = await client.get(
        f"/v3/packages/{package_id}/open", headers=people["ana"] | {"x-password": PASSWORD}
    )
    assert opened.status_code == 200


async def test_unblock_approve_counts_as_verified(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(password=PASSWORD)
    )
    await block(client, people, package_id)
    # A scoped enterprise admin acts as the owner.
    from tests.factories import sign_in

    scoped = await sign_in(client, tenant, tenant.admin_email, scope=tenant.user_email)
    approved = await client.post(
        f"/v3/packages/{package_id}/workflow/1/unblock",
        json={"action": "approve", "message": "checked by phone"},
        headers={"Authorization": f"Bearer {scoped['access_token']}"},
    )
    assert approved.status_code == 200, approved.text
    assert (
        await client.get(f"/v3/packages/{package_id}/open", headers=people["ana"])
    ).status_code == 200
    row = await identity_row(context, package_id)
    assert row.verified_by == "owner"


async def test_unblock_reject_declines_for_the_recipient(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(password=PASSWORD)
    )
    await block(client, people, package_id)
    rejected = await client.post(
        f"/v3/packages/{package_id}/workflow/1/unblock",
        json={"action": "reject", "message": "not the right person"},
        headers=people.owner,
    )
    assert rejected.status_code == 200, rejected.text
    assert await statuses(people, package_id) == ("DECLINED", ["DECLINED"])
    users = (
        await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    ).json()
    assert users[0]["reason"] == "not the right person"
    assert (await event_statuses(context, package_id))[-2:] == ["DOCUMENT_REJECT", "REJECTED"]
