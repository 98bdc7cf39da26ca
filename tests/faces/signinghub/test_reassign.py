"""Changing a recipient of a shared package (PUT workflow/{order}/user once shared): the
person who has not acted yet is replaced; both are told; the old one loses every right
and the new one is trusted for nothing the old one proved."""

from __future__ import annotations

import email
from email.policy import default

import httpx
import pytest
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import OneTimeCode, Recipient
from signflow.outbox.worker import Worker
from tests.factories import Tenant, bearer
from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    history_actions,
    inbox,
    jobs,
    new_package,
    package_events,
    recipient_ids,
    share,
    statuses,
)

NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}
NO_USER = {"Message": "No user found at given order"}
LOCKED = {"Message": "You are not allowed to perform this action on locked workflow"}


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:  # noqa: F811
    return {"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}


def mails_to(server: SmtpServer, address: str) -> list[str]:
    found = []
    for item in server.sink.messages:
        if item.rcpt_tos == [address]:
            message = email.message_from_bytes(item.data, policy=default)
            found.append(str(message["Subject"]))
    return found


async def public_id(context: AppContext, package_id: int, order: int) -> str:
    async with transaction(context.sessions) as session:
        value = await session.scalar(
            select(Recipient.public_id).where(
                Recipient.package_id == package_id, Recipient.position == order
            )
        )
        assert value is not None
        return value


async def test_a_waiting_signer_is_replaced_and_both_are_told(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    other_tenant: Tenant,
    smtp_server: SmtpServer,  # noqa: F811
):
    people = await People(client, context, tenant).start("ana", "bob", "carl", "dan")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "REVIEWER"), ("bob", "REVIEWER")])
    await share(people, package_id)
    await Worker(context).run_until_idle()
    ana_link = await public_id(context, package_id, 1)
    path = f"/v3/packages/{package_id}/workflow/1/user"
    carl = {"user_email": people.email("carl"), "user_name": "Carl"}

    # Another enterprise does not see the package; the recipient is not its owner.
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    assert (await client.put(path, json=carl, headers=stranger)).status_code == 404
    assert (await client.put(path, json=carl, headers=people["ana"])).status_code == 403
    missing = await client.put(
        f"/v3/packages/{package_id}/workflow/7/user", json=carl, headers=people.owner
    )
    assert (missing.status_code, missing.json()) == (
        404,
        {"Message": "No user found at given order"},
    )
    unknown = await client.put(
        "/v3/packages/999999/workflow/1/user", json=carl, headers=people.owner
    )
    assert unknown.status_code == 404
    # Once shared, the role and the step stay; the same person is no change.
    role = await client.put(path, json=carl | {"role": "SIGNER"}, headers=people.owner)
    assert (role.status_code, role.json()) == (403, LOCKED)
    same = await client.put(
        path, json={"user_email": people.email("ana").upper()}, headers=people.owner
    )
    assert same.status_code == 400
    assert "RECIPIENT_REASSIGNED" not in await history_actions(context, package_id)

    # As clients send it: the whole entry, role and step unchanged.
    replaced = await client.put(
        path, json=carl | {"role": "REVIEWER", "signing_order": 1}, headers=people.owner
    )
    assert (replaced.status_code, replaced.content) == (200, b"")
    users = (
        await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    ).json()
    assert [(u["user_email"], u["process_status"]) for u in users] == [
        (people.email("carl"), "IN_PROGRESS"),
        (people.email("bob"), "UN_PROCESSED"),
    ]
    assert await public_id(context, package_id, 1) != ana_link
    assert (await history_actions(context, package_id))[-1] == "RECIPIENT_REASSIGNED"
    [event] = [
        e for e in await package_events(context, package_id) if e["status"] == "NOTIFICATION"
    ]
    assert people.email("carl") in str(event)
    replaced_jobs = [j.payload for j in await jobs(context, "email.recipient_replaced")]
    assert replaced_jobs == [
        {"package_id": package_id, "email": people.email("ana"), "name": "Ana"}
    ]

    # Ana has no part any more; Carl acts on the turn.
    assert package_id not in await inbox(people, "ana")
    gone = await client.get(f"/v3/packages/{package_id}/workflow", headers=people["ana"])
    assert gone.status_code == 403
    assert (await act(people, "ana", package_id, "approve")).status_code == 403
    assert package_id in await inbox(people, "carl")

    await Worker(context).run_until_idle()
    assert any("passed on" in s for s in mails_to(smtp_server, people.email("ana")))
    assert len(mails_to(smtp_server, people.email("carl"))) == 1
    # Bob waits: Dan takes his place, and hears of it when his turn opens, not before.
    to_dan = await client.put(
        f"/v3/packages/{package_id}/workflow/2/user",
        json={"user_email": people.email("dan")},
        headers=people.owner,
    )
    assert to_dan.status_code == 200, to_dan.text
    await Worker(context).run_until_idle()
    assert mails_to(smtp_server, people.email("dan")) == []
    assert (await act(people, "carl", package_id, "approve")).status_code == 200
    await Worker(context).run_until_idle()
    assert len(mails_to(smtp_server, people.email("dan"))) == 1

    # Carl has acted: he cannot be replaced any more.
    done = await client.put(path, json={"user_email": people.email("ana")}, headers=people.owner)
    assert (done.status_code, done.json()) == (403, NOT_ALLOWED)
    assert (await act(people, "dan", package_id, "approve")).status_code == 200
    assert await statuses(people, package_id) == ("COMPLETED", ["REVIEWED", "REVIEWED"])
    late = await client.put(
        f"/v3/packages/{package_id}/workflow/2/user",
        json={"user_email": people.email("bob")},
        headers=people.owner,
    )
    assert (late.status_code, late.json()) == (403, NOT_ALLOWED)


async def test_an_sms_opened_entry_needs_the_new_persons_number(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "carl")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "REVIEWER")])
    settings = {
        "authentication": {"enabled": True, "sms_otp": {"enabled": True, "mobile_number": "+111"}},
        "access_duration": {"enabled": False},
    }
    base = f"/v3/packages/{package_id}/workflow/1"
    assert (
        await client.put(f"{base}/authentication", json=settings, headers=people.owner)
    ).status_code == 200
    await share(people, package_id)
    sent = await client.post(f"{base}/authentication/otp", headers=people["ana"])
    assert sent.status_code == 200, sent.text
    before = await recipient_ids(context, package_id)

    no_number = await client.put(
        f"{base}/user", json={"user_email": people.email("carl")}, headers=people.owner
    )
    assert no_number.status_code == 400
    assert "mobile_number" in no_number.json()["Message"]
    users = (await client.get(f"{base.rsplit('/', 1)[0]}/users", headers=people.owner)).json()
    assert users[0]["user_email"] == people.email("ana")

    moved = await client.put(
        f"{base}/user",
        json={"user_email": people.email("carl"), "mobile_number": "+222"},
        headers=people.owner,
    )
    assert moved.status_code == 200, moved.text
    assert await recipient_ids(context, package_id) == {"carl": before["ana"]}
    read = (await client.get(f"{base}/authentication", headers=people.owner)).json()
    assert read["authentication"]["sms_otp"] == {"enabled": True, "mobile_number": "+222"}
    async with transaction(context.sessions) as session:
        codes = await session.scalars(
            select(OneTimeCode).where(OneTimeCode.recipient_id == before["ana"])
        )
        assert list(codes) == []  # Ana's code cannot open Carl's entry
    carl_opens = await client.get(f"/v3/packages/{package_id}/open", headers=people["carl"])
    assert carl_opens.status_code == 403  # he proves himself with his own code
    again = await client.post(f"{base}/authentication/otp", headers=people["carl"])
    assert again.status_code == 200, again.text
    async with transaction(context.sessions) as session:
        [code] = await session.scalars(
            select(OneTimeCode).where(OneTimeCode.recipient_id == before["ana"])
        )
        assert code.destination == "+222"
