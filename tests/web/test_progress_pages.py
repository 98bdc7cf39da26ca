"""The owner's progress page in a real browser, on a phone."""

from __future__ import annotations

from playwright.async_api import expect

from tests.pdf import active_pdfs
from tests.web.conftest import Web
from tests.web.helpers import ANA, ANA_SIGNS, PHONE

# The sizes the project's screenshots of changed pages are looked at in.
DESKTOP_SHOT = {"width": 1366, "height": 900}
PHONE_SHOT = {"width": 390, "height": 844}


async def test_the_owner_follows_a_package_on_a_phone(web: Web) -> None:
    prepared = await web.prepare(
        [ANA, ("ben", "REVIEWER"), ("carla", "CARBON_COPY")],
        [ANA_SIGNS],
        name="Contrato de alquiler con un nombre bastante largo 2026",
    )
    response = await web.api.post(
        "/v4/links/progress", json={"package_id": prepared.package_id}, headers=prepared.owner
    )
    assert response.status_code == 200, response.text
    url = response.json()["url"]

    page = await web.new_phone_page("es-ES")
    try:
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
        await web.shot_and_check_axe(page, "progress-phone-es", "progress page (es, phone)")

        # The language switch keeps the link; reloading is allowed.
        await page.locator(".language-menu summary").click()  # the switch opens its list
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("#next-summary")).to_contain_text("Next to act: Ana")
        await page.reload()
        await expect(page.locator("h2#recipients-title")).to_have_text("Recipients, in order")
        await web.shot_and_check_axe(page, "progress-phone-en", "progress page (en, phone)")
    finally:
        await page.context.close()


async def test_the_progress_page_says_active_content_was_removed(web: Web) -> None:
    """SIGNFLOW_PDF_ACTIVE_CONTENT=strip (default): the owner's page names the removal."""
    prepared = await web.prepare([ANA], [ANA_SIGNS], name="Formulario con scripts", share=False)
    uploaded = await web.api.post(
        f"/v3/packages/{prepared.package_id}/documents",
        content=active_pdfs.everything(),
        headers=prepared.owner | {"x-file-name": "form-with-scripts.pdf"},
    )
    assert uploaded.status_code == 201, uploaded.text
    shared = await web.api.post(
        f"/v3/packages/{prepared.package_id}/workflow", headers=prepared.owner
    )
    assert shared.status_code == 200, shared.text
    response = await web.api.post(
        "/v4/links/progress", json={"package_id": prepared.package_id}, headers=prepared.owner
    )
    url = response.json()["url"]
    for viewport, size in ((DESKTOP_SHOT, "desktop"), (PHONE_SHOT, "phone")):
        for locale, label in (
            ("es-ES", "Contenido activo eliminado de un documento"),
            ("en-GB", "Active content removed from a document"),
        ):
            page = await web.new_page(viewport, locale=locale)
            try:
                await page.goto(url)
                await expect(page.locator("#history")).to_contain_text(label)
                await expect(page.locator("#documents")).to_contain_text("form-with-scripts.pdf")
                name = f"progress-active-content-{size}-{locale[:2]}"
                await web.shot_and_check_axe(page, name, f"progress page ({locale}, {size})")
            finally:
                await page.context.close()
