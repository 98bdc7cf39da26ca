"""Forgot password and resend activation: the same answer whether or not the address has
an account, a single-use link that expires, argon2id, every session ended, and a
throttle on the mails each call can make someone send."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

import httpx
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import PasswordReset, User
from tests.accounts.helpers import activation_path, file_mails, send_mail, text_of, to
from tests.factories import PASSWORD, Tenant, bearer, sign_in

RESET_PATH = re.compile(r"https?://[^/\s]+(/web/password/(sfp_[A-Za-z0-9_-]+))")
LINK_NOT_VALID = {"Message": "This password reset link is not valid any more"}
NEW = "a completely new passphrase"


def reset_link(message: EmailMessage) -> tuple[str, str]:
    [(path, token)] = set(RESET_PATH.findall(text_of(message)))
    return path, token


async def forgot(client: httpx.AsyncClient, headers: dict[str, str], email: str) -> httpx.Response:
    return await client.post(
        "/v4/account/password/reset", json={"user_email": email}, headers=headers
    )


async def mailed_token(context: AppContext, email: str) -> str:
    await send_mail(context)
    return reset_link(to(file_mails(context), email)[-1])[1]


async def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    app = await bearer(client, tenant, tenant.admin_email)
    old_session = await bearer(client, tenant, tenant.user_email)
    response = await forgot(client, app, tenant.user_email.upper())
    assert response.status_code == 200
    assert response.content == b""
    token = await mailed_token(context, tenant.user_email)
    async with transaction(context.sessions) as session:
        stored = await session.scalar(select(PasswordReset.token_hash))
    assert stored is not None and token not in stored  # a digest, not the token

    # A client sets the link's token as its access token and sends the new password.
    changed = await client.put(
        "/v4/account/password/new",
        json={"password": NEW, "security_question": "q", "security_answer": "a"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert changed.status_code == 200, changed.text
    assert (await sign_in(client, tenant, tenant.user_email, NEW))["access_token"]
    refused = await client.post(
        "/authenticate",
        data={
            "grant_type": "password",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "username": tenant.user_email,
            "password": PASSWORD,
        },
    )
    assert refused.status_code in (400, 401)
    revoked = await client.get("/v4/settings/profile", headers=old_session)
    assert revoked.status_code == 401
    async with transaction(context.sessions) as session:
        user = await session.scalar(select(User).where(User.email == tenant.user_email))
        assert user is not None and user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")

    # Once: the same token again, in the header form too, is refused.
    for headers in (
        {"Authorization": f"Bearer {token}"},
        {"x-change-password-token": token},
    ):
        again = await client.put(
            "/v4/account/password/new", json={"password": "yet another one"}, headers=headers
        )
        assert again.status_code == 403
        assert again.json() == LINK_NOT_VALID


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    app = await bearer(client, tenant, tenant.admin_email)
    known = await forgot(client, app, tenant.user_email)
    unknown = await forgot(client, app, "nobody@acme.test")
    # Another enterprise's user is not the caller's: no mail either.
    foreign = await forgot(client, app, other_tenant.user_email)
    assert [r.status_code for r in (known, unknown, foreign)] == [200, 200, 200]
    assert known.content == unknown.content == foreign.content == b""
    assert known.headers.get("content-type") == unknown.headers.get("content-type")
    await send_mail(context)
    mails = file_mails(context)
    assert [str(m["To"]).split("<")[-1].rstrip(">") for m in mails] == [tenant.user_email]


async def test_an_expired_or_replaced_link_is_refused_and_a_short_password_keeps_it(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    app = await bearer(client, tenant, tenant.admin_email)
    await forgot(client, app, tenant.user_email)
    first = await mailed_token(context, tenant.user_email)
    await forgot(client, app, tenant.user_email)
    second = await mailed_token(context, tenant.user_email)
    assert first != second
    replaced = await client.put(
        "/v4/account/password/new",
        json={"password": NEW},
        headers={"Authorization": f"Bearer {first}"},
    )
    assert replaced.status_code == 403
    short = await client.put(
        "/v4/account/password/new",
        json={"password": "short"},
        headers={"Authorization": f"Bearer {second}"},
    )
    assert short.status_code == 400
    assert short.json() == {"Message": "The password must have at least 8 characters"}
    async with transaction(context.sessions) as session:
        await session.execute(
            update(PasswordReset).values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    expired = await client.put(
        "/v4/account/password/new",
        json={"password": NEW},
        headers={"Authorization": f"Bearer {second}"},
    )
    assert expired.status_code == 403
    assert expired.json() == LINK_NOT_VALID
    # Nothing changed: the old password still works.
    assert (await sign_in(client, tenant, tenant.user_email))["access_token"]


async def test_new_password_needs_a_reset_token(client: httpx.AsyncClient, tenant: Tenant):
    anonymous = await client.put("/v4/account/password/new", json={"password": NEW})
    assert anonymous.status_code == 401
    assert anonymous.json() == {"Message": "User authentication required"}
    # An access token is not a reset token.
    session = await bearer(client, tenant, tenant.user_email)
    wrong = await client.put("/v4/account/password/new", json={"password": NEW}, headers=session)
    assert wrong.status_code == 401
    made_up = await client.put(
        "/v4/account/password/new",
        json={"password": NEW},
        headers={"Authorization": "Bearer sfp_made-up"},
    )
    assert made_up.status_code == 403


async def test_the_reset_page_shows_a_form_and_sets_the_password(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    app = await bearer(client, tenant, tenant.admin_email)
    await forgot(client, app, tenant.user_email)
    await send_mail(context)
    path, _ = reset_link(to(file_mails(context), tenant.user_email)[-1])
    page = await client.get(path)
    assert page.status_code == 200
    assert tenant.user_email in page.text
    foreign = await client.post(
        path, data={"password": NEW, "confirm": NEW}, headers={"Origin": "https://evil.test"}
    )
    assert foreign.status_code == 403
    mismatch = await client.post(path, data={"password": NEW, "confirm": NEW + "x"})
    assert mismatch.status_code == 400
    done = await client.post(path, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 200, done.text
    assert (await sign_in(client, tenant, tenant.user_email, NEW))["access_token"]
    used = await client.get(path)
    assert used.status_code == 404


async def test_reset_and_resend_requests_are_throttled_per_address(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    app = await bearer(client, tenant, tenant.admin_email)
    limit = context.settings.signin_max_failures
    for path in ("/v4/account/password/reset", "/v4/account/activation/resend"):
        for _ in range(limit):
            ok = await client.post(path, json={"user_email": tenant.user_email}, headers=app)
            assert ok.status_code == 200
        throttled = await client.post(path, json={"user_email": tenant.user_email}, headers=app)
        assert throttled.status_code == 429
        assert throttled.json() == {
            "Message": "Too many requests for this address; try again later",
            "Error": "too_many_requests",
        }
        assert int(throttled.headers["Retry-After"]) > 0
    await send_mail(context)
    # Only the allowed resets were mailed (the user is active: no activation mail).
    assert len(to(file_mails(context), tenant.user_email)) == limit


async def test_resend_activation_mails_a_new_link_to_a_pending_account_only(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    admin = await bearer(client, tenant, tenant.admin_email)
    created = await client.post(
        "/v4/enterprise/users",
        json={"user_email": "new@acme.test", "user_name": "New"},
        headers=admin,
    )
    assert created.status_code == 201
    await send_mail(context)
    first = activation_path(to(file_mails(context), "new@acme.test")[-1])
    for email in ("new@acme.test", tenant.user_email, "nobody@acme.test"):
        response = await client.post(
            "/v4/account/activation/resend", json={"user_email": email}, headers=admin
        )
        assert response.status_code == 200
        assert response.content == b""
    await send_mail(context)
    mails = file_mails(context)
    assert len(to(mails, "new@acme.test")) == 2
    assert not to(mails, tenant.user_email)
    second = activation_path(to(mails, "new@acme.test")[-1])
    assert second != first
    assert (await client.get(first)).status_code == 404
    assert (await client.get(second)).status_code == 200
