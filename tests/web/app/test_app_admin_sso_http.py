"""The admin's single sign-on page over HTTP, on SQLite and PostgreSQL: settings saved
and removed as the API's enterprise/settings/sso does, the client secret never shown
back (only that one is set), the core's refusals as 400 with nothing saved, CSRF on
every form, users refused, and another enterprise's admin never reaching yours."""

from __future__ import annotations

import httpx

from signflow.app import create_app
from signflow.context import AppContext
from signflow.models import EnterpriseSso
from tests.factories import Tenant, bearer
from tests.web.app.helpers import browser, form_token, sign_in

PAGE = "/app/admin/sso"
REMOVE = PAGE + "/remove"
SECRET = "s3cret-Value-that-must-never-show"
SETTINGS = {
    "issuer": "https://login.example.test/realms/acme",
    "client_id": "signflow-acme",
    "client_secret": SECRET,
    "auto_create_users": "true",
}


async def stored(context: AppContext, tenant: Tenant) -> tuple[str, str, bytes, bool] | None:
    async with context.sessions() as session:
        row = await session.get(EnterpriseSso, tenant.enterprise_id)
        if row is None:
            return None
        return row.issuer, row.client_id, row.client_secret_sealed, row.auto_create_users


async def test_an_admin_sets_changes_and_removes_single_sign_on(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    async with browser(create_app(context=context)) as web:
        await sign_in(web, tenant.admin_email)
        first = await web.get(PAGE)
        assert "http://testserver/app/sso/callback" in first.text and 'id="sso-off"' in first.text
        token = await form_token(web, PAGE)
        answer = await web.post(PAGE, data={"csrf": token, **SETTINGS})
        assert answer.status_code == 303 and answer.headers["location"] == PAGE + "?done=saved"
        row = await stored(context, tenant)
        assert row is not None and row[:2] == (SETTINGS["issuer"], SETTINGS["client_id"]) and row[3]
        page = await web.get(answer.headers["location"])
        assert "Single sign-on was saved." in page.text
        assert "A secret is set (it is never shown)." in page.text
        assert SECRET not in page.text
        api = await client.get(
            "/v4/enterprise/settings/sso", headers=await bearer(client, tenant, tenant.admin_email)
        )
        assert api.json()["client_secret_set"] is True
        assert f'href="{api.json()["signin_url"]}"' in page.text

        # Without a secret the stored one stays; the rest changes.
        changed = {**SETTINGS, "client_secret": "", "client_id": "other-id"}
        del changed["auto_create_users"]
        again = await web.post(PAGE, data={"csrf": token, **changed})
        assert again.status_code == 303
        after = await stored(context, tenant)
        assert after is not None and after[1] == "other-id" and after[2] == row[2] and not after[3]

        removed = await web.post(REMOVE, data={"csrf": token})
        assert removed.status_code == 303 and await stored(context, tenant) is None
        assert "Single sign-on was turned off." in (await web.get(removed.headers["location"])).text
        assert (await web.post(REMOVE, data={"csrf": token})).status_code == 404


async def test_the_cores_refusals_are_400_and_change_nothing(
    context: AppContext, tenant: Tenant
) -> None:
    async with browser(create_app(context=context)) as web:
        await sign_in(web, tenant.admin_email)
        token = await form_token(web, PAGE)
        first_without_secret = {**SETTINGS, "client_secret": ""}
        answer = await web.post(PAGE, data={"csrf": token, **first_without_secret})
        assert answer.status_code == 400 and "Give the client secret" in answer.text
        assert await stored(context, tenant) is None
        assert (await web.post(PAGE, data={"csrf": token, **SETTINGS})).status_code == 303
        before = await stored(context, tenant)
        cases = [
            ({"issuer": "http://login.example.test"}, "The issuer must be an https URL"),
            ({"issuer": "https://login.example.test/?x=1"}, "The issuer must be an https URL"),
            ({"issuer": "not a url"}, "The issuer must be an https URL"),
            ({"client_id": "  "}, "client_id is required"),
            ({"issuer": "https://x.test/" + "a" * 600}, "A value is too long"),
            ({"client_secret": "x" * 2500}, "A value is too long"),
        ]
        for values, message in cases:
            answer = await web.post(PAGE, data={"csrf": token, **SETTINGS, **values})
            assert answer.status_code == 400, (values, answer.text)
            assert message in answer.text and 'role="alert"' in answer.text
            assert SECRET not in answer.text
            assert await stored(context, tenant) == before


async def test_every_form_needs_its_csrf_token(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as web:
        await sign_in(web, tenant.admin_email)
        own = await form_token(web, PAGE)
        assert (await web.post(PAGE, data={"csrf": own, **SETTINGS})).status_code == 303
        before = await stored(context, tenant)
        changed = {**SETTINGS, "issuer": "https://evil.test", "client_secret": "stolen"}
        for path in (PAGE, REMOVE):
            for body in (changed, {**changed, "csrf": "forged"}):
                assert (await web.post(path, data=body)).status_code == 403
            cross = await web.post(
                path, data={**changed, "csrf": own}, headers={"origin": "https://evil.test"}
            )
            assert cross.status_code == 403
        assert await stored(context, tenant) == before


async def test_users_are_refused_and_other_enterprises_never_reach_yours(
    context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    app = create_app(context=context)
    async with browser(app) as admin:
        await sign_in(admin, tenant.admin_email)
        token = await form_token(admin, PAGE)
        assert (await admin.post(PAGE, data={"csrf": token, **SETTINGS})).status_code == 303
    before = await stored(context, tenant)
    async with browser(app) as user:
        await sign_in(user, tenant.user_email)
        assert (await user.get(PAGE)).status_code == 403
        token = await form_token(user, "/app/")
        assert (await user.post(PAGE, data={"csrf": token, **SETTINGS})).status_code == 403
        assert (await user.post(REMOVE, data={"csrf": token})).status_code == 403
    async with browser(app) as intruder:
        await sign_in(intruder, other_tenant.admin_email)
        page = await intruder.get(PAGE)
        assert SETTINGS["issuer"] not in page.text and 'id="sso-off"' in page.text
        token = await form_token(intruder, PAGE)
        assert (await intruder.post(REMOVE, data={"csrf": token})).status_code == 404
        theirs = {**SETTINGS, "issuer": "https://globex.example.test", "client_secret": "g"}
        assert (await intruder.post(PAGE, data={"csrf": token, **theirs})).status_code == 303
    assert await stored(context, tenant) == before
    other = await stored(context, other_tenant)
    assert other is not None and other[0] == "https://globex.example.test"
