"""Activation links: pending until used, single use, time-limited, stored as a hash."""

from __future__ import annotations

import datetime as dt
import hashlib

import httpx
from sqlalchemy import select, text, update

from signflow.context import AppContext
from signflow.db import Base, transaction
from signflow.models import User
from tests.accounts.helpers import (
    activate,
    activation_path,
    file_mails,
    send_mail,
    to,
)
from tests.factories import Tenant, bearer, sign_in

NEWCOMER = "newcomer@acme.test"
INVALID_GRANT = {"error": "invalid_grant", "error_description": "Invalid username or password"}


async def register(
    client: httpx.AsyncClient, admin: dict[str, str], email: str = NEWCOMER
) -> httpx.Response:
    response = await client.post(
        "/v3/enterprise/users",
        json={"user_email": email, "user_name": "New Comer", "user_password": "admins-choice"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return response


async def password_grant(
    client: httpx.AsyncClient, tenant: Tenant, username: str, password: str
) -> httpx.Response:
    return await client.post(
        "/authenticate",
        data={
            "grant_type": "password",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "username": username,
            "password": password,
        },
    )


async def account(context: AppContext, email: str, enterprise_id: int) -> User:
    async with transaction(context.sessions) as session:
        user = await session.scalar(
            select(User).where(User.email == email, User.enterprise_id == enterprise_id)
        )
        assert user is not None
        return user


async def mailed_path(context: AppContext, email: str) -> str:
    await send_mail(context)
    return activation_path(to(file_mails(context), email)[-1])


async def test_a_registered_account_is_pending_until_its_owner_activates_it(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    admin = await bearer(client, tenant, tenant.admin_email)
    await register(client, admin)
    pending = await password_grant(client, tenant, NEWCOMER, "admins-choice")
    assert (pending.status_code, pending.json()) == (400, INVALID_GRANT)
    assert (await account(context, NEWCOMER, tenant.enterprise_id)).email_verified_at is None

    path = await mailed_path(context, NEWCOMER)
    [mail] = to(file_mails(context), NEWCOMER)
    assert tenant.name in mail["Subject"]
    # Opening the link (as a mail scanner does) uses nothing up.
    for _ in range(2):
        page = await client.get(path)
        assert page.status_code == 200
        assert NEWCOMER in page.text and tenant.name in page.text
    short = await activate(client, path, "short")
    assert short.status_code == 400
    assert "too short" in short.text
    mismatch = await activate(client, path, "one long password", "another long password")
    assert mismatch.status_code == 400
    assert "not the same" in mismatch.text
    assert (await account(context, NEWCOMER, tenant.enterprise_id)).email_verified_at is None

    done = await activate(client, path, "my own password")
    assert done.status_code == 200
    assert "active" in done.text
    assert (await account(context, NEWCOMER, tenant.enterprise_id)).email_verified_at is not None
    assert (await sign_in(client, tenant, NEWCOMER, "my own password"))["access_token"]
    # The admin's password was never kept; the link works once.
    admins = await password_grant(client, tenant, NEWCOMER, "admins-choice")
    assert (admins.status_code, admins.json()) == (400, INVALID_GRANT)
    for response in (await client.get(path), await activate(client, path, "taking it over")):
        assert response.status_code == 404
        assert "not valid any more" in response.text
    assert (await sign_in(client, tenant, NEWCOMER, "my own password"))["access_token"]

    listed = (await client.get("/v3/enterprise/users", headers=admin)).json()
    assert next(u for u in listed if u["user_email"] == NEWCOMER)["activated"] is True


async def test_the_link_is_stored_only_as_a_hash(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    await register(client, await bearer(client, tenant, tenant.admin_email))
    token = (await mailed_path(context, NEWCOMER)).rsplit("/", 1)[1]
    user = await account(context, NEWCOMER, tenant.enterprise_id)
    assert user.activation_token_hash == hashlib.sha256(token.encode()).hexdigest()
    async with context.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            assert token not in repr(rows), table.name


async def test_an_expired_link_does_nothing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    await register(client, await bearer(client, tenant, tenant.admin_email))
    path = await mailed_path(context, NEWCOMER)
    async with transaction(context.sessions) as session:
        await session.execute(
            update(User)
            .where(User.email == NEWCOMER)
            .values(activation_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert (await client.get(path)).status_code == 404
    assert (await activate(client, path, "my own password")).status_code == 404
    assert (await account(context, NEWCOMER, tenant.enterprise_id)).email_verified_at is None


async def test_a_disabled_or_deleted_account_cannot_be_activated(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    admin = await bearer(client, tenant, tenant.admin_email)
    await register(client, admin)
    await register(client, admin, "leaver@acme.test")
    disabled_path = await mailed_path(context, NEWCOMER)
    deleted_path = activation_path(to(file_mails(context), "leaver@acme.test")[-1])
    disabled = await client.put(
        "/v3/enterprise/users", json={"user_email": NEWCOMER, "enabled": False}, headers=admin
    )
    assert disabled.status_code == 200
    deleted = await client.request(
        "DELETE", "/v3/enterprise/users", json={"user_email": "leaver@acme.test"}, headers=admin
    )
    assert deleted.status_code == 200
    for path in (disabled_path, deleted_path):
        assert (await activate(client, path, "my own password")).status_code == 404


async def test_the_form_refuses_a_post_from_another_site(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    await register(client, await bearer(client, tenant, tenant.admin_email))
    path = await mailed_path(context, NEWCOMER)
    response = await client.post(
        path,
        data={"password": "my own password", "confirm": "my own password"},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert response.status_code == 403
    assert (await account(context, NEWCOMER, tenant.enterprise_id)).email_verified_at is None


async def test_an_address_proven_elsewhere_first_cannot_be_activated_again(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    """Two enterprises register the same new address; the person activates one. The
    other's link then changes nothing, and only the activated account signs in."""
    person = "both@outside.test"
    await register(client, await bearer(client, tenant, tenant.admin_email), person)
    await register(client, await bearer(client, other_tenant, other_tenant.admin_email), person)
    await send_mail(context)
    acme_mail, globex_mail = sorted(
        to(file_mails(context), person), key=lambda m: tenant.name not in m["Subject"]
    )
    assert (await activate(client, activation_path(acme_mail), "acme password")).status_code == 200
    globex_path = activation_path(globex_mail)
    for response in (await client.get(globex_path), await activate(client, globex_path, "x" * 9)):
        assert response.status_code == 409
        assert "already has an account" in response.text
    assert (await account(context, person, other_tenant.enterprise_id)).email_verified_at is None
    assert (await sign_in(client, tenant, person, "acme password"))["access_token"]
    through_globex = await password_grant(client, other_tenant, person, "acme password")
    assert (through_globex.status_code, through_globex.json()) == (400, INVALID_GRANT)
