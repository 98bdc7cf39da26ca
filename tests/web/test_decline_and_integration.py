"""A decline at 1366x900 and on a 390x844 phone (integration links: test_embedding_pages.py)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import expect

from tests.web.conftest import SIZES, Web
from tests.web.helpers import ANA, ANA_SIGNS, BEN, BEN_SIGNS, history, workflow


class ApplicationPage(BaseHTTPRequestHandler):
    """The business application: /embed frames the link, anything else is its callback."""

    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        if self.path == "/embed":
            url = self.server.embed_url  # type: ignore[attr-defined]
            body = (
                f'<!doctype html><title>App</title><iframe src="{url}" width="1000" height="760">'
            )
        else:
            self.server.callbacks.append(self.path)  # type: ignore[attr-defined]
            body = "<!doctype html><title>App</title><p>Back in the app</p>"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def application_server() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ApplicationPage)
    server.callbacks = []  # type: ignore[attr-defined]
    server.embed_url = ""  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("size", list(SIZES))
async def test_a_signer_declines(web: Web, size: str) -> None:
    api, live_server = web.api, web.live_server
    viewport = SIZES[size]
    prepared = await web.prepare([ANA, BEN], [ANA_SIGNS, BEN_SIGNS])
    page = await web.page_at(size, "en-GB")
    await page.goto(prepared.links["ana"])
    await expect(page.locator("h1")).to_have_text("Lease 2026")
    # Nothing wider than the screen: no sideways scrolling of the page itself.
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    sign = page.get_by_role("button", name="Sign here “AnaSigns”, page 1")
    await expect(sign).to_be_visible()
    size_of_sign = await sign.bounding_box()
    assert size_of_sign and size_of_sign["height"] >= 24 and size_of_sign["width"] >= 44
    await web.shot_and_check_axe(page, f"decline-{size}-01-package", "package page", strict=True)

    await sign.click()
    await expect(page.locator("#sign-dialog")).to_be_visible()
    canvas = await page.locator("#sign-canvas").bounding_box()
    assert canvas and canvas["width"] <= viewport["width"]
    await web.shot(page, f"decline-{size}-02-sign-dialog")
    await page.locator("#sign-cancel").click()
    await expect(page.locator("#sign-dialog")).to_be_hidden()

    await page.get_by_text("Decline", exact=True).click()
    reason = page.get_by_label("Why do you decline? (up to 500 characters)")
    await reason.fill("The rent is wrong.")
    await web.shot_and_check_axe(page, f"decline-{size}-03-decline", "decline form", strict=True)
    await page.locator("#decline-confirm").click()
    await expect(page).to_have_url(live_server.url + "/web/done")
    await expect(page.locator("[role=status]")).to_have_text(
        "You declined these documents. The sender has been told."
    )
    await web.shot_and_check_axe(page, f"decline-{size}-04-declined", "done page", strict=True)
    await page.context.close()

    assert await workflow(api, prepared) == ("DECLINED", ["DECLINED", "UN_PROCESSED"])
    users = await api.get(
        f"/v3/packages/{prepared.package_id}/workflow/users", headers=prepared.owner
    )
    assert users.json()[0]["reason"] == "The rent is wrong."
    assert "DOCUMENT_DECLINED" in await history(api, prepared)
