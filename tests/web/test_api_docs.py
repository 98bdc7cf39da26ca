"""/docs and /redoc in Chromium with every request that leaves the server refused."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Route, expect

from tests.web.conftest import LiveServer
from tests.web.helpers import new_page

SCREENSHOTS = Path("/work/wt/screenshots/ops")
DESKTOP = {"width": 1366, "height": 900}


async def offline_page(browser: Browser, server: LiveServer, elsewhere: list[str]) -> Page:
    """A page that may reach the test server only: anything else is refused and noted."""
    page = await new_page(browser, DESKTOP)
    local = urlsplit(server.url).netloc

    async def only_the_server(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == local:
            await route.continue_()
        else:
            elsewhere.append(url)
            await route.abort("internetdisconnected")

    await page.context.route("**/*", only_the_server)
    return page


def screenshot_dir() -> Path | None:
    if SCREENSHOTS.parent.is_dir():
        SCREENSHOTS.mkdir(exist_ok=True)
        return SCREENSHOTS
    return None


async def test_swagger_ui_lists_the_operations_offline(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    elsewhere: list[str] = []
    page = await offline_page(browser, live_server, elsewhere)
    try:
        await page.goto(f"{live_server.url}/docs")
        operations = page.locator(".opblock-summary-path")
        await expect(
            operations.filter(has_text="/v3/packages/{package_id}/workflow").first
        ).to_be_visible(timeout=60_000)
        assert await operations.count() > 50
        await expect(page.locator(".opblock-tag", has_text="operations")).to_be_visible()
        await page.screenshot(path=str(artifacts / "api-docs-swagger.png"))
        if where := screenshot_dir():
            await page.screenshot(path=str(where / "docs-swagger-desktop.png"))
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.screenshot(path=str(where / "docs-swagger-phone.png"))
    finally:
        await page.context.close()
    assert elsewhere == []


async def test_redoc_lists_the_operations_offline(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    elsewhere: list[str] = []
    page = await offline_page(browser, live_server, elsewhere)
    try:
        await page.goto(f"{live_server.url}/redoc")
        # A megabyte of script and the whole document to lay out: slow on a busy machine.
        await expect(page.locator("h1", has_text="Signflow")).to_be_visible(timeout=60_000)
        menu = page.locator("[role=menuitem]")
        await expect(menu.first).to_be_visible(timeout=30_000)
        assert await menu.count() > 50
        await page.screenshot(path=str(artifacts / "api-docs-redoc.png"))
        if where := screenshot_dir():
            await page.screenshot(path=str(where / "docs-redoc-desktop.png"))
    finally:
        await page.context.close()
    assert elsewhere == []


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_docs_pages_name_no_other_host(live_server: LiveServer, path: str) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=live_server.url) as client:
        page = await client.get(path)
        assert page.status_code == 200
        if path == "/redoc":
            # ReDoc's menu logo comes from its vendor's CDN: the browser must not ask.
            policy = page.headers["content-security-policy"]
            assert "img-src 'self' data:" in policy and "default-src 'self'" in policy
        assert "http://" not in page.text and "https://" not in page.text, page.text
        for asset in (
            ("swagger-ui-bundle.js", "swagger-ui.css")
            if path == "/docs"
            else ("redoc.standalone.js",)
        ):
            assert f"/docs-assets/{asset}" in page.text
            served = await client.get(f"/docs-assets/{asset}")
            assert served.headers["content-type"].split(";")[0] in {
                "text/javascript",
                "application/javascript",
                "text/css",
            }
            assert served.status_code == 200 and len(served.content) > 100_000
