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


async def touch_move(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """One finger (touch events through DevTools) from `start` to `end` in ten steps,
    waiting for the page the drop posts to."""
    client = await page.context.new_cdp_session(page)

    async def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
        await client.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    (sx, sy), (ex, ey) = start, end
    async with page.expect_navigation():
        await touch("touchStart", sx, sy)
        for step in range(1, 11):
            await touch("touchMove", sx + (ex - sx) * step / 10, sy + (ey - sy) * step / 10)
        await touch("touchEnd", ex, ey)


async def touch_drag(page: Page, source: Locator, target: Locator, at: float) -> None:
    """Drag `source` with one finger to the point `at` of `target`'s width and height."""
    start, end = await source.bounding_box(), await target.bounding_box()
    assert start and end
    await touch_move(
        page,
        (start["x"] + start["width"] / 2, start["y"] + start["height"] / 2),
        (end["x"] + end["width"] * at, end["y"] + end["height"] * at),
    )
