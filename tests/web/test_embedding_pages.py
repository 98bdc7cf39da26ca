"""Embedding in Chromium: the admin API allows an origin; a parent page there frames the
signing and hears every outcome by postMessage; a page elsewhere is refused without
using the link up; not framed, the outcome sends the top window to the callback."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.factories import bearer
from tests.web.conftest import SIZES, Web
from tests.web.helpers import (
    ANA,
    ANA_SIGNS,
    TALL_PHONE,
    WIDE_DESKTOP,
    Prepared,
    check_axe,
    history,
    workflow,
)

# The parent page keeps every message it receives, with the sender's origin.
LISTENER = (
    "<script>window.received = []; window.addEventListener('message', function (e) {"
    " window.received.push({origin: e.origin, data: e.data}); });</script>"
)


class ParentPage(BaseHTTPRequestHandler):
    """The business application: /embed frames the link; anything else is its callback."""

    server: Any

    def do_GET(self) -> None:
        if self.path == "/favicon.ico":
            self.send_response(404)
            self.end_headers()
            return
        if self.path == "/embed":
            body = (
                "<!doctype html><html lang='en'><meta name='viewport'"
                " content='width=device-width, initial-scale=1'><title>App</title>"
                "<style>body { margin: 0 } iframe { display: block; border: 0;"
                " width: 100vw; height: 100vh }</style>"
                f'{LISTENER}<iframe title="Signing" src="{self.server.embed_url}"></iframe></html>'
            )
        else:
            self.server.callbacks.append(self.path)
            body = "<!doctype html><html lang='en'><title>App</title><p>Back in the app</p>"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def parent_server() -> Any:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), ParentPage)
    server.callbacks, server.embed_url = [], ""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def allow(web: Web, origins: list[str], callback: str | None) -> dict[str, Any]:
    """The enterprise admin sets the application's origins and callback through the API."""
    admin = await bearer(web.api, web.tenant, web.tenant.admin_email)
    listed = await web.api.get("/v4/enterprise/applications", headers=admin)
    assert listed.status_code == 200, listed.text
    (application,) = [a for a in listed.json() if a["client_id"] == web.tenant.client_id]
    response = await web.api.put(
        f"/v4/enterprise/applications/{application['id']}/embedding",
        json={"allowed_origins": origins, "callback_url": callback},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def integration_link(api: httpx.AsyncClient, prepared: Prepared, email: str) -> str:
    response = await api.post(
        "/v4/links/integration",
        json={"package_id": prepared.package_id, "user_email": email, "language": "en"},
        headers=prepared.owner,
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    return url


async def messages(page: Page, count: int) -> list[dict[str, Any]]:
    await page.wait_for_function(f"window.received.length >= {count}")
    received: list[dict[str, Any]] = await page.evaluate("window.received")
    return received


@pytest.mark.parametrize("size", list(SIZES))
async def test_a_parent_frames_the_signing_and_hears_each_outcome(web: Web, size: str) -> None:
    api, live = web.api, web.live_server
    app = parent_server()
    allowed = f"http://localhost:{app.server_port}"
    elsewhere = f"http://127.0.0.1:{app.server_port}"  # the same server, another origin
    body = await allow(web, [allowed + "/"], f"{allowed}/signed?ticket=42")
    assert body["allowed_origins"] == [allowed]
    prepared = await web.prepare([ANA], [ANA_SIGNS])
    ana = prepared.email("ana", web.tenant)
    url = await integration_link(api, prepared, ana)
    app.embed_url = url

    # A page of an origin that is not allowed: Chromium refuses the frame...
    page = await web.new_page(WIDE_DESKTOP)
    link_responses: list[dict[str, str]] = []
    page.on(
        "response",
        lambda r: link_responses.append(r.headers) if "/web/integration/" in r.url else None,
    )
    await page.goto(f"{elsewhere}/embed")
    assert f"frame-ancestors {allowed}" in link_responses[-1]["content-security-policy"]
    # Chromium shows its own error page in the frame instead.
    (child,) = page.main_frame.child_frames
    await expect(page.frame_locator("iframe").locator("body")).not_to_contain_text("Your documents")
    assert child.url.startswith("chrome-error://"), child.url
    assert await page.evaluate("window.received.length") == 0
    await web.shot(page, "embed-01-refused-origin")
    await page.context.close()
    # ...and the link was not used: nothing opened it.
    assert "INTEGRATION_LINK_OPENED" not in await history(api, prepared)

    # The allowed origin frames the same link: it opens, and the signer signs.
    page = await web.page_at(size)
    await page.goto(f"{allowed}/embed")
    frame = page.frame_locator("iframe")
    await expect(frame.locator("h1")).to_have_text("Lease 2026")
    signing = page.frames[1]
    await check_axe(signing, web.axe_source, f"framed package page ({size})", strict=True)
    await web.shot(page, f"embed-{size}-01-framed")
    await frame.get_by_role("button", name="Sign here “AnaSigns”, page 1").click()
    await frame.get_by_label("Type").check()
    await frame.locator("#sign-apply").click()
    await expect(frame.locator("#finish")).to_be_visible()
    (signed,) = await messages(page, 1)
    assert signed["origin"] == live.url
    assert signed["data"] == {
        "source": "signflow",
        "version": 1,
        "event": "signed",
        "package_id": prepared.package_id,
        "recipient_status": "SIGNED",  # every signature given; finishing is next
        "workflow_status": "SHARED",
        "field_name": "AnaSigns",
    }
    await web.shot(page, f"embed-{size}-02-framed-signed")
    await frame.locator("#finish").click()
    finished = (await messages(page, 2))[1]
    assert finished["data"]["event"] == "finished"
    assert finished["data"]["recipient_status"] == "SIGNED"
    assert finished["data"]["workflow_status"] == "COMPLETED"
    # The callback is the parent's business, not the frame's: the frame shows the done page.
    await expect(frame.locator("[role=status]")).to_contain_text("Your part is done")
    assert app.callbacks == []
    await web.shot(page, f"embed-{size}-03-framed-finished")
    await check_axe(signing, web.axe_source, f"framed done page ({size})", strict=True)
    # A page the session cannot show tells the parent too.
    await page.locator("iframe").evaluate(
        "f => { f.src = f.src.replace(/\\/web\\/integration\\/.*/, "
        "'/web/package/documents/999999/file'); }"
    )
    error = (await messages(page, 3))[2]
    assert error["data"]["event"] == "error" and error["data"]["code"] == "error.link"
    await page.context.close()
    assert await workflow(api, prepared) == ("COMPLETED", ["SIGNED"])
    # The link worked once: now it is used.
    again = await api.get(url.removeprefix(live.url))
    assert again.status_code == 200  # its page; opening it is refused
    opened = await api.post("/web/integration", data={"token": url.rsplit("/", 1)[1]})
    assert opened.status_code == 404 and "not valid any more" in opened.text
    app.shutdown()
    app.server_close()


async def test_not_framed_a_decline_sends_the_window_to_the_callback(web: Web) -> None:
    api = web.api
    app = parent_server()
    allowed = f"http://localhost:{app.server_port}"
    await allow(web, [allowed], f"{allowed}/back?ticket=9")
    prepared = await web.prepare([ANA], [ANA_SIGNS])
    url = await integration_link(api, prepared, prepared.email("ana", web.tenant))
    page = await web.new_page(
        TALL_PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="en-GB"
    )
    await page.goto(url)
    await expect(page.locator("h1")).to_have_text("Lease 2026")
    await page.get_by_text("Decline", exact=True).tap()
    await page.get_by_label("Why do you decline? (up to 500 characters)").fill("Wrong rent.")
    await page.locator("#decline-confirm").tap()
    await expect(page.locator("p")).to_have_text("Back in the app")
    query = parse_qs(urlsplit(app.callbacks[-1]).query)
    assert query["ticket"] == ["9"] and query["status"] == ["DECLINED"]
    assert query["workflow_status"] == ["DECLINED"]
    await page.context.close()
    app.shutdown()
    app.server_close()


async def test_the_link_page_without_script_opens_by_its_button(web: Web) -> None:
    """The page a link shows first, at both sizes, with axe; without JavaScript its
    button opens the documents."""
    prepared = await web.prepare([ANA], [ANA_SIGNS])
    ana = prepared.email("ana", web.tenant)
    for viewport, name in ((WIDE_DESKTOP, "desktop"), (TALL_PHONE, "phone")):
        url = await integration_link(web.api, prepared, ana)
        page = await web.new_page(viewport, java_script_enabled=False)
        await page.goto(url)
        await expect(page.locator("h1")).to_have_text("Your documents")
        await web.shot(page, f"embed-04-link-page-{name}")
        await page.get_by_role("button", name="Open the documents").click()
        await expect(page.locator("h1")).to_have_text("Lease 2026")
        await page.context.close()
        # axe needs script: the same page with script on, but without app.js (which would
        # open the link at once).
        page = await web.new_page(viewport)
        await page.route("**/app.js*", lambda route: route.abort())
        await page.goto(await integration_link(web.api, prepared, ana))
        await expect(page.locator("h1")).to_have_text("Your documents")
        await web.shot_and_check_axe(page, f"embed-05-link-page-axe-{name}", "link page")
        await page.context.close()
