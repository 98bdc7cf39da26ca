from __future__ import annotations

import httpx
import pytest

from signflow.context import AppContext
from tests.accounts.helpers import activate_by_mail
from tests.factories import Tenant, bearer, sign_in

NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}


@pytest.mark.parametrize("version", ["v3", "v4"])
async def test_admin_creates_lists_updates_and_deletes_users(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, version: str
):
    admin = await bearer(client, tenant, tenant.admin_email)
    created = await client.post(
        f"/{version}/enterprise/users",
        json={
            "user_email": "New.Person@Acme.test",
            "user_name": "New Person",
            "user_password": "a long enough password",
            "mobile_number": "+34600000000",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["user_email"] == "new.person@acme.test"
    assert created.json()["enterprise_role"] == "user"
    assert created.json()["enabled"] is True
    assert created.json()["activated"] is False
    # The person chooses their password through the link mailed to them.
    await activate_by_mail(client, context, "new.person@acme.test", "a long enough password")

    listed = await client.get(f"/{version}/enterprise/users", headers=admin)
    assert listed.status_code == 200
    assert listed.headers["x-total-records"] == "3"
    emails = [user["user_email"] for user in listed.json()]
    assert emails == [tenant.admin_email, tenant.user_email, "new.person@acme.test"]

    updated = await client.put(
        f"/{version}/enterprise/users",
        json={"user_email": "new.person@acme.test", "user_name": "Renamed", "enabled": False},
        headers=admin,
    )
    assert updated.status_code == 200
    assert updated.content == b""
    listed = await client.get(f"/{version}/enterprise/users", headers=admin)
    person = next(u for u in listed.json() if u["user_email"] == "new.person@acme.test")
    assert person["user_name"] == "Renamed"
    assert person["enabled"] is False

    disabled_signin = await client.post(
        "/authenticate",
        data={
            "grant_type": "password",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "username": "new.person@acme.test",
            "password": "a long enough password",
        },
    )
    assert disabled_signin.status_code == 403

    deleted = await client.request(
        "DELETE",
        f"/{version}/enterprise/users",
        json={"user_email": "new.person@acme.test"},
        headers=admin,
    )
    assert deleted.status_code == 200
    listed = await client.get(f"/{version}/enterprise/users", headers=admin)
    assert listed.headers["x-total-records"] == "2"


async def test_new_user_signs_in_with_the_password_they_chose_on_activation(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    admin = await bearer(client, tenant, tenant.admin_email)
    await client.post(
        "/v3/enterprise/users",
        json={"user_email": "p@acme.test", "user_name": "P", "user_password": "password-123"},
        headers=admin,
    )
    await activate_by_mail(client, context, "p@acme.test", "p's own password")
    tokens = await sign_in(client, tenant, "p@acme.test", "p's own password")
    assert tokens["access_token"]


async def test_duplicate_email_is_a_conflict(client: httpx.AsyncClient, tenant: Tenant):
    admin = await bearer(client, tenant, tenant.admin_email)
    response = await client.post(
        "/v3/enterprise/users",
        json={"user_email": tenant.user_email, "user_name": "Again"},
        headers=admin,
    )
    assert response.status_code == 409
    assert response.json() == {"Message": f"A user with email '{tenant.user_email}' already exists"}


async def test_plain_users_may_not_administer(client: httpx.AsyncClient, tenant: Tenant):
    user = await bearer(client, tenant, tenant.user_email)
    for method, body in [
        ("GET", None),
        ("POST", {"user_email": "x@acme.test", "user_name": "X"}),
        ("PUT", {"user_email": tenant.admin_email, "enabled": False}),
        ("DELETE", {"user_email": tenant.admin_email}),
    ]:
        response = await client.request(method, "/v3/enterprise/users", json=body, headers=user)
        assert response.status_code == 403, method
        assert response.json() == NOT_ALLOWED


async def test_an_admin_acting_as_a_plain_user_may_not_administer(
    client: httpx.AsyncClient, tenant: Tenant
):
    tokens = await sign_in(client, tenant, tenant.admin_email, scope=tenant.user_email)
    response = await client.get(
        "/v3/enterprise/users", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 403


async def test_one_enterprise_cannot_see_or_change_anothers_users(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    admin = await bearer(client, tenant, tenant.admin_email)
    listed = await client.get("/v3/enterprise/users", headers=admin)
    assert other_tenant.user_email not in listed.text
    for method, body in [
        ("PUT", {"user_email": other_tenant.user_email, "enabled": False}),
        ("DELETE", {"user_email": other_tenant.user_email}),
    ]:
        response = await client.request(method, "/v3/enterprise/users", json=body, headers=admin)
        assert response.status_code == 404, method
        assert response.json() == {"Message": "User not found"}
    # The other enterprise's user is untouched and can still sign in.
    assert (await sign_in(client, other_tenant, other_tenant.user_email))["access_token"]


async def test_admin_cannot_disable_or_delete_themselves(client: httpx.AsyncClient, tenant: Tenant):
    admin = await bearer(client, tenant, tenant.admin_email)
    disable = await client.put(
        "/v3/enterprise/users",
        json={"user_email": tenant.admin_email, "enabled": False},
        headers=admin,
    )
    assert disable.status_code == 400
    delete = await client.request(
        "DELETE", "/v3/enterprise/users", json={"user_email": tenant.admin_email}, headers=admin
    )
    assert delete.status_code == 400


@pytest.mark.parametrize(
    ("body", "message_part"),
    [
        ({"user_name": "No email"}, "user_email"),
        (
            {"user_email": "x@acme.test", "user_name": "X", "enterprise_role": "king"},
            "enterprise_role",
        ),
        ({"user_email": "not-an-email", "user_name": "X"}, "not a valid email"),
    ],
)
async def test_bad_user_bodies_are_400_with_a_message(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, str], message_part: str
):
    admin = await bearer(client, tenant, tenant.admin_email)
    response = await client.post("/v3/enterprise/users", json=body, headers=admin)
    assert response.status_code == 400
    assert message_part in response.json()["Message"]
