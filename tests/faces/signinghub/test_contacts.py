"""Contacts over the SigningHub face: personal contacts (`settings/contacts`), the
enterprise's (`enterprise/contacts`, kept by admins), searching and paging, and adding a
recipient by contact. Bad input answers 4xx in the dialect's shape and changes nothing."""

from __future__ import annotations

import base64

import httpx
import pytest
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Contact, PasswordReset
from tests.accounts.helpers import send_mail
from tests.factories import Tenant, add_user, bearer, create_package, sign_in

NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}
NOT_FOUND = {"Message": "Contact not found"}


async def contact_count(context: AppContext) -> int:
    async with transaction(context.sessions) as session:
        return int(await session.scalar(select(func.count()).select_from(Contact)) or 0)


async def add(
    client: httpx.AsyncClient, headers: dict[str, str], email: str, name: str, path: str
) -> httpx.Response:
    return await client.post(path, json={"user_email": email, "user_name": name}, headers=headers)


@pytest.mark.parametrize("version", ["v3", "v4"])
async def test_personal_contacts_are_added_listed_searched_updated_and_deleted(
    client: httpx.AsyncClient, tenant: Tenant, version: str
):
    user = await bearer(client, tenant, tenant.user_email)
    path = f"/{version}/settings/contacts"
    added = await add(client, user, "Zoe@Example.test", "Zoe Zed", path)
    assert added.status_code == 200, added.text
    zoe = added.json()
    assert zoe["user_email"] == "zoe@example.test"
    assert zoe["user_name"] == "Zoe Zed"
    assert zoe["enterprise"] is False
    await add(client, user, "adam@example.test", "Adam Ant", path)
    await add(client, user, "mia@example.test", "Mia Moe", path)

    page = await client.get(f"{path}/2/1", headers=user)
    assert page.status_code == 200
    assert page.headers["x-total-records"] == "3"
    assert [c["user_name"] for c in page.json()] == ["Adam Ant", "Mia Moe"]
    second = await client.get(f"{path}/2/2", headers=user)
    assert [c["user_name"] for c in second.json()] == ["Zoe Zed"]

    # The guide sends the search text in base64; plain text works as well.
    for header in (base64.b64encode(b"zed").decode(), "ZED", "zoe@"):
        found = await client.get(f"{path}/10/1", headers={**user, "x-search-text": header})
        assert [c["user_email"] for c in found.json()] == ["zoe@example.test"], header

    updated = await client.put(
        f"{path}/{zoe['contact_id']}",
        json={"user_name": "Zoe Z.", "mobile_number": "+32470000000"},
        headers=user,
    )
    assert updated.status_code == 200
    assert updated.json()["user_name"] == "Zoe Z."
    assert updated.json()["mobile_number"] == "+32470000000"
    assert updated.json()["user_email"] == "zoe@example.test"

    deleted = await client.delete(f"{path}/{zoe['contact_id']}", headers=user)
    assert deleted.status_code == 200
    assert deleted.content == b""
    listed = await client.get(f"{path}/10/1", headers=user)
    assert listed.headers["x-total-records"] == "2"


async def test_a_duplicate_address_is_a_conflict_and_adds_nothing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    user = await bearer(client, tenant, tenant.user_email)
    await add(client, user, "zoe@example.test", "Zoe", "/v4/settings/contacts")
    again = await add(client, user, "ZOE@example.test ", "Zoe again", "/v4/settings/contacts")
    assert again.status_code == 409
    assert again.json() == {
        "Message": "A contact with email 'zoe@example.test' already exists",
        "Error": "duplicate_contact",
    }
    assert await contact_count(context) == 1
    # Another user's list, and the enterprise's, are other lists: the address may be there.
    admin = await bearer(client, tenant, tenant.admin_email)
    mine = await add(client, admin, "zoe@example.test", "Zoe", "/v4/settings/contacts")
    shared = await add(client, admin, "zoe@example.test", "Zoe", "/v4/enterprise/contacts")
    assert (mine.status_code, shared.status_code) == (200, 200)
    twice = await add(client, admin, "zoe@example.test", "Zoe", "/v4/enterprise/contacts")
    assert twice.status_code == 409
    assert await contact_count(context) == 3


@pytest.mark.parametrize(
    "body",
    [
        {"user_name": "No address"},
        {"user_email": "not-an-address", "user_name": "X"},
        {"user_email": "x@example.test", "user_name": "X" * 201},
        [],
    ],
)
async def test_malformed_contacts_are_refused(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, body: object
):
    user = await bearer(client, tenant, tenant.user_email)
    response = await client.post("/v4/settings/contacts", json=body, headers=user)
    assert response.status_code == 400, response.text
    assert "Message" in response.json()
    assert await contact_count(context) == 0


async def test_bad_pages_are_refused(client: httpx.AsyncClient, tenant: Tenant):
    user = await bearer(client, tenant, tenant.user_email)
    for path, text in [
        ("0/1", "records_per_page must be between 1 and 100"),
        ("101/1", "records_per_page must be between 1 and 100"),
        ("10/0", "page_no must be 1 or more"),
    ]:
        response = await client.get(f"/v4/settings/contacts/{path}", headers=user)
        assert response.status_code == 400
        assert response.json() == {"Message": text}
    bad_flag = await client.get(
        "/v4/settings/contacts/10/1", headers={**user, "x-enterprise": "maybe"}
    )
    assert bad_flag.status_code == 400


async def test_enterprise_contacts_are_kept_by_admins_and_seen_by_every_user(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    admin = await bearer(client, tenant, tenant.admin_email)
    user = await bearer(client, tenant, tenant.user_email)
    shared = await add(client, admin, "legal@acme.test", "Legal", "/v4/enterprise/contacts")
    assert shared.status_code == 200
    assert shared.json()["enterprise"] is True
    contact_id = shared.json()["contact_id"]
    await add(client, user, "mine@example.test", "Mine", "/v4/settings/contacts")

    both = await client.get("/v4/settings/contacts/10/1", headers=user)
    assert [c["user_email"] for c in both.json()] == ["legal@acme.test", "mine@example.test"]
    only_enterprise = await client.get(
        "/v4/settings/contacts/10/1", headers={**user, "x-enterprise": "true"}
    )
    assert [c["user_email"] for c in only_enterprise.json()] == ["legal@acme.test"]
    only_personal = await client.get(
        "/v4/settings/contacts/10/1", headers={**user, "x-enterprise": "false"}
    )
    assert [c["user_email"] for c in only_personal.json()] == ["mine@example.test"]
    listed = await client.get("/v4/enterprise/contacts/10/1", headers=user)
    assert [c["user_email"] for c in listed.json()] == ["legal@acme.test"]

    # A user may neither add, change nor delete an enterprise contact, nor reach it
    # through the personal routes.
    refused = [
        await add(client, user, "x@acme.test", "X", "/v4/enterprise/contacts"),
        await client.put(
            f"/v4/enterprise/contacts/{contact_id}", json={"user_name": "Hacked"}, headers=user
        ),
        await client.delete(f"/v4/enterprise/contacts/{contact_id}", headers=user),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert all(r.json() == NOT_ALLOWED for r in refused)
    for response in (
        await client.put(
            f"/v4/settings/contacts/{contact_id}", json={"user_name": "Hacked"}, headers=user
        ),
        await client.delete(f"/v4/settings/contacts/{contact_id}", headers=user),
    ):
        assert response.status_code == 404
        assert response.json() == NOT_FOUND

    renamed = await client.put(
        f"/v4/enterprise/contacts/{contact_id}", json={"user_name": "Legal team"}, headers=admin
    )
    assert renamed.json()["user_name"] == "Legal team"
    assert (await client.delete(f"/v4/enterprise/contacts/{contact_id}", headers=admin)).is_success
    assert await contact_count(context) == 1


async def test_another_users_and_another_enterprises_contacts_do_not_exist_for_the_caller(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    user = await bearer(client, tenant, tenant.user_email)
    admin = await bearer(client, tenant, tenant.admin_email)
    mine = (await add(client, user, "zoe@example.test", "Zoe", "/v4/settings/contacts")).json()
    theirs = (await add(client, admin, "legal@acme.test", "L", "/v4/enterprise/contacts")).json()
    for who in (
        await bearer(client, other_tenant, other_tenant.admin_email),
        await bearer(client, other_tenant, other_tenant.user_email),
    ):
        listed = await client.get("/v4/settings/contacts/10/1", headers=who)
        assert listed.json() == []
        assert (await client.get("/v4/enterprise/contacts/10/1", headers=who)).json() == []
        for contact_id, kind in (
            (mine["contact_id"], "settings"),
            (theirs["contact_id"], "enterprise"),
        ):
            path = f"/v4/{kind}/contacts/{contact_id}"
            changed = await client.put(path, json={"user_name": "Mine now"}, headers=who)
            removed = await client.delete(path, headers=who)
            assert changed.status_code in (403, 404)
            assert removed.status_code in (403, 404)
    # The admin of the same enterprise does not see a user's personal contacts either.
    assert (
        await client.put(
            f"/v4/settings/contacts/{mine['contact_id']}", json={"user_name": "X"}, headers=admin
        )
    ).status_code == 404
    assert await contact_count(context) == 2
    async with transaction(context.sessions) as session:
        names = set(await session.scalars(select(Contact.name)))
    assert names == {"Zoe", "L"}


async def test_a_recipient_is_added_by_contact(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    owner = await bearer(client, tenant, tenant.user_email)
    admin = await bearer(client, tenant, tenant.admin_email)
    zoe = (
        await client.post(
            "/v4/settings/contacts",
            json={"user_email": "zoe@example.test", "user_name": "Zoe", "mobile_number": "+3247"},
            headers=owner,
        )
    ).json()
    legal = (await add(client, admin, "legal@acme.test", "Legal", "/v4/enterprise/contacts")).json()
    package_id = await create_package(client, owner)
    users = f"/v4/packages/{package_id}/workflow/users"
    added = await client.post(
        users,
        json=[
            {"contact_id": zoe["contact_id"], "role": "SIGNER"},
            {"contact_id": legal["contact_id"], "user_name": "Our lawyers", "role": "REVIEWER"},
            {"user_email": "plain@example.test", "user_name": "Plain"},
        ],
        headers=owner,
    )
    assert added.status_code == 200, added.text
    listed = (await client.get(users, headers=owner)).json()
    assert [(u["user_email"], u["user_name"], u["role"], u["mobile_number"]) for u in listed] == [
        ("zoe@example.test", "Zoe", "SIGNER", "+3247"),
        ("legal@acme.test", "Our lawyers", "REVIEWER", None),
        ("plain@example.test", "Plain", "SIGNER", None),
    ]

    # Another enterprise's contact, an unknown one, a contact with a different address,
    # or an item naming nobody: refused, and no recipient is added.
    other_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    foreign = (
        await add(client, other_admin, "x@other.test", "X", "/v4/enterprise/contacts")
    ).json()
    for item, status, text in [
        ({"contact_id": foreign["contact_id"]}, 404, "Contact not found"),
        ({"contact_id": 999999}, 404, "Contact not found"),
        (
            {"contact_id": zoe["contact_id"], "user_email": "someone@else.test"},
            400,
            f"user_email does not match the address of contact {zoe['contact_id']}",
        ),
        ({"user_name": "Nobody"}, 400, "Each user needs user_email or contact_id"),
    ]:
        response = await client.post(
            users, json=[{"user_email": "first@example.test"}, item], headers=owner
        )
        assert response.status_code == status, item
        assert response.json() == {"Message": text}
    assert len((await client.get(users, headers=owner)).json()) == 3


async def test_contacts_need_a_token(client: httpx.AsyncClient, tenant: Tenant):
    tokens = await sign_in(client, tenant, tenant.user_email)
    assert tokens["access_token"]
    response = await client.get("/v4/settings/contacts/10/1")
    assert response.status_code == 401


async def test_deleting_a_user_deletes_their_personal_contacts_only(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    email = await add_user(context, tenant, "leaving@acme.test", "Leaving")
    leaving = await bearer(client, tenant, email)
    admin = await bearer(client, tenant, tenant.admin_email)
    await add(client, leaving, "zoe@example.test", "Zoe", "/v4/settings/contacts")
    await add(client, admin, "legal@acme.test", "Legal", "/v4/enterprise/contacts")
    # A password reset link of theirs goes with them too.
    await client.post("/v4/account/password/reset", json={"user_email": email}, headers=admin)
    await send_mail(context)
    deleted = await client.request(
        "DELETE", "/v4/enterprise/users", json={"user_email": email}, headers=admin
    )
    assert deleted.status_code == 200, deleted.text
    async with transaction(context.sessions) as session:
        assert list(await session.scalars(select(Contact.email))) == ["legal@acme.test"]
        assert await session.scalar(select(func.count()).select_from(PasswordReset)) == 0
