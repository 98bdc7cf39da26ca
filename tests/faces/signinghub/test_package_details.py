"""GET packages/{pid}/details: the package as the list shows it, with its workflow."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant, bearer
from tests.workflow.helpers import People, add_users, new_package, share

NOT_FOUND = {"Message": "Document not found"}


async def test_details_carry_the_list_item_and_the_workflow(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "bob")
    package_id, (document_id,) = await new_package(people)
    path = f"/v4/packages/{package_id}/details"

    draft = await client.get(path, headers=people.owner)
    assert draft.status_code == 200, draft.text
    assert draft.json()["package_status"] == "DRAFT"
    assert draft.json()["workflow"]["read_only"] is False

    await add_users(people, package_id, [("ana", "SIGNER")])
    await share(people, package_id)
    details = (await client.get(path, headers=people.owner)).json()
    listed = (await client.get("/v4/packages/ALL/1/10", headers=people.owner)).json()
    [item] = [i for i in listed if i["package_id"] == package_id]
    for key, value in item.items():
        assert details[key] == value, key
    assert [d["document_id"] for d in details["documents"]] == [document_id]
    assert [u["user_email"] for u in details["users"]] == [people.email("ana")]
    assert details["workflow"]["post_process"]["enabled"] is False
    workflow = await client.get(f"/v4/packages/{package_id}/workflow", headers=people.owner)
    assert details == workflow.json() | {"tags": []}

    # The recipient reads it too, with the status their list shows; nobody else does,
    # in this enterprise or another.
    theirs = await client.get(path, headers=people["ana"])
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["package_status"] == "PENDING"
    outsider = await client.get(path, headers=people["bob"])
    assert (outsider.status_code, outsider.json()) == (
        403,
        {"Message": "Document does not belong to user"},
    )
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    hidden = await client.get(path, headers=stranger)
    assert (hidden.status_code, hidden.json()) == (404, NOT_FOUND)
    unknown = await client.get("/v3/packages/999999/details", headers=people.owner)
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
