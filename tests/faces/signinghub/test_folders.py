"""PUT packages/{pid}/move_to: a user's own folders, honoured by the package list's
x-folder and shown as the package's folder; shared spaces are not offered."""

from __future__ import annotations

import base64

import httpx

from signflow.context import AppContext
from tests.factories import Tenant, bearer
from tests.workflow.helpers import People, add_users, history_actions, new_package, share

NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], folder: str | None = None
) -> tuple[list[int], int, dict[int, str]]:
    extra = {"x-folder": folder} if folder is not None else {}
    response = await client.get("/v4/packages/ALL/1/50", headers=headers | extra)
    assert response.status_code == 200, response.text
    items = response.json()
    ids = [i["package_id"] for i in items]
    return (
        ids,
        int(response.headers["x-total-records"]),
        {i["package_id"]: i["folder"] for i in items},
    )


async def test_packages_move_between_a_users_own_folders(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "bob")
    first, _ = await new_package(people, name="First")
    second, _ = await new_package(people, name="Second")
    await add_users(people, first, [("ana", "SIGNER")])
    await share(people, first)
    owner = people.owner

    moved = await client.put(
        f"/v4/packages/{first}/move_to", json={"folder": "Contracts 2026"}, headers=owner
    )
    assert (moved.status_code, moved.content) == (200, b"")
    assert await listed(client, owner) == ([second], 1, {second: "INBOX"})
    inside = ([first], 1, {first: "Contracts 2026"})
    assert await listed(client, owner, "Contracts 2026") == inside
    assert await listed(client, owner, b64("Contracts 2026")) == inside
    details = await client.get(f"/v3/packages/{first}/workflow", headers=owner)
    assert details.json()["folder"] == "Contracts 2026"
    assert (await history_actions(context, first))[-1] == "PACKAGE_MOVED"

    # Folders are each user's own: Ana still finds it in her INBOX, and files it herself.
    assert (await listed(client, people["ana"]))[0] == [first]
    mine = await client.put(
        f"/v3/packages/{first}/move_to", json={"folder_name": "Mine"}, headers=people["ana"]
    )
    assert mine.status_code == 200, mine.text
    assert (await listed(client, people["ana"], "Mine"))[0] == [first]
    assert (await listed(client, people["ana"]))[0] == []
    assert (await listed(client, owner, "Contracts 2026"))[0] == [first]
    nope = await client.get("/v4/packages/ALL/1/50", headers=people["bob"] | {"x-folder": "Mine"})
    assert nope.status_code == 400

    bad = {
        "archive": ({"folder": "archive"}, 400),
        "empty": ({"folder": "  "}, 400),
        "no folder": ({}, 400),
        "too long": ({"folder": "x" * 101}, 400),
        "shared space": ({"shared_space_id": 7}, 403),
    }
    for case, (body, status) in bad.items():
        response = await client.put(f"/v4/packages/{second}/move_to", json=body, headers=owner)
        assert response.status_code == status, (case, response.text)
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    hidden = await client.put(
        f"/v4/packages/{second}/move_to", json={"folder": "X"}, headers=stranger
    )
    assert (hidden.status_code, hidden.json()) == (404, {"Message": "Document not found"})
    outsider = await client.put(
        f"/v4/packages/{second}/move_to", json={"folder": "X"}, headers=people["bob"]
    )
    assert outsider.status_code == 403
    unknown = await client.put("/v4/packages/999999/move_to", json={"folder": "X"}, headers=owner)
    assert unknown.status_code == 404
    assert (await listed(client, owner))[0] == [second]

    # Back to the INBOX: the folder, now empty, is gone.
    back = await client.put(
        f"/v4/packages/{first}/move_to", json={"folder": "INBOX"}, headers=owner
    )
    assert back.status_code == 200, back.text
    assert await listed(client, owner) == ([second, first], 2, {second: "INBOX", first: "INBOX"})
    gone = await client.get("/v4/packages/ALL/1/50", headers=owner | {"x-folder": "Contracts 2026"})
    assert gone.status_code == 400
    assert "Unknown folder" in gone.json()["Message"]


async def test_shared_spaces_are_not_offered(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.user_email)
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(method, "/v4/shared_spaces/12", headers=headers)
        assert (response.status_code, response.json()) == (403, NOT_ALLOWED), method
        anonymous = await client.request(method, "/v3/shared_spaces/12")
        assert anonymous.status_code == 401
