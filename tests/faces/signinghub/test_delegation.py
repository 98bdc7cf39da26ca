"""Personal delegation of signing (settings/delegate): the settings, and a turn that opens
for someone away going to their delegate, with the history and the notification."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Recipient
from tests.factories import Tenant
from tests.workflow.helpers import (
    People,
    add_users,
    history_actions,
    inbox,
    jobs,
    new_package,
    share,
)


async def test_delegation_settings_round_trip_and_refuse_bad_delegates(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    url = "/v4/settings/delegate"
    assert (await client.get(url, headers=people["ana"])).json() == {
        "enabled": False,
        "delegate": None,
    }
    saved = await client.put(
        url,
        json={
            "enabled": True,
            "delegate": {
                "user_email": people.email("ben").upper(),
                "user_name": "Ben",
                "from": "2026-01-01T00:00:00Z",
                "to": "2030-12-31T23:59:59Z",
            },
        },
        headers=people["ana"],
    )
    assert saved.status_code == 200, saved.text
    body = (await client.get(url, headers=people["ana"])).json()
    assert body["enabled"] is True
    assert body["delegate"]["user_email"] == people.email("ben")
    assert body["delegate"]["user_name"] == "Ben"
    assert body["delegate"]["from"].startswith("2026-01-01T00:00:00")
    assert body["delegate"]["to"].startswith("2030-12-31T23:59:59")

    refused = {
        "another enterprise's user": {"delegate": {"user_email": other_tenant.user_email}},
        "oneself": {"delegate": {"user_email": people.email("ana")}},
        "an inverted period": {"delegate": {"from": "2031-01-01", "to": "2030-01-01"}},
        "a wrong date": {"delegate": {"from": "someday"}},
    }
    for case, sent in refused.items():
        response = await client.put(url, json=sent, headers=people["ana"])
        assert response.status_code == 400, (case, response.text)
        assert "Message" in response.json()
    nobody = await client.put(url, json={"enabled": True}, headers=people["ben"])
    assert (nobody.status_code, nobody.json()["Message"]) == (
        400,
        "delegate.user_email is required to enable delegation",
    )
    off = await client.put(url, json={"enabled": False}, headers=people["ana"])
    assert off.status_code == 200
    assert (await client.get(url, headers=people["ana"])).json()["enabled"] is False


async def test_a_turn_for_someone_away_goes_to_their_delegate(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cleo")
    now = dt.datetime.now(dt.UTC)
    away = {
        "enabled": True,
        "delegate": {
            "user_email": people.email("ben"),
            "from": (now - dt.timedelta(days=1)).isoformat(),
            "to": (now + dt.timedelta(days=7)).isoformat(),
        },
    }
    assert (await client.put("/v4/settings/delegate", json=away, headers=people["ana"])).is_success
    # Cleo's delegation is over: her turn stays hers.
    past = {
        "enabled": True,
        "delegate": {
            "user_email": people.email("ben"),
            "from": (now - dt.timedelta(days=9)).isoformat(),
            "to": (now - dt.timedelta(days=2)).isoformat(),
        },
    }
    assert (await client.put("/v4/settings/delegate", json=past, headers=people["cleo"])).is_success
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER", 1), ("cleo", "SIGNER", 1)])

    await share(people, package_id)

    users = (await client.get(f"/v4/packages/{package_id}/workflow", headers=people.owner)).json()[
        "users"
    ]
    assert [u["user_email"] for u in users] == [people.email("ben"), people.email("cleo")]
    assert package_id in await inbox(people, "ben")
    assert package_id not in await inbox(people, "ana")
    assert "RECIPIENT_DELEGATED" in await history_actions(context, package_id)
    log = (await client.get(f"/v4/packages/{package_id}/log", headers=people.owner)).json()
    handed = next(a for a in log["actions"] if a["action_type"] == "RECIPIENT_DELEGATED")
    details = (
        await client.get(
            f"/v4/packages/{package_id}/log/{handed['log_id']}/details", headers=people.owner
        )
    ).json()["details"]
    values = {d["key"]: d["value"] for d in details}
    assert (values["delegator"], values["delegate"]) == (people.email("ana"), people.email("ben"))
    # The turn's notification goes to the recipient entry, now the delegate's.
    notified = {j.payload["recipient_id"] for j in await jobs(context, "email.turn_opened")}
    async with transaction(context.sessions) as session:
        emails = set(
            await session.scalars(select(Recipient.email).where(Recipient.id.in_(notified)))
        )
    assert emails == {people.email("ben"), people.email("cleo")}
