"""Password changes need the current password and revoke the tokens issued before them;
an admin's reset forces a new password; a reused refresh token revokes its family
(issue 22, finding 5 and the refresh-token item of finding 7)."""

from __future__ import annotations

import httpx
import pytest

from signflow.accounts.bootstrap import bootstrap_enterprise
from signflow.context import AppContext
from signflow.db import transaction
from tests.factories import PASSWORD, Tenant, sign_in

NEW_PASSWORD = "a brand new passphrase"
PASSWORD_CHANGE_REQUIRED = {
    "Message": "Your password was set by an administrator: change it with "
    "PUT settings/profile/password before anything else",
    "Error": "password_change_required",
}


def auth(tokens: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def profile_status(client: httpx.AsyncClient, tokens: dict[str, object]) -> int:
    return (await client.get("/v3/settings/profile", headers=auth(tokens))).status_code


async def refresh(
    client: httpx.AsyncClient, tenant: Tenant, refresh_token: object
) -> httpx.Response:
    return await client.post(
        "/authenticate",
        data={
            "grant_type": "refresh_token",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "refresh_token": str(refresh_token),
        },
    )


async def signin_status(
    client: httpx.AsyncClient, tenant: Tenant, email: str, password: str
) -> int:
    response = await client.post(
        "/authenticate",
        data={
            "grant_type": "password",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "username": email,
            "password": password,
        },
    )
    return response.status_code


async def change_password(
    client: httpx.AsyncClient,
    tokens: dict[str, object],
    body: dict[str, str],
    version: str = "v3",
) -> httpx.Response:
    return await client.put(
        f"/{version}/settings/profile/password", json=body, headers=auth(tokens)
    )


@pytest.mark.parametrize("version", ["v3", "v4"])
async def test_tokens_issued_before_a_password_change_stop_working(
    client: httpx.AsyncClient, tenant: Tenant, version: str
):
    this_device = await sign_in(client, tenant, tenant.user_email)
    other_device = await sign_in(client, tenant, tenant.user_email)
    admin_acting_as_user = await sign_in(
        client, tenant, tenant.admin_email, scope=tenant.user_email
    )

    changed = await change_password(
        client,
        this_device,
        {"user_old_password": PASSWORD, "user_new_password": NEW_PASSWORD},
        version,
    )
    assert changed.status_code == 200, changed.text
    assert changed.content == b""

    assert await profile_status(client, other_device) == 401
    assert (await refresh(client, tenant, other_device["refresh_token"])).status_code == 400
    assert await profile_status(client, admin_acting_as_user) == 401
    # The device that changed it keeps working, refresh included.
    assert await profile_status(client, this_device) == 200
    renewed = await refresh(client, tenant, this_device["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert await signin_status(client, tenant, tenant.user_email, PASSWORD) == 400
    assert await signin_status(client, tenant, tenant.user_email, NEW_PASSWORD) == 200


async def test_a_password_change_without_the_right_current_password_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
):
    tokens = await sign_in(client, tenant, tenant.user_email)
    other_device = await sign_in(client, tenant, tenant.user_email)
    missing = await change_password(client, tokens, {"user_new_password": NEW_PASSWORD})
    assert missing.status_code == 400
    assert "user_old_password" in missing.json()["Message"]
    wrong = await change_password(
        client, tokens, {"user_old_password": "not it", "user_new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 400
    assert wrong.json() == {"Message": "The current password is not correct"}
    same = await change_password(
        client, tokens, {"user_old_password": PASSWORD, "user_new_password": PASSWORD}
    )
    assert same.status_code == 400
    assert await signin_status(client, tenant, tenant.user_email, PASSWORD) == 200
    assert await signin_status(client, tenant, tenant.user_email, NEW_PASSWORD) == 400
    assert await profile_status(client, other_device) == 200


async def test_an_admin_cannot_change_their_own_password_without_the_current_one(
    client: httpx.AsyncClient, tenant: Tenant
):
    admin = await sign_in(client, tenant, tenant.admin_email)
    response = await client.put(
        "/v3/enterprise/users",
        json={"user_email": tenant.admin_email, "user_password": NEW_PASSWORD},
        headers=auth(admin),
    )
    assert response.status_code == 400
    assert "settings/profile/password" in response.json()["Message"]
    assert await signin_status(client, tenant, tenant.admin_email, NEW_PASSWORD) == 400
    assert await profile_status(client, admin) == 200


async def test_a_scoped_token_cannot_change_the_users_password(
    client: httpx.AsyncClient, tenant: Tenant
):
    scoped = await sign_in(client, tenant, tenant.admin_email, scope=tenant.user_email)
    response = await change_password(
        client, scoped, {"user_old_password": PASSWORD, "user_new_password": NEW_PASSWORD}
    )
    assert response.status_code == 403
    assert await signin_status(client, tenant, tenant.user_email, PASSWORD) == 200


async def test_wrong_current_passwords_are_throttled_like_sign_ins(
    client: httpx.AsyncClient, tenant: Tenant
):
    tokens = await sign_in(client, tenant, tenant.user_email)
    for n in range(5):
        wrong = await change_password(
            client, tokens, {"user_old_password": f"guess {n}", "user_new_password": NEW_PASSWORD}
        )
        assert wrong.status_code == 400
    throttled = await change_password(
        client, tokens, {"user_old_password": PASSWORD, "user_new_password": NEW_PASSWORD}
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert throttled.json()["Error"] == "too_many_requests"
    assert await signin_status(client, tenant, tenant.user_email, NEW_PASSWORD) == 429


async def test_an_admin_reset_revokes_the_users_tokens_and_forces_a_new_password(
    client: httpx.AsyncClient, tenant: Tenant
):
    before = await sign_in(client, tenant, tenant.user_email)
    admin = await sign_in(client, tenant, tenant.admin_email)
    reset = await client.put(
        "/v3/enterprise/users",
        json={"user_email": tenant.user_email, "user_password": "set by the admin"},
        headers=auth(admin),
    )
    assert reset.status_code == 200, reset.text
    assert await profile_status(client, before) == 401
    assert (await refresh(client, tenant, before["refresh_token"])).status_code == 400
    assert await profile_status(client, admin) == 200

    temporary = await sign_in(client, tenant, tenant.user_email, "set by the admin")
    refused = await client.get("/v4/settings/profile", headers=auth(temporary))
    assert refused.status_code == 403
    assert refused.json() == PASSWORD_CHANGE_REQUIRED
    packages = await client.get("/v3/packages/ALL/1/10", headers=auth(temporary))
    assert packages.status_code == 403
    # A refresh keeps the restriction.
    renewed = await refresh(client, tenant, temporary["refresh_token"])
    assert renewed.status_code == 200
    temporary = renewed.json()
    assert await profile_status(client, temporary) == 403

    kept = await change_password(
        client,
        temporary,
        {"user_old_password": "set by the admin", "user_new_password": "set by the admin"},
    )
    assert kept.status_code == 400
    chosen = await change_password(
        client,
        temporary,
        {"user_old_password": "set by the admin", "user_new_password": NEW_PASSWORD},
        "v4",
    )
    assert chosen.status_code == 200, chosen.text
    assert await profile_status(client, temporary) == 200
    assert await signin_status(client, tenant, tenant.user_email, "set by the admin") == 400
    fresh = await sign_in(client, tenant, tenant.user_email, NEW_PASSWORD)
    assert await profile_status(client, fresh) == 200


async def test_reusing_a_rotated_refresh_token_revokes_its_family(
    client: httpx.AsyncClient, tenant: Tenant
):
    first = await sign_in(client, tenant, tenant.user_email)
    unrelated = await sign_in(client, tenant, tenant.user_email)
    second = await refresh(client, tenant, first["refresh_token"])
    assert second.status_code == 200, second.text
    newest = second.json()
    assert await profile_status(client, newest) == 200

    replayed = await refresh(client, tenant, first["refresh_token"])
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"
    # The whole family is gone: the newest refresh token and its access token too.
    assert await profile_status(client, newest) == 401
    assert (await refresh(client, tenant, newest["refresh_token"])).status_code == 400
    # Another sign-in of the same user is another family, and lives on.
    assert await profile_status(client, unrelated) == 200


async def test_bootstrap_resetting_an_admins_password_revokes_their_tokens(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    admin = await sign_in(client, tenant, tenant.admin_email)
    user = await sign_in(client, tenant, tenant.user_email)
    async with transaction(context.sessions) as session:
        await bootstrap_enterprise(
            session,
            enterprise_name=tenant.name,
            admin_email=tenant.admin_email,
            admin_password=NEW_PASSWORD,
            client_id=tenant.client_id,
            client_secret=tenant.client_secret,
        )
    assert await profile_status(client, admin) == 401
    assert await profile_status(client, user) == 200
    assert await signin_status(client, tenant, tenant.admin_email, NEW_PASSWORD) == 200
