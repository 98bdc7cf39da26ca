"""What the app's document tests share: signing in to the app, reading its form token,
and posting its forms."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
from playwright.async_api import Locator, Page

from tests.factories import Tenant, sign_in

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

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


async def app_signed_in_browser(page: Page, live: LiveServer, tenant: Tenant, email: str) -> None:
    """The page's browser holds an app session of `email`."""
    async with httpx.AsyncClient(base_url=live.url) as client:
        tokens = await sign_in(client, tenant, email)
    await page.context.add_cookies(
        [{"name": "shim_token", "value": str(tokens["access_token"]), "url": live.url}]
    )


async def drag(page: Page, source: Locator, target: Locator, at: tuple[float, float]) -> None:
    """Drag `source` with the mouse (pointer events) to the point `at` of `target`, given as
    fractions of its width and height."""
    start = await source.bounding_box()
    end = await target.bounding_box()
    assert start is not None and end is not None
    await page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(
        end["x"] + end["width"] * at[0], end["y"] + end["height"] * at[1], steps=12
    )
    await page.mouse.up()
