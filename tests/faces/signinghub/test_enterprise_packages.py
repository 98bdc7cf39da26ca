"""enterprise/packages/{pid}: an administrator reads and terminates a user's package;
nobody else does, and another enterprise's package does not exist for them."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Recipient
from tests.factories import Tenant, bearer
from tests.workflow.helpers import (
    People,
    add_users,
    history_actions,
    new_package,
    share,
    statuses,
)

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


async def test_an_admin_sets_a_recipients_authentication(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "bob")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("bob", "SIGNER")])
    admin = await bearer(client, tenant, tenant.admin_email)
    base = f"/v4/enterprise/packages/{package_id}/workflow"
    path = f"{base}/1/authentication"
    settings = {
        "authentication": {
            "enabled": True,
            "password": {"enabled": True, "user_password": "s3cret-Pass"},
            "sms_otp": {"enabled": False, "mobile_number": None},
        },
        "access_duration": {"enabled": False},
    }

    saved = await client.put(path, json=settings, headers=admin)
    assert (saved.status_code, saved.content) == (200, b"")
    read = await client.get(path, headers=admin)
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["authentication"]["enabled"] is True
    assert body["authentication"]["password"] == {"enabled": True, "user_password": None}
    # The same settings as the package-level call sees, the password kept only as a hash.
    own = await client.get(
        f"/v4/packages/{package_id}/workflow/1/authentication", headers=people.owner
    )
    assert own.json() == body
    async with transaction(context.sessions) as session:
        stored = await session.scalar(
            select(Recipient.authentication).where(
                Recipient.package_id == package_id, Recipient.position == 1
            )
        )
    assert "s3cret-Pass" not in json.dumps(stored)
    assert "USER_AUTHENTICATION_UPDATED" in await history_actions(context, package_id)
    second = await client.get(f"{base}/2/authentication", headers=admin)
    assert second.json()["authentication"]["enabled"] is False

    # Only the owner or an admin of the enterprise; another enterprise sees nothing.
    assert (await client.get(path, headers=people["ana"])).json() == NOT_ALLOWED
    assert (await client.put(path, json=settings, headers=people["bob"])).status_code == 403
    stranger = await bearer(client, other_tenant, other_tenant.admin_email)
    for response in (
        await client.get(path, headers=stranger),
        await client.put(path, json=settings, headers=stranger),
        await client.get("/v4/enterprise/packages/999999/workflow/1/authentication", headers=admin),
    ):
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    missing = await client.get(f"{base}/9/authentication", headers=admin)
    assert (missing.status_code, missing.json()) == (
        404,
        {"Message": "No user found at given order"},
    )

    await share(people, package_id)
    locked = await client.put(path, json=settings, headers=admin)
    assert (locked.status_code, locked.json()) == (
        403,
        {"Message": "You are not allowed to perform this action on locked workflow"},
    )
    assert (await client.get(path, headers=admin)).status_code == 200
