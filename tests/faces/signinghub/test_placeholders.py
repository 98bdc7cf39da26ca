"""Placeholders over the SigningHub face: added and changed by the owner, filled by the
owner or by the recipient just before it, and a step holding an unfilled one never opens."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    history_actions,
    new_package,
    package_events,
    statuses,
)

NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}


async def add_placeholder(people: People, package_id: int, title: str, **extra: object) -> None:
    response = await people.client.post(
        f"/v3/packages/{package_id}/workflow/placeholder",
        json=[{"placeholder": title, "role": "SIGNER", "email_notification": True, **extra}],
        headers=people.owner,
    )
    assert response.status_code == 200, response.text


async def signature_field(people: People, package_id: int, document_id: int, order: int) -> str:
    name = f"Signs{order}"
    response = await people.client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/digital_signature",
        json={
            "order": order,
            "page_no": 1,
            "field_name": name,
            "dimensions": {"x": 72, "y": 72 + 100 * order, "width": 150, "height": 50},
        },
        headers=people.owner,
    )
    assert response.status_code == 200, response.text
    return name


async def test_the_owner_adds_changes_and_fills_a_placeholder_before_sharing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    await add_placeholder(people, package_id, "Customer")
    users = await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    assert [
        (u["user_email"], u["user_name"], u["role"], u["placeholder"]) for u in users.json()
    ] == [("", "Customer", "SIGNER", "Customer")]
    changed = await client.put(
        f"/v3/packages/{package_id}/workflow/1/placeholder",
        json={"placeholder": "Buyer", "role": "REVIEWER"},
        headers=people.owner,
    )
    assert changed.status_code == 200, changed.text
    users = await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    assert [(u["user_name"], u["role"]) for u in users.json()] == [("Buyer", "REVIEWER")]

    # Its step is the first: nobody comes before it to fill it, so the share is refused.
    refused = await client.post(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert refused.status_code == 400
    assert refused.json()["Error"] == "placeholder_unfilled"
    assert "'Buyer' at order 1" in refused.json()["Message"]
    assert (await statuses(people, package_id))[0] == "DRAFT"

    # The client's path for the update (under /enterprise) fills it.
    filled = await client.put(
        f"/v4/enterprise/packages/{package_id}/workflow/1/placeholder",
        json={"user_email": people.email("ana"), "user_name": "Ana"},
        headers=people.owner,
    )
    assert filled.status_code == 200, filled.text
    shared = await client.post(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert shared.status_code == 200, shared.text
    assert await statuses(people, package_id) == ("SHARED", ["IN_PROGRESS"])
    actions = await history_actions(context, package_id)
    assert actions.index("PLACEHOLDERS_ADDED") < actions.index("PLACEHOLDER_UPDATED")
    assert actions.index("PLACEHOLDER_UPDATED") < actions.index("PLACEHOLDER_FILLED")
    # Once shared, its details are locked.
    locked = await client.put(
        f"/v3/packages/{package_id}/workflow/1/placeholder",
        json={"placeholder": "Late"},
        headers=people.owner,
    )
    assert locked.status_code == 403
    # A recipient who is not a placeholder cannot be changed through this call.
    other_id, _ = await new_package(people, name="Plain")
    await add_users(people, other_id, [("ana", "SIGNER")])
    plain = await client.put(
        f"/v3/packages/{other_id}/workflow/1/placeholder",
        json={"placeholder": "X"},
        headers=people.owner,
    )
    assert (plain.status_code, plain.json()) == (
        400,
        {"Message": "The user at the given order is not a placeholder"},
    )
    assert document_id


async def test_the_previous_recipient_fills_the_placeholder_on_their_turn(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cy")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("cy", "SIGNER")])
    await add_placeholder(people, package_id, "Witness")
    fields = [await signature_field(people, package_id, document_id, o) for o in (1, 2, 3)]
    shared = await client.post(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert shared.status_code == 200, shared.text
    sign = f"/v3/packages/{package_id}/documents/{document_id}/sign"
    placeholder = f"/v3/packages/{package_id}/workflow/3/placeholder"
    witness = {"user_email": people.email("ben"), "user_name": "Ben"}

    # Ana's turn: the Witness (order 3) is two steps away; she may not fill it.
    early = await client.put(placeholder, json=witness, headers=people["ana"])
    assert (early.status_code, early.json()) == (403, NOT_ALLOWED)
    assert (
        await client.post(sign, json={"field_name": fields[0]}, headers=people["ana"])
    ).is_success
    assert (await act(people, "ana", package_id, "finish")).status_code == 200

    # Cy's turn: the Witness is next. Cy may not rename it, Ana no longer may fill it.
    rename = await client.put(placeholder, json={"placeholder": "X"}, headers=people["cy"])
    assert rename.status_code == 403
    done = await client.put(placeholder, json=witness, headers=people["ana"])
    assert done.status_code == 403
    assert (
        await client.post(sign, json={"field_name": fields[1]}, headers=people["cy"])
    ).is_success
    refused = await act(people, "cy", package_id, "finish")
    assert refused.status_code == 400
    assert refused.json()["Error"] == "placeholder_unfilled"
    assert await statuses(people, package_id) == ("SHARED", ["SIGNED", "SIGNED", "UN_PROCESSED"])

    filled = await client.put(placeholder, json=witness, headers=people["cy"])
    assert filled.status_code == 200, filled.text
    events = await package_events(context, package_id)
    assert events[-1]["status"] == "NOTIFICATION"
    # Auco's NOTIFICATION body, naming the person who now holds the slot.
    assert events[-1]["signer"]["email"] == people.email("ben")
    assert "PLACEHOLDER_FILLED" in await history_actions(context, package_id)
    assert (await act(people, "cy", package_id, "finish")).status_code == 200
    # Ben's turn opened: the slot is his now, nobody may change who it is.
    again = await client.put(
        placeholder, json={"user_email": people.email("cy")}, headers=people.owner
    )
    assert again.status_code == 403
    assert (
        await client.post(sign, json={"field_name": fields[2]}, headers=people["ben"])
    ).is_success
    assert (await act(people, "ben", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == ("COMPLETED", ["SIGNED", "SIGNED", "SIGNED"])
