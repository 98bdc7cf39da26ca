"""The sign-in page's forgotten password over HTTP, on SQLite and PostgreSQL: the same
answer for any address, a mail only to the proven, active account, counted requests,
CSRF, and a reset that signs every browser out."""

from __future__ import annotations

import re

from fastapi import FastAPI
from sqlalchemy import select

from signflow.app import create_app
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import AppSession
from tests.accounts.helpers import file_mails, send_mail, text_of, to
from tests.factories import Tenant
from tests.web.app.helpers import browser, form_token, sign_in

RESET_PATH = re.compile(r"https?://[^/\s]+(/web/password/sfp_[A-Za-z0-9_-]+)")


async def _ask(app: FastAPI, email: str) -> tuple[int, str]:
    async with browser(app) as client:
        token = await form_token(client, "/app/forgot")
        answer = await client.post("/app/forgot", data={"csrf": token, "email": email})
        return answer.status_code, answer.text


async def test_any_address_gets_the_same_answer_and_only_an_account_a_mail(
    context: AppContext, tenant: Tenant
) -> None:
    app = create_app(context=context)
    known = await _ask(app, tenant.user_email.upper())
    unknown = await _ask(app, "nobody@acme.test")
    assert known[0] == unknown[0] == 200
    assert known[1].replace(tenant.user_email.upper(), "X") == unknown[1].replace(
        "nobody@acme.test", "X"
    )
    await send_mail(context)
    mails = file_mails(context)
    assert [m["To"].addresses[0].addr_spec for m in mails] == [tenant.user_email]
    assert RESET_PATH.search(text_of(mails[0]))


async def test_a_reset_signs_every_browser_out(context: AppContext, tenant: Tenant) -> None:
    app = create_app(context=context)
    async with browser(app) as signed_in:
        await sign_in(signed_in, tenant.user_email)
        assert (await signed_in.get("/app/")).status_code == 200
        await _ask(app, tenant.user_email)
        await send_mail(context)
        [path] = RESET_PATH.findall(text_of(to(file_mails(context), tenant.user_email)[-1]))
        async with browser(app) as other:
            done = await other.post(
                path, data={"password": "a new password", "confirm": "a new password"}
            )
            assert done.status_code == 200, done.text
        assert (await signed_in.get("/app/")).status_code == 303
        async with transaction(context.sessions) as session:
            rows = list(await session.scalars(select(AppSession)))
        assert rows and all(row.revoked_at is not None for row in rows)
        again = await sign_in(signed_in, tenant.user_email, "a new password")
        assert again.status_code == 303


async def test_requests_are_counted(context: AppContext, tenant: Tenant) -> None:
    app = create_app(context=context)
    answers = [
        await _ask(app, tenant.user_email) for _ in range(context.settings.signin_max_failures + 1)
    ]
    status, text = answers[-1]
    assert status == 429 and "Too many failed attempts" in text
    assert all(status == 200 for status, _ in answers[:-1])


async def test_a_bad_address_is_refused_with_the_form(context: AppContext) -> None:
    status, text = await _ask(create_app(context=context), "not an address")
    assert status == 400 and "Give an e-mail address." in text


async def test_the_form_needs_its_csrf_token(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await client.get("/app/forgot")
        for data in ({"email": tenant.user_email}, {"email": tenant.user_email, "csrf": "x"}):
            assert (await client.post("/app/forgot", data=data)).status_code == 403
        token = await form_token(client, "/app/forgot")
        cross = await client.post(
            "/app/forgot",
            data={"csrf": token, "email": tenant.user_email},
            headers={"origin": "https://evil.test"},
        )
        assert cross.status_code == 403
    await send_mail(context)
    assert file_mails(context) == []
