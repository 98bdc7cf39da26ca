"""Served over https, the app's cookies are Secure. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from signflow.app import create_app
from signflow.context import AppContext
from tests.factories import Tenant
from tests.web.app.helpers import browser, sign_in


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"base_url": "https://testserver"}


async def test_the_cookies_are_secure_over_https(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context), "https://testserver") as client:
        page = await client.get("/app/signin")
        answer = await sign_in(client, tenant.user_email)
        assert answer.status_code == 303, answer.text
        assert (await client.get("/app/")).status_code == 200
    for response, name in ((page, "signflow_app_csrf"), (answer, "signflow_app")):
        [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
        assert "; secure" in cookie.lower(), cookie
