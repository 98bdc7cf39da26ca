"""The single sign-on pages over HTTP, on SQLite and PostgreSQL: CSRF on the address
form, nothing told about addresses without SSO, and a callback that holds only with the
state this browser was given."""

from __future__ import annotations

import httpx

from signflow.app import create_app
from signflow.context import AppContext
from tests.factories import Tenant, bearer
from tests.web.app.helpers import browser, form_token


async def test_the_address_form_needs_its_csrf_token(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await client.get("/app/sso")
        refused = await client.post("/app/sso", data={"email": tenant.user_email})
        assert refused.status_code == 403
        token = await form_token(client, "/app/sso")
        cross = await client.post(
            "/app/sso",
            data={"csrf": token, "email": tenant.user_email},
            headers={"origin": "https://evil.test"},
        )
        assert cross.status_code == 403


async def test_an_address_without_sso_gets_the_same_answer_as_an_unknown_one(
    context: AppContext, tenant: Tenant
) -> None:
    async with browser(create_app(context=context)) as client:
        answers = []
        for email in (tenant.user_email, "nobody@nowhere.test"):
            token = await form_token(client, "/app/sso")
            answer = await client.post("/app/sso", data={"csrf": token, "email": email})
            answers.append((answer.status_code, answer.text.replace(email, "X")))
    assert answers[0] == answers[1] and answers[0][0] == 404


async def test_the_address_form_finds_the_enterprise_of_a_proven_account(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    body = {"issuer": "https://idp.example.test", "client_id": "c", "client_secret": "s"}
    put = await client.put("/v4/enterprise/settings/sso", json=body, headers=admin)
    signin_path = put.json()["signin_url"].removeprefix("http://testserver")
    async with browser(create_app(context=context)) as web:
        token = await form_token(web, "/app/sso")
        found = await web.post("/app/sso", data={"csrf": token, "email": tenant.user_email})
        assert found.status_code == 200 and f'href="{signin_path}"' in found.text
        other = await web.post("/app/sso", data={"csrf": token, "email": other_tenant.user_email})
        assert other.status_code == 404 and "/app/sso/" not in other.text.replace(
            'action="/app/sso"', ""
        )


async def test_a_callback_without_this_browsers_state_is_refused(context: AppContext) -> None:
    async with browser(create_app(context=context)) as client:
        for query in ("", "?code=x&state=y"):
            answer = await client.get("/app/sso/callback" + query)
            assert answer.status_code == 400
            assert "expired or was started in another browser" in answer.text
        client.cookies.set("signflow_app_sso", "forged.value", domain="testserver", path="/app/sso")
        answer = await client.get("/app/sso/callback?code=x&state=y")
        assert answer.status_code == 400
        assert (await client.get("/app/")).status_code == 303


async def test_an_unknown_signin_address_is_not_found(context: AppContext) -> None:
    async with browser(create_app(context=context)) as client:
        answer = await client.get("/app/sso/not-a-key")
        assert answer.status_code == 404
