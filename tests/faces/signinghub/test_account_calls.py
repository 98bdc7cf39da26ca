"""The caller's account: the account and its role, the password policy, the service
agreements, the in-app notifications (turns that opened for the caller), the activity
log (what the caller did) with its details, and the answer for services Signflow has not.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import User
from tests.factories import Tenant, bearer, sign_in
from tests.workflow.helpers import People, add_users, new_package, share

NO_SERVICE = {
    "Message": "You are not authorized to perform the requested operation",
    "Error": "service_not_available",
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"terms_of_service_url": "https://example.test/terms"}


@pytest.fixture
def people(client: httpx.AsyncClient, context: AppContext, tenant: Tenant) -> People:
    return People(client, context, tenant)


async def test_account_role_policy_and_terms(client: httpx.AsyncClient, tenant: Tenant):
    admin = await bearer(client, tenant, tenant.admin_email)
    user = await bearer(client, tenant, tenant.user_email)
    account = (await client.get("/v4/account", headers=user)).json()
    assert account["user_email"] == tenant.user_email
    assert account["enterprise_name"] == "Acme"
    assert account["enterprise_role"] == "user"
    assert account["activated"] is True
    roles = [
        (await client.get("/v4/account/role", headers=headers)).json() for headers in (admin, user)
    ]
    assert [(r["role_name"], r["enterprise_role"]) for r in roles] == [
        ("Enterprise Admin", "admin"),
        ("Enterprise User", "user"),
    ]
    policy = await client.post("/v4/account/password_policy", headers=user)
    assert policy.json()["minimum_length"] == 8
    assert policy.json()["maximum_length"] == 200
    terms = await client.get("/v4/terms")  # no token, as for `about`
    assert terms.status_code == 200
    assert terms.json() == {
        "terms_of_service": "https://example.test/terms",
        "privacy_policy": None,
    }
    for path in ("/v4/account", "/v4/account/role"):
        assert (await client.get(path)).status_code == 401


async def test_notifications_list_the_turns_that_opened_for_the_caller(
    client: httpx.AsyncClient, people: People
):
    await people.start("ana", "ben")
    first, _ = await new_package(people, name="Lease A")
    await add_users(people, first, [("ana", "SIGNER"), ("ben", "SIGNER")])
    await share(people, first)
    second, _ = await new_package(people, name="Lease B")
    await add_users(people, second, [("ana", "SIGNER")])
    await share(people, second)
    draft, _ = await new_package(people, name="Draft C")
    await add_users(people, draft, [("ana", "SIGNER")])

    page = await client.get("/v4/account/notifications/10/1", headers=people["ana"])
    assert page.status_code == 200
    assert page.headers["x-total-records"] == "2"
    body = page.json()
    assert [n["package_name"] for n in body] == ["Lease B", "Lease A"]
    assert body[0]["process_status"] == "IN_PROGRESS"
    assert body[0]["message"].endswith("shared Lease B with you")
    one = await client.get("/v4/account/notifications/1/2", headers=people["ana"])
    assert [n["package_name"] for n in one.json()] == ["Lease A"]
    # Ben's turn has not opened (serial): nothing for him yet; the owner has none.
    assert (await client.get("/v4/account/notifications/10/1", headers=people["ben"])).json() == []
    assert (await client.get("/v4/account/notifications/10/1", headers=people.owner)).json() == []
    bad = await client.get("/v4/account/notifications/0/1", headers=people["ana"])
    assert bad.status_code == 400


async def test_the_activity_log_is_the_callers_own(
    client: httpx.AsyncClient, people: People, other_tenant: Tenant
):
    await people.start("ana")
    package_id, _ = await new_package(people, name="Lease A")
    await add_users(people, package_id, [("ana", "SIGNER")])
    page = await client.get("/v4/account/log/1/50", headers=people.owner)
    assert page.status_code == 200
    logs = page.json()
    assert int(page.headers["x-total-records"]) == len(logs) >= 2
    assert {entry["package_name"] for entry in logs} == {"Lease A"}
    assert logs[0]["log_id"] > logs[-1]["log_id"]  # newest first
    details = await client.get(f"/v4/account/log/{logs[0]['log_id']}/details", headers=people.owner)
    assert details.status_code == 200
    assert details.json()["action_type"] == logs[0]["action_type"]
    assert isinstance(details.json()["details"], list)
    # Ana did nothing yet; she, and another enterprise's admin, cannot read the owner's.
    assert (await client.get("/v4/account/log/1/50", headers=people["ana"])).json() == []
    outsider = await bearer(client, other_tenant, other_tenant.admin_email)
    for headers in (people["ana"], outsider):
        response = await client.get(f"/v4/account/log/{logs[0]['log_id']}/details", headers=headers)
        assert response.status_code == 404
        assert response.json() == {"Message": "Log not found"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v4/account/statistics/usage", None),
        ("GET", "/v4/account/statistics/documents", None),
        ("POST", "/v4/users/notifications/devices", {"device_token": "t", "os_type": "ANDROID"}),
        (
            "POST",
            "/v4/account/identity",
            {"user_email": "x@acme.test", "provider": "p", "name": "n", "key": "k", "value": "v"},
        ),
    ],
)
async def test_services_signflow_has_not_answer_403(
    client: httpx.AsyncClient, tenant: Tenant, method: str, path: str, body: object
):
    user = await bearer(client, tenant, tenant.user_email)
    response = await client.request(method, path, json=body, headers=user)
    assert response.status_code == 403
    assert response.json() == NO_SERVICE
    assert (await client.request(method, path, json=body)).status_code == 401


async def test_registration_is_refused_unless_the_operator_enables_it(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    app = await bearer(client, tenant, tenant.admin_email)
    response = await client.post(
        "/v4/account",
        json={"user_email": "self@example.test", "user_name": "Self", "invitation": {}},
        headers=app,
    )
    assert response.status_code == 403
    assert response.json() == {
        "Message": "Registration is disabled on this server",
        "Error": "registration_disabled",
    }
    async with transaction(context.sessions) as session:
        assert (
            await session.scalar(select(User.id).where(User.email == "self@example.test")) is None
        )


async def test_an_admin_acting_for_a_member_sees_only_their_own_enterprises_packages(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    """Globex shares a package with Acme's user: the user sees the notification; Acme's
    admin acting for the user through `scope` does not (no recipient rights elsewhere)."""
    globex = await People(client, context, other_tenant).start()
    package_id, _ = await new_package(globex, name="Globex deal")
    added = await client.post(
        f"/v3/packages/{package_id}/workflow/users",
        json=[{"user_email": tenant.user_email, "user_name": "Acme user", "role": "SIGNER"}],
        headers=globex.owner,
    )
    assert added.status_code == 200
    await share(globex, package_id)
    own = await bearer(client, tenant, tenant.user_email)
    listed = (await client.get("/v4/account/notifications/10/1", headers=own)).json()
    assert [n["package_name"] for n in listed] == ["Globex deal"]
    tokens = await sign_in(client, tenant, tenant.admin_email, scope=tenant.user_email)
    scoped = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/v4/account/notifications/10/1", headers=scoped)).json() == []
