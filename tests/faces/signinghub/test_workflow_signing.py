"""Blind signing inside the workflow: checks, the signature itself, then finish."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant, sign_in
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    event_statuses,
    history_actions,
    new_package,
    share,
    statuses,
)

NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}


def box(x: float = 72, y: float = 72) -> dict[str, float]:
    return {"x": x, "y": y, "width": 150, "height": 50}


async def test_sign_then_finish_completes(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    fields = f"/v3/packages/{package_id}/documents/{document_id}/fields"
    for order, name, y in ((1, "AnaSigns", 72), (2, "BenSigns", 200)):
        response = await client.post(
            fields + "/digital_signature",
            json={"order": order, "page_no": 1, "field_name": name, "dimensions": box(y=y)},
            headers=people.owner,
        )
        assert response.json() == {"field_name": name}
    await share(people, package_id)
    sign = f"/v3/packages/{package_id}/documents/{document_id}/sign"
    original = (await client.get(f"/v3/packages/{package_id}", headers=people.owner)).content

    # Finishing before signing is refused; signing someone else's field is refused.
    assert (await act(people, "ana", package_id, "finish")).status_code == 400
    other = await client.post(sign, json={"field_name": "BenSigns"}, headers=people["ana"])
    assert (other.status_code, other.json()) == (403, NOT_ALLOWED)
    not_yet = await client.post(sign, json={"field_name": "BenSigns"}, headers=people["ben"])
    assert not_yet.status_code == 403
    # A token acting on the signer's behalf may not sign.
    scoped = await sign_in(client, tenant, tenant.admin_email, scope=people.email("ana"))
    refused = await client.post(
        sign,
        json={"field_name": "AnaSigns"},
        headers={"Authorization": f"Bearer {scoped['access_token']}"},
    )
    assert (refused.status_code, refused.json()) == (403, NOT_ALLOWED)

    response = await client.post(
        sign,
        json={"field_name": "AnaSigns", "signing_reason": "I agree", "signing_location": "Bogotá"},
        headers=people["ana"],
    )
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert await statuses(people, package_id) == ("SHARED", ["SIGNED", "UN_PROCESSED"])
    twice = await client.post(sign, json={"field_name": "AnaSigns"}, headers=people["ana"])
    assert twice.status_code == 403  # her signing turn is over
    signed = (await client.get(f"/v3/packages/{package_id}", headers=people.owner)).content
    assert signed != original
    assert signed.startswith(original[:8])
    # Until finish, the owner sees the package in progress.
    assert await event_statuses(context, package_id) == ["CREATE"]
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == ("SHARED", ["SIGNED", "IN_PROGRESS"])

    response = await client.post(sign, json={"field_name": "BenSigns"}, headers=people["ben"])
    assert response.status_code == 200, response.text
    assert (await act(people, "ben", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == ("COMPLETED", ["SIGNED", "SIGNED"])
    assert await event_statuses(context, package_id) == [
        "CREATE",
        "NOTIFICATION",
        "NOTIFICATION",
        "SIGNED_PACKAGE",
    ]
    assert (await history_actions(context, package_id)).count("DOCUMENT_SIGNED") == 2
    listed = (await client.get(f"{fields}", headers=people.owner)).json()["digital_signature"]
    assert [f["signed"] for f in listed] == [True, True]
