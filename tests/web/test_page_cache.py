"""Page images in Chromium: URLs named by the image's content, kept by the browser.

A reload transfers no page image; signing a field (in place: the document is not loaded
again) transfers again only the page whose picture changed (the signature drawn on it),
never the others. The picture is chosen for the size shown (srcset), so zooming in asks
for a sharper one."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.web.conftest import Web
from tests.web.helpers import ANA, ANA_SIGNS, TALL_PHONE, WIDE_DESKTOP

IMAGES = "/pages/"


class Transfers:
    """Page-image responses that came over the network, from the DevTools protocol:
    a response the browser's cache served is not one."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.from_cache: set[str] = set()
        self.received: list[str] = []

    def on_sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def on_cached(self, event: dict[str, Any]) -> None:
        self.from_cache.add(event["requestId"])

    def on_response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        if IMAGES not in response["url"]:
            return
        if response.get("fromDiskCache") or event["requestId"] in self.from_cache:
            return
        self.received.append(response["url"])

    def reset(self) -> None:
        self.received.clear()


async def watch(page: Page) -> Transfers:
    transfers = Transfers()
    cdp = await page.context.new_cdp_session(page)
    cdp.on("Network.requestWillBeSent", transfers.on_sent)
    cdp.on("Network.requestServedFromCache", transfers.on_cached)
    cdp.on("Network.responseReceived", transfers.on_response)
    await cdp.send("Network.enable")
    return transfers


async def every_page_shown(page: Page) -> list[str]:
    """Scroll to each page (the later ones load lazily) and wait until each is decoded."""
    images = page.locator(".page img")
    count = await images.count()
    for index in range(count):
        image = images.nth(index)
        await image.scroll_into_view_if_needed()
        await expect(image).to_have_js_property("complete", True)
        assert await image.evaluate("img => img.naturalWidth") > 0
    await page.wait_for_load_state("networkidle")
    # The picture the browser chose among the page's resolutions (srcset).
    sources: list[str] = await images.evaluate_all("all => all.map(img => img.currentSrc)")
    return sources


async def test_reloading_and_signing_transfer_no_unchanged_page_image(web: Web) -> None:
    prepared = await web.prepare([ANA], [ANA_SIGNS])
    page = await web.new_page(WIDE_DESKTOP)
    transfers = await watch(page)
    headers: dict[str, dict[str, str]] = {}
    page.on(
        "response", lambda r: headers.__setitem__(r.url, r.headers) if IMAGES in r.url else None
    )
    await page.goto(prepared.links["ana"])
    first = await every_page_shown(page)
    assert len(first) == 2 and all("?v=" in src for src in first)
    assert sorted(transfers.received) == sorted(first)  # the first visit loads each once
    for src in first:
        assert headers[src]["cache-control"] == "private, max-age=31536000, immutable"
    await web.shot_and_check_axe(page, "cache-01-package-desktop", "package page (desktop)")

    transfers.reset()
    await page.reload()
    assert await every_page_shown(page) == first
    assert transfers.received == []  # a reload: every image from the cache

    transfers.reset()
    await page.evaluate("window.stillTheSameDocument = true")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    await page.get_by_role("button", name="Sign here “AnaSigns”, page 1").click()
    await page.get_by_label("Type").check()
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_contain_text("AnaSigns")
    # Signed in place: the page was updated, not loaded again.
    assert await page.evaluate("window.stillTheSameDocument === true")
    assert navigations == []
    after = await every_page_shown(page)
    # Page 1 now shows the signature: a new picture under a new URL, fetched once.
    # Page 2 did not change: same URL, served by the cache, not transferred again.
    assert after[0] != first[0] and after[1] == first[1]
    assert transfers.received == [after[0]], transfers.received
    await page.context.close()


async def test_an_old_or_missing_version_is_not_kept(web: Web) -> None:
    prepared = await web.prepare([ANA], [ANA_SIGNS])
    page = await web.new_page(
        TALL_PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="en-GB"
    )
    await page.goto(prepared.links["ana"])
    (src, _) = await every_page_shown(page)
    await web.shot_and_check_axe(page, "cache-02-package-phone", "package page (phone)")
    base = src.split("?")[0]
    for url in (base, base + "?v=0000"):
        response = await page.request.get(url)
        assert response.status == 200
        assert response.headers["cache-control"] == "private, no-store"
    await page.context.close()


async def test_zooming_in_asks_for_a_sharper_picture_and_keeps_the_place(web: Web) -> None:
    prepared = await web.prepare([ANA], [ANA_SIGNS])
    page = await web.new_page(WIDE_DESKTOP)
    await page.goto(prepared.links["ana"])
    (first, _) = await every_page_shown(page)
    natural = await page.locator(".page img").first.evaluate("img => img.naturalWidth")
    # Scroll so that a point of page 2 is under the middle of the window, then zoom.
    second = page.locator(".page img").nth(1)
    await second.scroll_into_view_if_needed()
    where = (
        "() => { const r = document.querySelectorAll('.page img')[1].getBoundingClientRect();"
        " return (innerHeight / 2 - r.top) / r.height; }"
    )
    await page.evaluate("window.scrollBy(0, 200)")
    before = await page.evaluate(where)
    for _ in range(4):  # 100 % -> 125 -> 150 -> 200 -> 300 %
        await page.locator("#zoom-in").click()
    await expect(page.locator("#zoom-level")).to_have_text("Zoom: 300%")
    assert abs(await page.evaluate(where) - before) < 0.02  # the same point, still there
    shown = await every_page_shown(page)
    assert "scale=3" in shown[1], shown
    sharp = await second.evaluate("img => img.naturalWidth")
    assert sharp >= 3 * 816 - 3 and natural < sharp, (natural, sharp)
    await web.shot_and_check_axe(page, "cache-03-zoom-300-desktop", "package page at 300 %")

    base = first.split("?")[0]
    version = first.split("v=")[1].split("&")[0]
    sharp_url = f"{base}?v={version}&scale=3"
    response = await page.request.get(sharp_url)
    assert response.headers["cache-control"] == "private, max-age=31536000, immutable"
    for bad in ("4", "0", "1.5", "x"):
        refused = await page.request.get(f"{base}?v={version}&scale={bad}")
        assert refused.status == 400, bad
    await page.context.close()
