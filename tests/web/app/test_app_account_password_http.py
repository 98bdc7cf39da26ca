"""The password page over HTTP, on SQLite and PostgreSQL: a change ends the account's
other sessions and tokens while this one goes on, the old password stops signing in;
the core's rules refuse (400, nothing changed); wrong current passwords are sign-in
tries (the same throttle); CSRF; an account without a password is told why."""

from __future__ import annotations

import datetime as dt

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from signflow.accounts.credentials import hash_secret
from signflow.app import create_app
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import AppSession, User
from signflow.web.app.session import SESSION_COOKIE
from tests.factories import PASSWORD, Tenant
from tests.factories import sign_in as api_sign_in
from tests.web.app.helpers import browser, form_token, sign_in

PAGE = "/app/account/password"
NEW = "a brand new passphrase"


def change(
    token: str | None, current: str = PASSWORD, new: str = NEW, confirm: str | None = None
) -> dict[str, str]:
    form = {"current_password": current, "new_password": new, "confirm_password": confirm or new}
    return form | ({"csrf": token} if token else {})


async def signs_in(app: FastAPI, email: str, password: str) -> int:
    async with browser(app) as fresh:
        return (await sign_in(fresh, email, password)).status_code


async def test_a_change_ends_the_other_sessions_and_this_one_goes_on(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    app = create_app(context=context)
    api_tokens = await api_sign_in(client, tenant, tenant.user_email)
    async with browser(app) as this, browser(app) as other:
        await sign_in(this, tenant.user_email)
        await sign_in(other, tenant.user_email)
        assert (await other.get("/app/")).status_code == 200
        sessions = await this.get("/app/sessions")
        assert f'href="{PAGE}"' in sessions.text
        token = await form_token(this, PAGE)
        answer = await this.post(PAGE, data=change(token))
        assert answer.status_code == 303 and answer.headers["location"] == PAGE + "?done=changed"
        done = await this.get(answer.headers["location"])
        assert done.status_code == 200
        assert "Every other session of your account was signed out" in done.text
        assert (await this.get("/app/")).status_code == 200
        ended = await other.get("/app/")
        assert ended.status_code == 303 and ended.headers["location"].startswith("/app/signin")
        listed = await this.get("/app/sessions")
        assert listed.text.count('class="card app-session"') == 1
    profile = await client.get(
        "/v3/settings/profile", headers={"Authorization": f"Bearer {api_tokens['access_token']}"}
    )
    assert profile.status_code == 401
    assert await signs_in(app, tenant.user_email, PASSWORD) == 400
    assert await signs_in(app, tenant.user_email, NEW) == 303


async def test_the_cores_rules_refuse_and_change_nothing(
    context: AppContext, tenant: Tenant
) -> None:
    app = create_app(context=context)
    async with browser(app) as web:
        await sign_in(web, tenant.user_email)
        token = await form_token(web, PAGE)
        cases = [
            (
                change(token, confirm="something else entirely"),
                "The two passwords are not the same",
            ),
            (change(token, new="short"), "The password is too short"),
            (change(token, new="x" * 201), "The password is too long"),
            (change(token, new=PASSWORD), "The new password must differ"),
            (change(token, current="not my password"), "The current password is not correct"),
        ]
        for form, message in cases:
            answer = await web.post(PAGE, data=form)
            assert answer.status_code == 400, (form, answer.text)
            assert message in answer.text and 'role="alert"' in answer.text
            assert (await web.get("/app/")).status_code == 200
    assert await signs_in(app, tenant.user_email, PASSWORD) == 303


async def test_wrong_current_passwords_are_throttled_as_sign_ins(
    context: AppContext, tenant: Tenant
) -> None:
    app = create_app(context=context)
    async with browser(app) as web:
        await sign_in(web, tenant.user_email)
        token = await form_token(web, PAGE)
        for n in range(4):
            wrong = await web.post(PAGE, data=change(token, current=f"guess {n}"))
            assert wrong.status_code == 400
    async with browser(app) as guesser:
        # One more wrong try at the sign-in page spends the same budget.
        assert (await sign_in(guesser, tenant.user_email, "guess 4")).status_code == 400
    async with browser(app) as web:
        refused = await sign_in(web, tenant.user_email)
        assert refused.status_code == 429


async def test_the_form_needs_its_csrf_token(context: AppContext, tenant: Tenant) -> None:
    app = create_app(context=context)
    async with browser(app) as web:
        await sign_in(web, tenant.user_email)
        own = await form_token(web, PAGE)
        for form in (change(None), change("forged")):
            assert (await web.post(PAGE, data=form)).status_code == 403
        cross = await web.post(PAGE, data=change(own), headers={"origin": "https://evil.test"})
        assert cross.status_code == 403
    assert await signs_in(app, tenant.user_email, PASSWORD) == 303


async def test_an_account_without_a_password_is_told_why(
    context: AppContext, tenant: Tenant
) -> None:
    """An account made by single sign-on has no password: a session of its own, as the
    SSO callback starts it."""
    value = "sfs_single-sign-on-session"
    async with transaction(context.sessions) as session:
        user = await session.scalar(select(User).where(User.email == tenant.user_email))
        assert user is not None
        await session.execute(update(User).where(User.id == user.id).values(password_hash=None))
        now = utcnow()
        session.add(
            AppSession(
                token_hash=hash_secret(value),
                user_id=user.id,
                enterprise_id=user.enterprise_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + dt.timedelta(hours=1),
                method="sso",
            )
        )
    async with browser(create_app(context=context)) as web:
        web.cookies.set(SESSION_COOKIE, value, domain="testserver.local", path="/app")
        page = await web.get(PAGE)
        assert page.status_code == 200
        assert "signs in through your organisation&#39;s single sign-on" in page.text
        assert 'id="password-form"' not in page.text
        token = await form_token(web, PAGE)
        refused = await web.post(PAGE, data=change(token, current=""))
        assert refused.status_code == 400
    async with context.sessions() as session:
        assert (
            await session.scalar(select(User.password_hash).where(User.email == tenant.user_email))
            is None
        )
