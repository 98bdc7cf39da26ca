"""What the app's document tests share: signing in to the app, reading its form token,
and posting its forms."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
from playwright.async_api import Locator, Page

from tests.factories import PASSWORD, Tenant
from tests.web.app.helpers import sign_in as app_sign_in

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


async def app_signed_in(client: httpx.AsyncClient, tenant: Tenant, email: str) -> None:
    """The client holds an app session of `email`, signed in through the app's form."""
    del tenant  # the address names the account
    answer = await app_sign_in(client, email)
    assert answer.status_code == 303, answer.text


def form_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page has no form token"
    return found.group(1)


async def page_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return form_token(page.text)


async def app_signed_in_browser(page: Page, live: LiveServer, email: str) -> None:
    """The page's browser signs in to the app through its sign-in page."""
    await page.goto(live.url + "/app/signin")
    await page.locator("#email").fill(email)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#signin-submit").click()
    await page.wait_for_url(live.url + "/app/")


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
