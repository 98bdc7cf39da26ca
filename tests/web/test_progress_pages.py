"""The owner's progress page in a real browser, on a phone."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from tests.factories import Tenant
from tests.web.conftest import LiveServer
from tests.web.helpers import PHONE, box, check_axe, prepare, shot


async def test_the_owner_follows_a_package_on_a_phone(
    browser: Browser,
    live_server: LiveServer,
    api: httpx.AsyncClient,
    web_tenant: Tenant,
    axe_source: str,
    artifacts: Path,
) -> None:
    prepared = await prepare(
        api,
        live_server,
        web_tenant,
        [("ana", "SIGNER"), ("ben", "REVIEWER"), ("carla", "CARBON_COPY")],
        [("digital_signature", 1, "AnaSigns", box(72, 120))],
        name="Contrato de alquiler con un nombre bastante largo 2026",
    )
    response = await api.post(
        "/v4/links/progress", json={"package_id": prepared.package_id}, headers=prepared.owner
    )
    assert response.status_code == 200, response.text
    url = response.json()["url"]

    context = await browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="es-ES"
    )
    try:
        page = await context.new_page()
        page.set_default_timeout(15_000)
        await page.goto(url)
        await expect(page.locator("h1")).to_have_text(
            "Contrato de alquiler con un nombre bastante largo 2026"
        )
        assert await page.locator("html").get_attribute("lang") == "es"
        await expect(page.locator("#next-summary")).to_contain_text("Le toca ahora a: Ana")
        await expect(page.locator(".owner-person.is-next h3")).to_contain_text("Ana")
        await expect(page.locator("#recipients > li")).to_have_count(3)
        await expect(page.locator("#documents")).to_contain_text("lease.pdf")
        # Nothing wider than the phone: no sideways scrolling of the page itself.
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert await page.locator("form").count() == 0
        await check_axe(page, axe_source, "progress page (es, phone)")
        await shot(page, artifacts, "progress-phone-es")

        # The language switch keeps the link; reloading is allowed.
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("#next-summary")).to_contain_text("Next to act: Ana")
        await page.reload()
        await expect(page.locator("h2#recipients-title")).to_have_text("Recipients, in order")
        await check_axe(page, axe_source, "progress page (en, phone)")
        await shot(page, artifacts, "progress-phone-en")
    finally:
        await context.close()
