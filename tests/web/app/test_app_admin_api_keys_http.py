"""The admin's API keys page over HTTP, on SQLite and PostgreSQL: admins only, a new key
shown once and working, revoked keys stop working, CSRF on every form, and another
enterprise's keys out of reach."""

from __future__ import annotations

import re

import httpx

from signflow.app import create_app
from signflow.context import AppContext
from tests.factories import Tenant
from tests.web.app.helpers import browser, form_token, sign_in

PAGE = "/app/admin/apikeys"
KEY = re.compile(r'<code id="created-key" class="app-key">(sfk_[A-Za-z0-9_-]+)</code>')
KEY_ID = re.compile(r'id="key-(\d+)"')


async def _works(client: httpx.AsyncClient, key: str) -> bool:
    # Any x-api-key route: a good key is never 401.
    answer = await client.get("/JSON/list/flat", headers={"x-api-key": key})
    return answer.status_code != 401


async def test_an_admin_creates_and_revokes_a_key(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.admin_email)
        token = await form_token(client, PAGE)
        created = await client.post(PAGE, data={"csrf": token, "name": "ERP"})
        assert created.status_code == 200
        [value] = KEY.findall(created.text)
        assert await _works(client, value)
        page = await client.get(PAGE)
        assert value not in page.text and "ERP" in page.text  # shown once
        key_ids = KEY_ID.findall(page.text)
        newest = max(int(i) for i in key_ids)
        revoked = await client.post(f"{PAGE}/{newest}/revoke", data={"csrf": token})
        assert revoked.status_code == 303
        assert not await _works(client, value)


async def test_users_and_other_enterprises_are_refused(
    context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    app = create_app(context=context)
    async with browser(app) as user:
        await sign_in(user, tenant.user_email)
        assert (await user.get(PAGE)).status_code == 403
        token = await form_token(user, "/app/")
        assert (await user.post(PAGE, data={"csrf": token, "name": "x"})).status_code == 403
    async with browser(app) as admin, browser(app) as intruder:
        await sign_in(admin, tenant.admin_email)
        page = await admin.get(PAGE)
        key_id = KEY_ID.findall(page.text)[0]  # the bootstrap key
        await sign_in(intruder, other_tenant.admin_email)
        token = await form_token(intruder, PAGE)
        answer = await intruder.post(f"{PAGE}/{key_id}/revoke", data={"csrf": token})
        assert answer.status_code == 404
        assert f'id="key-{key_id}"' not in (await intruder.get(PAGE)).text
        assert await _works(admin, tenant.api_key)


async def test_every_form_needs_its_csrf_token(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.admin_email)
        page = await client.get(PAGE)
        key_id = KEY_ID.findall(page.text)[0]
        own = await form_token(client, PAGE)
        for path, data in ((PAGE, {"name": "x"}), (f"{PAGE}/{key_id}/revoke", {})):
            for body in (data, {**data, "csrf": "forged"}):
                assert (await client.post(path, data=body)).status_code == 403
            cross = await client.post(
                path, data={**data, "csrf": own}, headers={"origin": "https://evil.test"}
            )
            assert cross.status_code == 403
        assert await _works(client, tenant.api_key)
