"""The status of a signature field (SigningHub's field status call)."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant, bearer
from tests.workflow.helpers import People, act, add_users, new_package, share


async def test_a_signature_field_reports_pending_signed_and_declined(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER", 1), ("ben", "SIGNER", 1)])
    fields = f"/v3/packages/{package_id}/documents/{document_id}/fields"
    for order, name, y in ((1, "AnaSigns", 72), (2, "BenSigns", 200)):
        placed = await client.post(
            f"{fields}/digital_signature",
            json={
                "order": order,
                "page_no": 1,
                "field_name": name,
                "dimensions": {"x": 72, "y": y, "width": 150, "height": 50},
            },
            headers=people.owner,
        )
        assert placed.status_code == 200, placed.text
    text = await client.post(
        f"{fields}/text",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "Note",
            "required": False,
            "dimensions": {"x": 72, "y": 400, "width": 150, "height": 20},
        },
        headers=people.owner,
    )
    assert text.status_code == 200, text.text
    await share(people, package_id)
    status_url = f"/v4/packages/{package_id}/documents/{document_id}/field/status"

    async def status(name: str, headers: dict[str, str]) -> httpx.Response:
        return await client.post(status_url, json={"field_name": name}, headers=headers)

    assert (await status("AnaSigns", people.owner)).json() == {"status": "PENDING"}
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "AnaSigns"},
        headers=people["ana"],
    )
    assert signed.status_code == 200, signed.text
    assert (await status("AnaSigns", people["ana"])).json() == {"status": "SIGNED"}
    assert (await status("BenSigns", people.owner)).json() == {"status": "PENDING"}
    declined = await act(people, "ben", package_id, "decline", {"reason": "Wrong rent"})
    assert declined.status_code == 200, declined.text
    assert (await status("BenSigns", people.owner)).json() == {"status": "DECLINED"}

    for name in ("NoSuchField", "Note"):
        missing = await status(name, people.owner)
        assert (missing.status_code, missing.json()) == (404, {"Message": "Field not found"})
    empty = await client.post(status_url, json={}, headers=people.owner)
    assert empty.status_code == 400
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    hidden = await status("AnaSigns", stranger)
    assert (hidden.status_code, hidden.json()) == (404, {"Message": "Document not found"})
