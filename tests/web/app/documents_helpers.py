"""What the app's document tests share: signing in to the app, reading its form token,
and posting its forms."""

from __future__ import annotations

import re

import httpx

from tests.factories import Tenant, sign_in

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


async def app_signed_in(client: httpx.AsyncClient, tenant: Tenant, email: str) -> None:
    """The client holds an app session of `email` (a cookie, as a browser would)."""
    tokens = await sign_in(client, tenant, email)
    client.cookies.set("shim_token", tokens["access_token"])


def form_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page has no form token"
    return found.group(1)


async def page_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return form_token(page.text)
