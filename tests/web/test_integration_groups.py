"""Integration links for a group recipient's member: the member gets a link of their own,
which acts as them for the group, as their e-mailed link does."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.workflow.helpers import People, share, statuses
from tests.workflow.test_group_turns import group_package, taken_entries


async def integration_url(people: People, package_id: int, email: str) -> httpx.Response:
    return await people.client.post(
        "/v4/links/integration",
        json={"package_id": package_id, "user_email": email},
        headers=people.owner,
    )


def csrf_of(html: str, action: str) -> str:
    marker = 'name="csrf" value="'
    at = html.index(marker, html.index(f'action="{action}"')) + len(marker)
    return html[at : html.index('"', at)]


async def test_a_member_of_an_untaken_group_gets_their_own_integration_link(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start()
    package_id = await group_package(people, ["kim@example.com", "lou@example.com"])
    await share(people, package_id)

    asked = await integration_url(people, package_id, "Lou@Example.com")
    assert asked.status_code == 200, asked.text
    path = asked.json()["url"].removeprefix("http://testserver")
    shown = await client.get(path)
    assert shown.status_code == 200, shown.text
    token = path.rsplit("/", 1)[1]
    opened = await client.post("/web/integration", data={"token": token})
    assert opened.status_code == 303, opened.text
    page = await client.get("/web/package")
    assert page.status_code == 200, page.text
    approved = await client.post(
        "/web/package/approve", data={"csrf": csrf_of(page.text, "/web/package/approve")}
    )
    assert approved.status_code == 303, approved.text
    # Lou acted for the group through the link: the turn is Lou's, Kim's withdrawn.
    assert await statuses(people, package_id) == ("COMPLETED", ["REVIEWED"])
    [taken] = await taken_entries(context, package_id)
    assert (taken["user_email"], taken["withdrawn"]) == (
        "lou@example.com",
        [{"email": "kim@example.com"}],
    )
    client.cookies.clear()

    # Kim's invitation is withdrawn: no link for Kim; Lou, now the recipient, still gets one.
    withdrawn = await integration_url(people, package_id, "kim@example.com")
    assert withdrawn.status_code == 404
    assert withdrawn.json()["Message"] == "No user found with the given email in this package"
    assert (await integration_url(people, package_id, "lou@example.com")).status_code == 200
    stranger = await integration_url(people, package_id, "zed@example.com")
    assert stranger.status_code == 404


async def test_a_members_integration_link_is_theirs_not_the_groups(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    """Two members' links open the group's page each as its own member."""
    people = await People(client, context, tenant).start()
    package_id = await group_package(people, ["kim@example.com", "lou@example.com"])
    await share(people, package_id)
    kim = (await integration_url(people, package_id, "kim@example.com")).json()["url"]
    lou = (await integration_url(people, package_id, "lou@example.com")).json()["url"]
    assert kim != lou
    token = kim.rsplit("/", 1)[1]
    assert (await client.post("/web/integration", data={"token": token})).status_code == 303
    page = await client.get("/web/package")
    declined = await client.post(
        "/web/package/decline",
        data={"csrf": csrf_of(page.text, "/web/package/decline"), "reason": "No"},
    )
    assert declined.status_code == 303, declined.text
    [taken] = await taken_entries(context, package_id)
    assert taken["user_email"] == "kim@example.com"
