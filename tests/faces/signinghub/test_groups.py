"""Recipient groups over the SigningHub face: personal and enterprise groups, and group
recipients added to and changed in a workflow, with the bad input each call refuses."""

from __future__ import annotations

import base64

import httpx
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import RecipientGroup, RecipientGroupMember, RecipientMember
from tests.factories import Tenant, bearer, make_tenant
from tests.workflow.helpers import People, add_users, history_actions, new_package, share

NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}
GROUP_NOT_FOUND = {"Message": "Group not found"}


def hr(people: People, *names: str) -> dict[str, object]:
    """A body as the erwinmintiens client sends it (add calls)."""
    return {
        "Name": "HR",
        "Description": "Human resources",
        "Members": [{"UserEmail": people.email(n), "UserName": n.title()} for n in names],
    }


async def add_personal(people: People, headers: dict[str, str], body: object) -> httpx.Response:
    return await people.client.post("/v4/settings/groups", json=body, headers=headers)


async def draft_for_hr(people: People) -> int:
    """A draft of the owner's whose one recipient is their personal group HR (Ana, Ben)."""
    assert (await add_personal(people, people.owner, hr(people, "ana", "ben"))).status_code == 200
    package_id, _ = await new_package(people)
    added = await people.client.post(
        f"/v3/packages/{package_id}/workflow/groups",
        json=[{"group_name": "HR"}],
        headers=people.owner,
    )
    assert added.status_code == 200
    return package_id


async def group_count(context: AppContext) -> tuple[int, int]:
    async with transaction(context.sessions) as session:
        groups = await session.scalar(select(func.count()).select_from(RecipientGroup))
        members = await session.scalar(select(func.count()).select_from(RecipientGroupMember))
        return int(groups or 0), int(members or 0)


async def test_a_user_keeps_personal_groups(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cy")
    added = await add_personal(people, people["ana"], hr(people, "ben", "cy"))
    assert added.status_code == 200, added.text
    group = added.json()
    assert group["Name"] == "HR" and group["Type"] == "PERSONAL"
    assert group["Description"] == "Human resources"
    assert group["Members"] == [
        {"UserEmail": people.email("ben"), "UserName": "Ben"},
        {"UserEmail": people.email("cy"), "UserName": "Cy"},
    ]
    group_id = group["Id"]

    read = await client.get(f"/v3/settings/groups/{group_id}", headers=people["ana"])
    assert read.status_code == 200 and read.json() == group

    # The client's update sends lower-case keys; members are replaced as a whole.
    changed = await client.put(
        f"/v3/settings/groups/{group_id}",
        json={"name": "People", "members": [people.email("cy")]},
        headers=people["ana"],
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["Name"] == "People"
    assert changed.json()["Description"] == "Human resources"
    assert [m["UserEmail"] for m in changed.json()["Members"]] == [people.email("cy")]

    # Another user of the same enterprise sees none of it.
    for method in ("GET", "PUT", "DELETE"):
        other = await client.request(
            method, f"/v3/settings/groups/{group_id}", json={"name": "X"}, headers=people["ben"]
        )
        assert (other.status_code, other.json()) == (404, GROUP_NOT_FOUND), method
    listed = await client.get("/v3/settings/groups/10/1", headers=people["ben"])
    assert listed.json() == [] and listed.headers["x-total-records"] == "0"

    deleted = await client.delete(f"/v3/settings/groups/{group_id}", headers=people["ana"])
    assert deleted.status_code == 200 and deleted.content == b""
    gone = await client.get(f"/v3/settings/groups/{group_id}", headers=people["ana"])
    assert gone.status_code == 404
    assert await group_count(context) == (0, 0)


async def test_bad_groups_are_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    twice = await add_personal(
        people,
        people["ana"],
        {"Name": "Twice", "Members": [people.email("ben"), people.email("ben").upper()]},
    )
    assert twice.status_code == 400
    assert twice.json() == {
        "Message": f"The member '{people.email('ben')}' is in the group twice",
        "Error": "duplicate_member",
    }
    empty = await add_personal(people, people["ana"], {"Name": "Empty", "Members": []})
    assert (empty.status_code, empty.json()["Error"]) == (400, "empty_group")
    bad_email = await add_personal(people, people["ana"], {"Name": "Bad", "Members": ["nope"]})
    assert bad_email.status_code == 400
    no_name = await add_personal(people, people["ana"], {"Members": [people.email("ben")]})
    assert no_name.status_code == 400
    assert await group_count(context) == (0, 0)

    assert (await add_personal(people, people["ana"], hr(people, "ben"))).status_code == 200
    again = await add_personal(people, people["ana"], hr(people, "ben"))
    assert (again.status_code, again.json()) == (
        409,
        {"Message": "A group named 'HR' already exists"},
    )
    # Another user may have their own group of that name.
    assert (await add_personal(people, people["ben"], hr(people, "ana"))).status_code == 200
    group_id = (await client.get("/v3/settings/groups/10/1", headers=people["ana"])).json()[0]["Id"]
    emptied = await client.put(
        f"/v3/settings/groups/{group_id}", json={"members": []}, headers=people["ana"]
    )
    assert emptied.status_code == 400
    assert (await client.get(f"/v3/settings/groups/{group_id}", headers=people["ana"])).json()[
        "Members"
    ][0]["UserEmail"] == people.email("ben")
    for page in ("0/1", "10/0", "101/1"):
        assert (
            await client.get(f"/v3/settings/groups/{page}", headers=people["ana"])
        ).status_code == 400


async def test_enterprise_groups_are_the_admins_to_change_and_everyones_to_use(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    admin = await bearer(client, tenant, tenant.admin_email)
    added = await client.post("/v4/enterprise/groups", json=hr(people, "ana", "ben"), headers=admin)
    assert added.status_code == 200, added.text
    group_id = added.json()["Id"]
    assert added.json()["Type"] == "ENTERPRISE"

    # A plain user may not use the enterprise calls.
    for method, path in (
        ("POST", "/v4/enterprise/groups"),
        ("GET", f"/v4/enterprise/groups/{group_id}"),
        ("PUT", f"/v4/enterprise/groups/{group_id}"),
        ("DELETE", f"/v4/enterprise/groups/{group_id}"),
    ):
        refused = await client.request(method, path, json=hr(people, "ana"), headers=people["ana"])
        assert (refused.status_code, refused.json()) == (403, NOT_ALLOWED), (method, path)

    # They see it among their groups, may read it, but not change it.
    personal = await add_personal(
        people, people["ana"], {"Name": "Mine", "Members": [people.email("ben")]}
    )
    assert personal.status_code == 200
    both = await client.get("/v3/settings/groups/10/1", headers=people["ana"])
    assert [(g["Name"], g["Type"]) for g in both.json()] == [
        ("HR", "ENTERPRISE"),
        ("Mine", "PERSONAL"),
    ]
    assert both.headers["x-total-records"] == "2"
    only_enterprise = await client.get(
        "/v3/settings/groups/10/1",
        headers={**people["ana"], "x-enterprise": base64.b64encode(b"true").decode()},
    )
    assert [g["Name"] for g in only_enterprise.json()] == ["HR"]
    searched = await client.get(
        "/v3/settings/groups/10/1", headers={**people["ana"], "x-search-text": "mi"}
    )
    assert [g["Name"] for g in searched.json()] == ["Mine"]
    read = await client.get(f"/v3/settings/groups/{group_id}", headers=people["ana"])
    assert read.status_code == 200
    for method in ("PUT", "DELETE"):
        refused = await client.request(
            method, f"/v3/settings/groups/{group_id}", json={"name": "X"}, headers=people["ana"]
        )
        assert (refused.status_code, refused.json()) == (403, NOT_ALLOWED)

    # The client's update sends capitalised keys.
    changed = await client.put(
        f"/v4/enterprise/groups/{group_id}",
        json={"Name": "Human resources", "Members": [{"UserEmail": people.email("ben")}]},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["Members"] == [{"UserEmail": people.email("ben"), "UserName": "Ben"}]

    # Another enterprise's admin is told the group does not exist.
    globex_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    for method in ("GET", "PUT", "DELETE"):
        foreign = await client.request(
            method, f"/v4/enterprise/groups/{group_id}", json={"Name": "X"}, headers=globex_admin
        )
        assert (foreign.status_code, foreign.json()) == (404, GROUP_NOT_FOUND), method
        foreign = await client.request(
            method, f"/v3/settings/groups/{group_id}", json={"name": "X"}, headers=globex_admin
        )
        assert foreign.status_code == 404, method
    assert (await client.get("/v3/settings/groups/10/1", headers=globex_admin)).json() == []

    deleted = await client.delete(f"/v4/enterprise/groups/{group_id}", headers=admin)
    assert deleted.status_code == 200
    assert (await client.get(f"/v4/enterprise/groups/{group_id}", headers=admin)).status_code == 404


async def test_groups_join_a_workflow_and_change_while_it_is_a_draft(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cy", "dee")
    owner = people.owner
    assert (await add_personal(people, owner, hr(people, "ana", "ben"))).status_code == 200
    admin = await bearer(client, tenant, tenant.admin_email)
    assert (
        await client.post(
            "/v4/enterprise/groups",
            json={"Name": "Legal", "Members": [people.email("cy"), people.email("dee")]},
            headers=admin,
        )
    ).status_code == 200
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("dee", "SIGNER")])
    added = await client.post(
        f"/v3/packages/{package_id}/workflow/groups",
        json=[{"group_name": "HR", "role": "REVIEWER", "email_notification": True}],
        headers=owner,
    )
    assert added.status_code == 200, added.text
    assert added.content == b""
    users = (await client.get(f"/v3/packages/{package_id}/workflow", headers=owner)).json()["users"]
    keys = ("order", "user_email", "user_name", "group_name", "group_members", "role")
    assert [tuple(u[k] for k in keys) for u in users] == [
        (1, people.email("dee"), "Dee", None, None, "SIGNER"),
        (2, "", "HR", "HR", [people.email("ana"), people.email("ben")], "REVIEWER"),
    ]

    # The client's path for the change; the workflow's users list shows it too.
    changed = await client.put(
        f"/v4/enterprise/packages/{package_id}/workflow/2/group",
        json={"group_name": "Legal", "role": "SIGNER", "signing_order": 1},
        headers=owner,
    )
    assert changed.status_code == 200, changed.text
    listed = (await client.get(f"/v3/packages/{package_id}/workflow/users", headers=owner)).json()
    assert (listed[1]["group_name"], listed[1]["group_members"], listed[1]["role"]) == (
        "Legal",
        [people.email("cy"), people.email("dee")],
        "SIGNER",
    )
    async with transaction(context.sessions) as session:
        members = await session.scalar(select(func.count()).select_from(RecipientMember))
    assert members == 2  # HR's members were replaced by Legal's

    not_a_group = await client.put(
        f"/v3/packages/{package_id}/workflow/1/group", json={"role": "SIGNER"}, headers=owner
    )
    assert (not_a_group.status_code, not_a_group.json()) == (
        400,
        {"Message": "The user at the given order is not a group"},
    )
    no_one = await client.put(
        f"/v3/packages/{package_id}/workflow/9/group", json={"role": "SIGNER"}, headers=owner
    )
    assert (no_one.status_code, no_one.json()) == (404, {"Message": "No user found at given order"})
    actions = await history_actions(context, package_id)
    assert actions.index("GROUPS_ADDED") < actions.index("WORKFLOW_GROUP_UPDATED")

    await share(people, package_id)
    for method, path, body in (
        ("POST", f"/v3/packages/{package_id}/workflow/groups", [{"group_name": "HR"}]),
        ("PUT", f"/v3/packages/{package_id}/workflow/2/group", {"role": "REVIEWER"}),
    ):
        locked = await client.request(method, path, json=body, headers=owner)
        assert (locked.status_code, locked.json()) == (
            403,
            {"Message": "You are not allowed to perform this action on locked workflow"},
        )


async def test_only_groups_the_caller_may_use_join_a_workflow(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    # Ana's personal group is hers alone; Globex's enterprise group is Globex's.
    assert (await add_personal(people, people["ana"], hr(people, "ben"))).status_code == 200
    globex_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    assert (
        await client.post(
            "/v4/enterprise/groups",
            json={"Name": "Globex", "Members": ["x@globex.test"]},
            headers=globex_admin,
        )
    ).status_code == 200
    package_id, _ = await new_package(people)
    for name in ("HR", "Globex", "Nobody"):
        refused = await client.post(
            f"/v3/packages/{package_id}/workflow/groups",
            json=[{"group_name": name}],
            headers=people.owner,
        )
        assert (refused.status_code, refused.json()) == (
            404,
            {"Message": "Group or contact not found"},
        ), name
    # Someone else's package: the guide's answers.
    ben_package, _ = await new_package(people, name="Ben's")
    assert (await add_personal(people, people.owner, hr(people, "ben"))).status_code == 200
    not_theirs = await client.post(
        f"/v3/packages/{ben_package}/workflow/groups",
        json=[{"group_name": "HR"}],
        headers=people["ana"],
    )
    assert (not_theirs.status_code, not_theirs.json()) == (
        403,
        {"Message": "Document does not belong to user"},
    )
    foreign = await client.post(
        f"/v3/packages/{ben_package}/workflow/groups",
        json=[{"group_name": "Globex"}],
        headers=globex_admin,
    )
    assert (foreign.status_code, foreign.json()) == (404, {"Message": "Document not found"})
    malformed = await client.post(
        f"/v3/packages/{ben_package}/workflow/groups",
        json={"group_name": "HR"},
        headers=people.owner,
    )
    assert malformed.status_code == 400
    async with transaction(context.sessions) as session:
        assert await session.scalar(select(func.count()).select_from(RecipientMember)) == 0


async def test_a_tenant_made_fresh_has_no_groups(client: httpx.AsyncClient, context: AppContext):
    tenant = await make_tenant(context, "Initech")
    headers = await bearer(client, tenant, tenant.user_email)
    listed = await client.get("/v4/settings/groups/20/1", headers=headers)
    assert (listed.status_code, listed.json()) == (200, [])


async def test_a_template_keeps_its_group_and_applying_it_adds_the_group(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "dee")
    owner = people.owner
    assert (await add_personal(people, owner, hr(people, "ana", "ben"))).status_code == 200
    source_id, _ = await new_package(people)
    await add_users(people, source_id, [("dee", "SIGNER")])
    added = await client.post(
        f"/v3/packages/{source_id}/workflow/groups",
        json=[{"group_name": "HR", "role": "REVIEWER"}],
        headers=owner,
    )
    assert added.status_code == 200
    saved = await client.post(
        "/v4/settings/templates",
        json={"package_id": source_id, "template_name": "Onboarding"},
        headers=owner,
    )
    assert saved.status_code == 200, saved.text
    template_id = saved.json()["template_id"]
    # The group changes later: the template version keeps the members it was saved with.
    group_id = (await client.get("/v3/settings/groups/10/1", headers=owner)).json()[0]["Id"]
    assert (
        await client.put(
            f"/v3/settings/groups/{group_id}",
            json={"members": [people.email("dee")]},
            headers=owner,
        )
    ).status_code == 200

    made = await client.post(
        f"/v4/settings/templates/{template_id}/packages", json={}, headers=owner
    )
    assert made.status_code == 200, made.text
    target_id, document_id = await new_package(people, name="Applied")
    applied = await client.post(
        f"/v3/packages/{target_id}/documents/{document_id[0]}/template",
        json={"template_name": "Onboarding"},
        headers=owner,
    )
    assert applied.status_code == 200, applied.text
    for package_id in (made.json()["package_id"], target_id):
        users = (
            await client.get(f"/v3/packages/{package_id}/workflow/users", headers=owner)
        ).json()
        assert [
            (u["user_email"], u["group_name"], u["group_members"], u["role"]) for u in users
        ] == [
            (people.email("dee"), None, None, "SIGNER"),
            ("", "HR", [people.email("ana"), people.email("ben")], "REVIEWER"),
        ]
    # The applied group works as one added by hand: a member acts for it.
    await share(people, target_id)
    assert (
        await client.post(f"/v3/packages/{target_id}/finish", headers=people["dee"])
    ).status_code == 200
    approved = await client.post(
        f"/v3/packages/{target_id}/approve", json={}, headers=people["ben"]
    )
    assert approved.status_code == 200, approved.text
    users = (await client.get(f"/v3/packages/{target_id}/workflow/users", headers=owner)).json()
    assert (users[1]["user_email"], users[1]["process_status"]) == (people.email("ben"), "REVIEWED")


async def test_a_person_named_in_a_groups_place_replaces_the_group(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "dee")
    package_id = await draft_for_hr(people)
    replaced = await client.put(
        f"/v3/packages/{package_id}/workflow/1/user",
        json={"user_email": people.email("dee")},
        headers=people.owner,
    )
    assert replaced.status_code == 200, replaced.text
    [user] = (
        await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    ).json()
    assert (user["user_email"], user["user_name"], user["group_name"], user["group_members"]) == (
        people.email("dee"),
        "Dee",
        None,
        None,
    )
    async with transaction(context.sessions) as session:
        assert await session.scalar(select(func.count()).select_from(RecipientMember)) == 0


async def test_a_shared_groups_place_is_not_handed_to_a_person(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "dee")
    package_id = await draft_for_hr(people)
    await share(people, package_id)
    replaced = await client.put(
        f"/v3/packages/{package_id}/workflow/1/user",
        json={"user_email": people.email("dee")},
        headers=people.owner,
    )
    assert replaced.status_code == 400, replaced.text
    assert "any one of its members acts for it" in replaced.json()["Message"]
    [user] = (
        await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    ).json()
    assert user["group_name"] == "HR"
    assert sorted(user["group_members"]) == sorted([people.email("ana"), people.email("ben")])
