"""enterprise/packages/{pid}: an administrator reads and terminates a user's package;
nobody else does, and another enterprise's package does not exist for them."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant, bearer
from tests.workflow.helpers import People, add_users, new_package, share, statuses

NOT_FOUND = {"Message": "Document not found"}
NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}


async def test_an_admin_reads_and_terminates_a_users_package(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    await share(people, package_id)
    admin = await bearer(client, tenant, tenant.admin_email)
    path = f"/v4/enterprise/packages/{package_id}"

    details = await client.get(path, headers=admin)
    assert details.status_code == 200, details.text
    body = details.json()
    assert (body["package_id"], body["package_owner"]) == (package_id, tenant.user_email)
    assert body["workflow"]["read_only"] is True
    assert [u["user_email"] for u in body["users"]] == [people.email("ana")]
    # The owner may use the enterprise path too; a plain user of the enterprise may not.
    assert (await client.get(path, headers=people.owner)).status_code == 200
    refused = await client.get(path, headers=people["ana"])
    assert (refused.status_code, refused.json()) == (403, NOT_ALLOWED)
    stranger = await bearer(client, other_tenant, other_tenant.admin_email)
    hidden = await client.get(path, headers=stranger)
    assert (hidden.status_code, hidden.json()) == (404, NOT_FOUND)
    assert (await client.post(path + "/complete", headers=stranger)).status_code == 404
    assert (await client.post(path + "/complete", headers=people["ana"])).status_code == 403

    completed = await client.post(path + "/complete", headers=admin)
    assert completed.status_code == 200, completed.text
    assert await statuses(people, package_id) == ("COMPLETED", ["SKIPPED"])
    # Terminating twice is harmless, a draft cannot be terminated.
    assert (await client.post(path + "/complete", headers=admin)).status_code == 200
    draft_id, _ = await new_package(people)
    draft = await client.post(f"/v4/enterprise/packages/{draft_id}/complete", headers=admin)
    assert draft.status_code == 403
