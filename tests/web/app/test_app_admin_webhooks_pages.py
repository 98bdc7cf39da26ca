"""The admin's webhook endpoints and integration applications in Chromium, at 1366x900
in English and 390x844 in Spanish: an admin creates an endpoint pointing at a real
receiver on loopback, sends a test event, sees the delivery appear in the log (htmx,
no reload), opens it, and redelivers it (the receiver gets it twice); the applications
page's origins saved and a refused one said. axe-core strict on each page; screenshots
in tests/artifacts/web/.

The server here is one of this module's own: the operator allow-lists loopback
(`webhook_allowed_networks`), which the shared test server does not."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from signflow.outbox.worker import Worker
from tests.factories import PASSWORD, make_tenant
from tests.web.conftest import LiveServer, Web, serving
from tests.webhooks.receiver import Receiver

TEXTS = {
    "en-GB": {
        "email": "E-mail address",
        "password": "Password",
        "hooks": "Webhook endpoints",
        "apps": "Integration applications",
        "delivered": "Delivered",
        "queued": "A test event is on its way.",
        "again": "The delivery is on its way again.",
        "saved": "The application was saved.",
    },
    "es-ES": {
        "email": "Correo electrónico",
        "password": "Contraseña",
        "hooks": "Destinos de webhooks",
        "apps": "Aplicaciones de integración",
        "delivered": "Entregado",
        "queued": "Un evento de prueba está en camino.",
        "again": "El envío vuelve a estar en camino.",
        "saved": "La aplicación se ha guardado.",
    },
}


@pytest.fixture(scope="module")
async def hooks_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    async with serving(
        tmp_path_factory.mktemp("hooks-var"),
        webhook_allowed_networks="127.0.0.0/8",
        webhook_timeout_seconds=5.0,
    ) as server:
        yield server


@pytest.fixture
async def hooks_web(
    browser: Browser, hooks_server: LiveServer, axe_source: str, artifacts: Path
) -> AsyncIterator[Web]:
    tenant = await make_tenant(hooks_server.context, f"Hooks{time.monotonic_ns()}")
    async with httpx.AsyncClient(base_url=hooks_server.url, timeout=30) as api:
        yield Web(browser, hooks_server, api, tenant, axe_source, artifacts)


async def _sign_in(page: Page, web: Web, texts: dict[str, str]) -> None:
    await page.goto(web.live_server.url + "/app/signin")
    await page.get_by_label(texts["email"], exact=True).fill(web.tenant.admin_email)
    await page.get_by_label(texts["password"], exact=True).fill(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(web.live_server.url + "/app/")


async def _deliver(web: Web) -> None:
    """The outbox's worker, as the server's would run it: sends what is queued."""
    await Worker(web.live_server.context).run_until_idle()


async def _fits(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None and width <= viewport["width"]


@pytest.mark.parametrize(("size", "locale"), [("desktop", "en-GB"), ("phone", "es-ES")])
async def test_an_admin_creates_an_endpoint_and_sees_its_deliveries(
    hooks_web: Web, receiver: Receiver, size: str, locale: str
) -> None:
    web, texts, name = hooks_web, TEXTS[locale], f"{size}-{locale[:2]}"
    page = await web.page_at(size, locale)
    try:
        await _sign_in(page, web, texts)
        await page.locator('a[href="/app/admin/webhooks"]').click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(texts["hooks"])
        await expect(page.locator("#no-endpoints")).to_be_visible()
        await page.locator("#new-url").fill(receiver.url())
        await page.locator("#new-description").fill("ERP")
        await page.get_by_role("checkbox", name="TEST").check()
        await page.get_by_role("checkbox", name="SIGNED_PACKAGE").check()
        await page.locator("#hook-submit").click()
        secret = page.locator("#created-secret")
        await expect(secret).to_contain_text("whsec_")
        await web.shot_and_check_axe(
            page, f"app-webhooks-created-{name}", "a new endpoint", strict=True
        )
        await _fits(page)

        # htmx posts and refreshes the log in place: the page is never reloaded.
        await page.evaluate("window.stillTheSamePage = true")
        await page.locator("#send-test").click()
        await expect(page.locator("#hooks-notice")).to_have_text(texts["queued"])
        await expect(page.locator(".hooks-delivery")).to_have_count(1)
        await _deliver(web)
        assert len(receiver.requests) == 1
        await page.locator("#refresh").click()
        delivery = page.locator(".hooks-delivery")
        await expect(delivery.locator(".hooks-status")).to_have_text(texts["delivered"])
        await expect(delivery).to_contain_text("200")
        assert await page.evaluate("window.stillTheSamePage === true")
        await expect(secret).to_have_count(1)  # the secret was not asked for again
        await web.shot_and_check_axe(page, f"app-webhooks-log-{name}", "the log", strict=True)
        await _fits(page)

        await delivery.locator("a").first.click()
        await expect(page.locator("#payload")).to_contain_text('"status":"TEST"')
        await expect(page.locator("#attempt-1")).to_contain_text("200")
        await expect(page.locator("#attempt-1 pre")).to_have_text("ok")
        await web.shot_and_check_axe(
            page, f"app-webhooks-delivery-{name}", "a delivery", strict=True
        )
        await _fits(page)
        await page.locator("#back-to-log").click()
        await expect(page.locator("#created-secret")).to_have_count(0)  # shown once

        await page.evaluate("window.stillTheSamePage = true")
        await page.locator(".hooks-delivery button").click()
        await expect(page.locator("#hooks-notice")).to_have_text(texts["again"])
        await expect(page.locator("#log-title")).to_be_focused()  # not lost with the button
        await _deliver(web)
        assert len(receiver.requests) == 2
        first, second = receiver.requests
        assert second.body == first.body
        assert second.headers["webhook-id"] == first.headers["webhook-id"]
        await page.locator("#refresh").click()
        await expect(page.locator(".hooks-delivery dd").nth(2)).to_have_text("2")
        assert await page.evaluate("window.stillTheSamePage === true")

        await page.locator("#back-to-list").click()
        await expect(page.locator("#endpoints li")).to_contain_text(receiver.url())
        await web.shot_and_check_axe(page, f"app-webhooks-{name}", "the endpoints", strict=True)
        await _fits(page)
    finally:
        await page.context.close()


async def test_the_log_works_without_javascript(hooks_web: Web, receiver: Receiver) -> None:
    web, texts = hooks_web, TEXTS["en-GB"]
    page = await web.page_at("desktop", "en-GB", java_script_enabled=False)
    try:
        await _sign_in(page, web, texts)
        await page.goto(web.live_server.url + "/app/admin/webhooks")
        await page.locator("#new-url").fill(receiver.url())
        await page.locator("#hook-submit").click()
        await page.locator("#send-test").click()
        await expect(page.locator("#hooks-notice")).to_have_text(texts["queued"])
        await _deliver(web)
        await page.locator("#refresh").click()
        await expect(page.locator(".hooks-status")).to_have_text(texts["delivered"])
        await page.locator(".hooks-delivery button").click()
        await expect(page.locator("#hooks-notice")).to_have_text(texts["again"])
        await _deliver(web)
        assert len(receiver.requests) == 2
    finally:
        await page.context.close()


@pytest.mark.parametrize(("size", "locale"), [("desktop", "en-GB"), ("phone", "es-ES")])
async def test_the_applications_page(hooks_web: Web, size: str, locale: str) -> None:
    web, texts, name = hooks_web, TEXTS[locale], f"{size}-{locale[:2]}"
    page = await web.page_at(size, locale)
    try:
        await _sign_in(page, web, texts)
        await page.locator('a[href="/app/admin/applications"]').click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(texts["apps"])
        card = page.locator(f"#applications li:has-text('{web.tenant.client_id}')")
        await card.locator("textarea").fill("https://shop.example.com\nhttps://erp.example.com")
        await card.locator("input[type=url]").fill("https://shop.example.com/signed")
        await card.locator("button").click()
        await expect(page.get_by_role("status")).to_have_text(texts["saved"])
        await expect(card.locator("textarea")).to_have_value(
            "https://shop.example.com\nhttps://erp.example.com"
        )
        await web.shot_and_check_axe(page, f"app-applications-{name}", "applications", strict=True)
        await _fits(page)
        await card.locator("textarea").fill("https://shop.example.com/with/a/path")
        await card.locator("button").click()
        await expect(page.get_by_role("alert")).to_contain_text("is not an origin")
        await web.shot_and_check_axe(
            page, f"app-applications-refused-{name}", "a refused origin", strict=True
        )
    finally:
        await page.context.close()
