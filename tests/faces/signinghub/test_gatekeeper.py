"""Gatekeeper approve and decline: no Signflow workflow has a gatekeeper step, so both
are refused as for a package without one, and change nothing."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant, bearer
from tests.workflow.helpers import People, add_users, history_actions, new_package, share, statuses

NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}
NOT_FOUND = {"Message": "Document not found"}


async def test_no_package_has_a_gatekeeper(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    for action in ("approve", "decline"):
        path = f"/v4/packages/{package_id}/gatekeeper/{action}"
        draft = await client.post(path, json={"reason": "ok"}, headers=people.owner)
        assert (draft.status_code, draft.json()) == (403, NOT_ALLOWED)
        hidden = await client.post(path, headers=stranger)
        assert (hidden.status_code, hidden.json()) == (404, NOT_FOUND)
        unknown = await client.post(
            f"/v3/packages/999999/gatekeeper/{action}", headers=people.owner
        )
        assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    await share(people, package_id)
    before = await history_actions(context, package_id)
    for who in (people.owner, people["ana"]):
        for action in ("approve", "decline"):
            shared = await client.post(
                f"/v3/packages/{package_id}/gatekeeper/{action}", headers=who
            )
            assert (shared.status_code, shared.json()) == (403, NOT_ALLOWED)
    assert await statuses(people, package_id) == ("SHARED", ["IN_PROGRESS"])
    assert await history_actions(context, package_id) == before
