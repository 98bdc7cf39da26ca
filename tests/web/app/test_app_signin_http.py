"""Signing in to the web app, its session cookie and table, sign-out, the sessions page
and its revoke, CSRF on every form, and the tenant boundary: over HTTP, on SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from signflow.app import create_app
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import AppSession, User
from tests.factories import Tenant
from tests.web.app.helpers import browser, csrf_of, form_token, sign_in


def _cookie_header(response: httpx.Response, name: str) -> str:
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return header


async def _change_user(context: AppContext, email: str, **values: object) -> None:
    async with transaction(context.sessions) as session:
        await session.execute(update(User).where(User.email == email).values(**values))


async def _sessions(context: AppContext) -> list[AppSession]:
    async with transaction(context.sessions) as session:
        return list(await session.scalars(select(AppSession).order_by(AppSession.id)))


async def test_an_anonymous_browser_is_sent_to_the_signin_page(context: AppContext) -> None:
    async with browser(create_app(context=context)) as client:
        home = await client.get("/app/")
        assert home.status_code == 303 and home.headers["location"] == "/app/signin"
        sessions = await client.get("/app/sessions")
        assert sessions.status_code == 303
        assert sessions.headers["location"] == "/app/signin?next=%2Fapp%2Fsessions"


async def test_the_signin_page_is_strict(context: AppContext) -> None:
    async with browser(create_app(context=context)) as client:
        page = await client.get("/app/signin")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in page.text and "https://" not in page.text
    assert csrf_of(page.text)
    seed = _cookie_header(page, "signflow_app_csrf").lower()
    assert "path=/app" in seed and "httponly" in seed and "samesite=lax" in seed


async def test_signing_in_starts_a_session_stored_as_a_hash(
    context: AppContext, tenant: Tenant
) -> None:
    async with browser(create_app(context=context)) as client:
        answer = await sign_in(client, tenant.user_email, **{"next": "/app/sessions"})
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/app/sessions"
        cookie = _cookie_header(answer, "signflow_app")
        value = cookie.split(";")[0].split("=", 1)[1]
        lowered = cookie.lower()
        assert "path=/app" in lowered and "httponly" in lowered and "samesite=lax" in lowered
        assert "secure" not in lowered  # served over http in this test
        home = await client.get("/app/", headers={"user-agent": "Test browser 1.0"})
        assert home.status_code == 200
        assert "Acme User" in home.text
        [row] = await _sessions(context)
        assert row.token_hash == hashlib.sha256(value.encode()).hexdigest()
        assert value not in row.token_hash
        assert row.revoked_at is None and row.method == "password"
        assert row.expires_at > row.created_at


async def test_a_wrong_password_and_an_unknown_address_answer_alike(
    context: AppContext, tenant: Tenant
) -> None:
    async with browser(create_app(context=context)) as client:
        wrong = await sign_in(client, tenant.user_email, "not the password")
        unknown = await sign_in(client, "nobody@acme.test", "not the password")
    for answer in (wrong, unknown):
        assert answer.status_code == 400
        assert "The e-mail address or the password is not correct." in answer.text
        assert "signflow_app=" not in answer.headers.get("set-cookie", "")
    assert await _sessions(context) == []


async def test_sign_in_tries_are_throttled(context: AppContext, tenant: Tenant) -> None:
    limit = context.settings.signin_max_failures
    async with browser(create_app(context=context)) as client:
        for _ in range(limit):
            assert (await sign_in(client, tenant.user_email, "wrong")).status_code == 400
        refused = await sign_in(client, tenant.user_email)  # even the right one, now
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.text
    assert await _sessions(context) == []


async def test_a_disabled_account_cannot_sign_in(context: AppContext, tenant: Tenant) -> None:
    await _change_user(context, tenant.user_email, is_active=False)
    async with browser(create_app(context=context)) as client:
        answer = await sign_in(client, tenant.user_email)
    assert answer.status_code == 403
    assert "disabled" in answer.text
    assert await _sessions(context) == []


async def test_disabling_an_account_ends_its_sessions(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        assert (await sign_in(client, tenant.user_email)).status_code == 303
        await _change_user(context, tenant.user_email, is_active=False)
        assert (await client.get("/app/")).status_code == 303


async def test_next_never_leaves_the_app(context: AppContext, tenant: Tenant) -> None:
    for target in ("//evil.test/app", "https://evil.test/", "/web/package", "/app\\..\\x"):
        async with browser(create_app(context=context)) as client:
            answer = await sign_in(client, tenant.user_email, next=target)
            assert answer.headers["location"] == "/app/", target


async def test_signing_out_ends_the_session(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.user_email)
        stolen = client.cookies.get("signflow_app")
        token = await form_token(client, "/app/")
        out = await client.post("/app/signout", data={"csrf": token})
        assert out.status_code == 303 and out.headers["location"] == "/app/signin"
        assert (await client.get("/app/")).status_code == 303
    [row] = await _sessions(context)
    assert row.revoked_at is not None
    async with browser(create_app(context=context)) as replay:
        replay.cookies.set("signflow_app", stolen or "", domain="testserver", path="/app")
        assert (await replay.get("/app/")).status_code == 303


async def test_revoking_another_browser_signs_it_out(context: AppContext, tenant: Tenant) -> None:
    app = create_app(context=context)
    async with browser(app) as laptop, browser(app) as phone:
        await sign_in(laptop, tenant.user_email)
        await sign_in(phone, tenant.user_email)
        page = await laptop.get("/app/sessions")
        assert page.text.count('class="card app-session"') == 2
        _, phone_row = await _sessions(context)
        revoked = await laptop.post(
            f"/app/sessions/{phone_row.id}/revoke", data={"csrf": csrf_of(page.text)}
        )
        assert revoked.status_code == 303
        assert revoked.headers["location"] == "/app/sessions?revoked=1"
        assert (await phone.get("/app/")).status_code == 303
        after = await laptop.get("/app/sessions?revoked=1")
        assert after.status_code == 200 and "The session was revoked." in after.text
        assert after.text.count('class="card app-session"') == 1


async def test_revoking_this_browser_signs_it_out(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.user_email)
        [row] = await _sessions(context)
        token = await form_token(client, "/app/sessions")
        answer = await client.post(f"/app/sessions/{row.id}/revoke", data={"csrf": token})
        assert answer.headers["location"] == "/app/signin"
        assert (await client.get("/app/")).status_code == 303


async def test_no_one_revokes_a_session_of_another_tenant_or_user(
    context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    app = create_app(context=context)
    async with browser(app) as victim, browser(app) as intruder, browser(app) as colleague:
        await sign_in(victim, tenant.user_email)
        await sign_in(intruder, other_tenant.user_email)
        await sign_in(colleague, tenant.admin_email)
        victim_row = (await _sessions(context))[0]
        for client in (intruder, colleague):
            token = await form_token(client, "/app/sessions")
            page = await client.get("/app/sessions")
            assert f"session-{victim_row.id}" not in page.text
            answer = await client.post(
                f"/app/sessions/{victim_row.id}/revoke", data={"csrf": token}
            )
            assert answer.status_code == 404
        assert (await victim.get("/app/")).status_code == 200


async def _signed_in(app: FastAPI, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
    )
    await sign_in(client, email)
    return client


async def test_every_form_refuses_a_missing_or_foreign_csrf_token(
    context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    app = create_app(context=context)
    client = await _signed_in(app, tenant.user_email)
    other = await _signed_in(app, other_tenant.user_email)
    try:
        [row, _] = await _sessions(context)
        foreign = await form_token(other, "/app/sessions")  # a real token, of another session
        own = await form_token(client, "/app/sessions")
        forms = {
            "/app/signin": {"email": tenant.user_email, "password": "x"},
            "/app/signout": {},
            f"/app/sessions/{row.id}/revoke": {},
        }
        for path, data in forms.items():
            for token in (None, "", foreign, own[:-2] + "xx"):
                body = dict(data) if token is None else {**data, "csrf": token}
                answer = await client.post(path, data=body)
                assert answer.status_code == 403, (path, token)
            cross = await client.post(
                path, data={**data, "csrf": own}, headers={"origin": "http://evil.test"}
            )
            assert cross.status_code == 403, path
            site = await client.post(
                path, data={**data, "csrf": own}, headers={"sec-fetch-site": "cross-site"}
            )
            assert site.status_code == 403, path
        assert (await client.get("/app/")).status_code == 200  # nothing was signed out
        header = await client.post(f"/app/sessions/{row.id}/revoke", headers={"x-csrf-token": own})
        assert header.status_code == 303
    finally:
        await client.aclose()
        await other.aclose()


async def test_the_signin_form_is_bound_to_its_browser(context: AppContext, tenant: Tenant) -> None:
    app = create_app(context=context)
    async with browser(app) as attacker, browser(app) as victim:
        token = await form_token(attacker, "/app/signin")
        await victim.get("/app/signin")
        forced = await victim.post(
            "/app/signin",
            data={"csrf": token, "email": tenant.user_email, "password": "x"},
        )
    assert forced.status_code == 403


async def test_a_password_an_admin_set_opens_nothing_until_replaced(
    context: AppContext, tenant: Tenant
) -> None:
    await _change_user(context, tenant.user_email, must_change_password=True)
    async with browser(create_app(context=context)) as client:
        answer = await sign_in(client, tenant.user_email)
        assert answer.status_code == 403
        assert "An administrator set your password" in answer.text
        assert (await client.get("/app/")).status_code == 303
    assert await _sessions(context) == []
