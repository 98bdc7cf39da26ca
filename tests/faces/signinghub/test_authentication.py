from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Enterprise, TokenGrant, User
from tests.factories import PASSWORD, Tenant, add_user, bearer, sign_in


def password_form(tenant: Tenant, username: str, password: str = PASSWORD) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        "username": username,
        "password": password,
    }


async def profile_email(client: httpx.AsyncClient, access_token: object) -> str:
    response = await client.get(
        "/v4/settings/profile", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert response.status_code == 200, response.text
    email: str = response.json()["general"]["user_email"]
    return email


async def test_password_grant_answers_the_token_body(client: httpx.AsyncClient, tenant: Tenant):
    response = await client.post("/authenticate", data=password_form(tenant, tenant.user_email))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert await profile_email(client, body["access_token"]) == tenant.user_email


async def test_form_body_labelled_json_is_accepted(client: httpx.AsyncClient, tenant: Tenant):
    form = httpx.QueryParams(password_form(tenant, tenant.user_email))
    response = await client.post(
        "/authenticate", content=str(form), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text


async def test_client_credentials_acts_as_the_enterprise_api_user(
    client: httpx.AsyncClient, tenant: Tenant
):
    response = await client.post(
        "/authenticate",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    assert await profile_email(client, response.json()["access_token"]) == tenant.admin_email


async def test_refresh_rotates_and_the_old_refresh_token_stops_working(
    client: httpx.AsyncClient, tenant: Tenant
):
    first = await sign_in(client, tenant, tenant.user_email)
    refresh = {
        "grant_type": "refresh_token",
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        "refresh_token": first["refresh_token"],
    }
    second = await client.post("/authenticate", data=refresh)
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert await profile_email(client, second.json()["access_token"]) == tenant.user_email

    reused = await client.post("/authenticate", data=refresh)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    old_access = await client.get(
        "/v4/settings/profile", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert old_access.status_code == 401


async def test_refresh_with_another_applications_credentials_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    tokens = await sign_in(client, tenant, tenant.user_email)
    response = await client.post(
        "/authenticate",
        data={
            "grant_type": "refresh_token",
            "client_id": other_tenant.client_id,
            "client_secret": other_tenant.client_secret,
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_scope_lets_an_integration_admin_act_as_a_user(
    client: httpx.AsyncClient, tenant: Tenant
):
    tokens = await sign_in(client, tenant, tenant.admin_email, scope=tenant.user_email)
    assert await profile_email(client, tokens["access_token"]) == tenant.user_email


async def test_scope_is_refused_to_a_plain_user(client: httpx.AsyncClient, tenant: Tenant):
    form = password_form(tenant, tenant.user_email) | {"scope": tenant.admin_email}
    response = await client.post("/authenticate", data=form)
    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_scope",
        "error_description": "You are not allowed to perform the requested operation",
    }


async def test_scope_cannot_reach_another_enterprise(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    form = password_form(tenant, tenant.admin_email) | {"scope": other_tenant.user_email}
    response = await client.post("/authenticate", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


async def test_v4_scope_switch(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.admin_email)
    response = await client.post(
        "/v4/authenticate/scope", json={"user_email": tenant.user_email}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert await profile_email(client, response.json()["access_token"]) == tenant.user_email
    profile = await client.get(
        "/v4/settings/profile",
        headers={"Authorization": f"Bearer {response.json()['access_token']}"},
    )
    assert profile.json()["general"]["acting_as_scope"] is True


async def test_scope_to_oneself_is_a_no_op_for_a_plain_user(
    client: httpx.AsyncClient, tenant: Tenant
):
    # A client that always sends its configured scope sends the user's own address.
    form = password_form(tenant, tenant.user_email) | {"scope": tenant.user_email.upper()}
    response = await client.post("/authenticate", data=form)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    profile = await client.get("/v4/settings/profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.json()["general"]["user_email"] == tenant.user_email
    assert profile.json()["general"]["acting_as_scope"] is False
    switched = await client.post(
        "/v4/authenticate/scope",
        json={"user_email": tenant.user_email},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert switched.status_code == 200, switched.text
    again = await client.get(
        "/v4/settings/profile",
        headers={"Authorization": f"Bearer {switched.json()['access_token']}"},
    )
    assert again.json()["general"]["acting_as_scope"] is False
    # Another user's address is still refused to a plain user.
    other = form | {"scope": tenant.admin_email}
    assert (await client.post("/authenticate", data=other)).status_code == 403


async def test_v4_scope_switch_refused_to_a_plain_user(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.user_email)
    response = await client.post(
        "/v4/authenticate/scope", json={"user_email": tenant.admin_email}, headers=headers
    )
    assert response.status_code == 403
    assert response.json() == {"Message": "You are not allowed to perform the requested operation"}


async def test_logout_revokes_the_token(client: httpx.AsyncClient, tenant: Tenant):
    tokens = await sign_in(client, tenant, tenant.user_email)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = await client.post("/v4/logout", headers=headers)
    assert response.status_code == 200
    assert response.content == b""
    assert "content-type" not in response.headers
    after = await client.get("/v4/settings/profile", headers=headers)
    assert after.status_code == 401
    assert after.json() == {"Message": "Request authorization denied"}
    refresh = await client.post(
        "/authenticate",
        data={
            "grant_type": "refresh_token",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert refresh.status_code == 400


async def test_expired_token_is_denied(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    headers = await bearer(client, tenant, tenant.user_email)
    async with transaction(context.sessions) as session:
        await session.execute(
            update(TokenGrant).values(
                access_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    response = await client.get("/v3/settings/profile", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"Message": "Request authorization denied"}


async def test_missing_and_malformed_tokens(client: httpx.AsyncClient):
    missing = await client.get("/v3/settings/profile")
    assert missing.status_code == 401
    assert missing.json() == {"Message": "User authentication required"}
    wrong = await client.get("/v3/settings/profile", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"Message": "Request authorization denied"}
    basic = await client.get("/v3/settings/profile", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401


@pytest.mark.parametrize("what", ["user", "enterprise"])
async def test_disabled_accounts_get_403_even_with_earlier_tokens(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext, what: str
):
    headers = await bearer(client, tenant, tenant.user_email)
    async with transaction(context.sessions) as session:
        if what == "user":
            await session.execute(
                update(User).where(User.email == tenant.user_email).values(is_active=False)
            )
        else:
            await session.execute(update(Enterprise).values(is_active=False))
    response = await client.get("/v3/settings/profile", headers=headers)
    assert response.status_code == 403
    assert response.json() == {"Message": "Account is disabled"}
    signin = await client.post("/authenticate", data=password_form(tenant, tenant.user_email))
    assert signin.status_code == 403
    assert signin.json() == {"error": "access_denied", "error_description": "Account is disabled"}


async def test_wrong_client_secret(client: httpx.AsyncClient, tenant: Tenant):
    form = password_form(tenant, tenant.user_email) | {"client_secret": "wrong"}
    response = await client.post("/authenticate", data=form)
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed",
    }


async def test_wrong_password_and_unknown_user_look_the_same(
    client: httpx.AsyncClient, tenant: Tenant
):
    wrong = await client.post(
        "/authenticate", data=password_form(tenant, tenant.user_email, "nope")
    )
    unknown = await client.post(
        "/authenticate", data=password_form(tenant, "ghost@acme.test", "nope")
    )
    assert wrong.status_code == unknown.status_code == 400
    assert (
        wrong.json()
        == unknown.json()
        == {
            "error": "invalid_grant",
            "error_description": "Invalid username or password",
        }
    )


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "implicit"}, "unsupported_grant_type"),
        ({"grant_type": "password"}, "invalid_request"),
    ],
)
async def test_malformed_token_requests(
    client: httpx.AsyncClient, form: dict[str, str], error: str
):
    response = await client.post("/authenticate", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "signin_max_failures": 3,
        "signin_address_max_failures": 3,
        "signin_window_seconds": 600,
    }


async def test_failed_signins_are_throttled_per_account_and_address(
    client: httpx.AsyncClient, tenant: Tenant
):
    for _ in range(3):
        response = await client.post(
            "/authenticate", data=password_form(tenant, tenant.user_email, "nope")
        )
        assert response.status_code == 400
    blocked = await client.post("/authenticate", data=password_form(tenant, tenant.user_email))
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 601
    assert blocked.json()["error"] == "too_many_requests"


async def test_failed_signins_are_throttled_per_address(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    for index in range(3):
        email = await add_user(context, tenant, f"person{index}@acme.test", "Person")
        response = await client.post("/authenticate", data=password_form(tenant, email, "nope"))
        assert response.status_code == 400
    # A fresh account from the same address is still refused.
    response = await client.post("/authenticate", data=password_form(tenant, tenant.admin_email))
    assert response.status_code == 429


async def test_a_successful_signin_clears_the_account_counter(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    for _ in range(2):
        await client.post("/authenticate", data=password_form(tenant, tenant.user_email, "x"))
    await sign_in(client, tenant, tenant.user_email)
    async with transaction(context.sessions) as session:
        users = await session.scalars(select(User.email))
        assert tenant.user_email in list(users)
