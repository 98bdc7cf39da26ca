"""The package list of a group recipient's members: each live member finds the package
(and counts it) as a single recipient would, the member who took the turn keeps it, a
withdrawn member no longer has it waiting."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.workflow.helpers import People, act, add_users, new_package, share
from tests.workflow.test_group_turns import group_package


async def listed(
    people: People, name: str, status: str = "ALL", version: str = "v3"
) -> tuple[dict[int, str], int]:
    """{package_id: package_status} of one page, and x-total-records."""
    response = await people.client.get(f"/{version}/packages/{status}/1/50", headers=people[name])
    assert response.status_code == 200, response.text
    return (
        {item["package_id"]: item["package_status"] for item in response.json()},
        int(response.headers["x-total-records"]),
    )


async def test_members_list_the_groups_package_until_one_takes_the_turn(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "dee")
    package_id = await group_package(people, [people.email("ana"), people.email("ben")], then="dee")
    for name in ("ana", "ben"):  # a draft is nobody's yet
        assert await listed(people, name) == ({}, 0)
    await share(people, package_id)

    for name in ("ana", "ben"):
        for version in ("v3", "v4"):
            assert await listed(people, name, version=version) == ({package_id: "PENDING"}, 1)
            assert await listed(people, name, "PENDING", version) == ({package_id: "PENDING"}, 1)
            assert await listed(people, name, "REVIEWED", version) == ({}, 0)
    unread = await client.get("/v4/packages/PENDING/1/50", headers=people["ben"])
    assert unread.json()[0]["unread"] is True
    assert await listed(people, "dee") == ({}, 0)  # not their turn yet

    approved = await act(people, "ana", package_id, "approve", {"reason": "Fine"})
    assert approved.status_code == 200, approved.text
    # Ana acted for the group: the package is hers, as reviewed, no longer waiting.
    assert await listed(people, "ana") == ({package_id: "REVIEWED"}, 1)
    assert await listed(people, "ana", "PENDING") == ({}, 0)
    assert await listed(people, "ana", "REVIEWED", "v4") == ({package_id: "REVIEWED"}, 1)
    # Ben's invitation was withdrawn: nothing waits for him any more.
    for status in ("ALL", "PENDING"):
        for version in ("v3", "v4"):
            assert await listed(people, "ben", status, version) == ({}, 0)
    assert await listed(people, "dee", "PENDING") == ({package_id: "PENDING"}, 1)

    # A recall gives the turn back to the whole group; sharing again invites both again.
    recalled = await client.delete(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert recalled.status_code == 200, recalled.text
    await share(people, package_id)
    assert await listed(people, "ben", "PENDING") == ({package_id: "PENDING"}, 1)


async def test_a_member_who_is_also_a_recipient_lists_the_package_once(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    created = await client.post(
        "/v4/settings/groups",
        json={"Name": "HR", "Members": [people.email("ana"), people.email("ben")]},
        headers=people.owner,
    )
    assert created.status_code == 200, created.text
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER", 1)])
    added = await client.post(
        f"/v3/packages/{package_id}/workflow/groups",
        json=[{"group_name": "HR", "role": "REVIEWER", "signing_order": 1}],
        headers=people.owner,
    )
    assert added.status_code == 200, added.text
    other_id, _ = await new_package(people, name="Only for Ben's group")
    await client.post(
        f"/v3/packages/{other_id}/workflow/groups",
        json=[{"group_name": "HR", "role": "REVIEWER"}],
        headers=people.owner,
    )
    await share(people, package_id)
    await share(people, other_id)

    expected = {other_id: "PENDING", package_id: "PENDING"}
    assert await listed(people, "ana") == (expected, 2)
    assert await listed(people, "ana", "PENDING", "v4") == (expected, 2)
    # Pages walk the merged list without a package twice.
    ids = []
    for page in (1, 2, 3):
        response = await client.get(f"/v3/packages/ALL/{page}/1", headers=people["ana"])
        assert response.headers["x-total-records"] == "2"
        ids += [item["package_id"] for item in response.json()]
    assert ids == [other_id, package_id]
    assert await listed(people, "ben", "PENDING") == (expected, 2)
    assert await listed(people, "ana", "SIGNED") == ({}, 0)
