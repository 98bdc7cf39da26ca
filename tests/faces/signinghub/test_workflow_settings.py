"""Workflow details, recipients (update, reorder, delete, settings) and the history log."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.workflow.helpers import People, add_users, new_package

NO_USER = {"Message": "No user found at given order"}


async def test_details_recipients_and_log(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cal")
    package_id, (document_id,) = await new_package(people)
    base = f"/v3/packages/{package_id}"
    response = await client.put(
        base + "/workflow",
        json={
            "workflow_mode": "ONLY_OTHERS",
            "message": "Please sign",
            "continue_on_decline": True,
        },
        headers=people.owner,
    )
    assert response.status_code == 200 and response.content == b""
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "REVIEWER"), ("cal", "EDITOR")])
    details = (await client.get(base + "/workflow", headers=people.owner)).json()
    assert details["workflow"] == {
        "workflow_type": "SERIAL",
        "workflow_mode": "ONLY_OTHERS",
        "continue_on_decline": True,
        "workflow_status": "DRAFT",
        "read_only": False,
        "message": "Please sign",
        "expires_on": None,
        "post_process": {
            "enabled": False,
            "contacts": [],
            "recipients": [],
            "workflow_recipients": False,
            "message": "",
            "google_drive": False,
            "dropbox": False,
        },
    }
    assert details["package_status"] == "DRAFT"
    assert [d["document_id"] for d in details["documents"]] == [document_id]
    assert [(u["order"], u["user_email"], u["role"]) for u in details["users"]] == [
        (1, people.email("ana"), "SIGNER"),
        (2, people.email("ben"), "REVIEWER"),
        (3, people.email("cal"), "EDITOR"),
    ]
    assert details["users"][1]["user_name"] == "Ben"

    missing = await client.put(
        base + "/workflow/9/user", json={"role": "SIGNER"}, headers=people.owner
    )
    assert (missing.status_code, missing.json()) == (404, NO_USER)
    # Giving cal ben's step turns the SERIAL workflow CUSTOM.
    response = await client.put(
        base + "/workflow/3/user",
        json={"signing_order": 2, "user_name": "Cal C."},
        headers=people.owner,
    )
    assert response.status_code == 200
    details = (await client.get(base + "/workflow", headers=people.owner)).json()
    assert details["workflow"]["workflow_type"] == "CUSTOM"
    assert details["users"][2]["user_name"] == "Cal C."

    assert (
        await client.put(base + "/workflow/3/reorder", json={"order": 1}, headers=people.owner)
    ).status_code == 200
    users = await client.get(base + "/workflow/users", headers=people.owner)
    assert users.headers["x-total-records"] == "3"
    assert [u["user_email"] for u in users.json()] == [
        people.email("cal"),
        people.email("ana"),
        people.email("ben"),
    ]
    assert (await client.delete(base + "/workflow/2", headers=people.owner)).status_code == 200
    assert (await client.delete(base + "/workflow/7", headers=people.owner)).json() == NO_USER
    users = (await client.get(base + "/workflow/users", headers=people.owner)).json()
    assert [(u["order"], u["user_email"]) for u in users] == [
        (1, people.email("cal")),
        (2, people.email("ben")),
    ]

    permissions = {
        "print": False,
        "download": True,
        "add_text": True,
        "add_attachment": False,
        "change_recipients": False,
    }
    response = await client.put(
        base + "/workflow/1/permissions",
        json={"apply_to_all": True, "permissions": permissions},
        headers=people.owner,
    )
    assert response.status_code == 200
    stored = (await client.get(base + "/workflow/2/permissions", headers=people.owner)).json()
    assert stored["permissions"] == permissions
    response = await client.put(
        base + "/workflow/1/authentication",
        json={
            "authentication": {
                "enabled": True,
                "password": {"enabled": True, "user_password": "s3cret!"},
            }
        },
        headers=people.owner,
    )
    assert response.status_code == 200
    auth = (await client.get(base + "/workflow/1/authentication", headers=people.owner)).json()
    assert auth["authentication"]["password"] == {"enabled": True, "user_password": None}

    log = await client.get(base + "/log", headers=people.owner)
    assert log.status_code == 200
    actions = log.json()["actions"]
    assert actions[0]["action_type"] == "PACKAGE_CREATED"
    assert actions[0]["user_email"] == tenant.user_email
    assert "USER_AUTHENTICATION_UPDATED" in [a["action_type"] for a in actions]
    last = actions[-1]
    details_response = await client.get(
        f"{base}/log/{last['log_id']}/details", headers=people.owner
    )
    assert details_response.status_code == 200
    entry = details_response.json()
    assert entry["action_type"] == "USER_AUTHENTICATION_UPDATED"
    assert entry["ip_address"] is not None
    assert "s3cret" not in str(entry)
    assert (await client.get(f"{base}/log/999999/details", headers=people.owner)).status_code == 404
    # A user of the enterprise who is not part of it may not read the log.
    outsider = await client.get(base + "/log", headers=people["ana"])
    assert (outsider.status_code, outsider.json()) == (
        403,
        {"Message": "Document does not belong to user"},
    )
