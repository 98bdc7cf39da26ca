"""The package page phone first (issue 17, item 4), in Chromium at 1366x900 and 390x844:
the document in the first screen, one toolbar row, 44 px touch targets, labels inside
their boxes, a date shown whole, the API's placeholder in its input, and a sign dialog
with a signing code whose Sign button is in view without scrolling the page (also on a
1366x700 desktop). Screenshots `layout-*.png`, axe-core on each state."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.web.conftest import SIZES, Web
from tests.web.helpers import ANA, add_field, box

SHORT_DESKTOP = {"width": 1366, "height": 700}


async def package_with_every_small_field(web: Web) -> str:
    prepared = await web.prepare([ANA], [], share=False)
    api, owner = web.api, prepared.owner
    ids = (prepared.package_id, prepared.document_id)
    await add_field(api, owner, *ids, ("digital_signature", 1, "AnaSigns", box(72, 560, 200, 50)))
    await add_field(api, owner, *ids, ("initials", 1, "AnaInitials", box(400, 560, 60, 28)))
    await add_field(
        api,
        owner,
        *ids,
        ("electronic_signature", 1, "AnaCode", box(300, 400, 200, 50)),
        authentication=True,
    )
    base = f"/v4/packages/{prepared.package_id}/documents/{prepared.document_id}/fields"
    for body in (
        {
            "field_name": "Start",
            "type": "DATE",
            "format": "dd/mm/yyyy",
            "default_to_signing_date": False,
            "dimensions": box(72, 680, 110, 22),
        },
        {
            "field_name": "Phone",
            "placeholder": "+34 600 000 000",
            "dimensions": box(300, 680, 150, 22),
        },
    ):
        response = await api.post(
            f"{base}/text", json={"order": 1, "page_no": 1, **body}, headers=owner
        )
        assert response.status_code == 200, response.text
    shared = await api.post(f"/v4/packages/{prepared.package_id}/workflow", headers=owner)
    assert shared.status_code == 200, shared.text
    links = await web.prepare_links(prepared)
    return links["ana"]


async def small_targets(page: Page, selector: str) -> list[str]:
    """The visible controls matching `selector` smaller than 44x44 px."""
    found: list[str] = await page.evaluate(
        """sel => [...document.querySelectorAll(sel)].filter(el => {
             const r = el.getBoundingClientRect();
             return r.width > 0 && (r.width < 44 || r.height < 44);
           }).map(el => el.id || el.textContent.trim())""",
        selector,
    )
    return found


async def overflowing(page: Page) -> list[str]:
    """The sign buttons whose label reaches outside the button."""
    found: list[str] = await page.evaluate(
        """() => [...document.querySelectorAll('button.field-sign')].filter(button => {
             const b = button.getBoundingClientRect();
             const l = button.querySelector('.field-label').getBoundingClientRect();
             return l.left < b.left || l.right > b.right || l.top < b.top || l.bottom > b.bottom;
           }).map(button => button.id)"""
    )
    return found


@pytest.mark.parametrize("size", list(SIZES))
async def test_the_document_comes_first_and_everything_fits(web: Web, size: str) -> None:
    viewport = SIZES[size]
    link = await package_with_every_small_field(web)
    page = await web.page_at(size, "en-GB")
    await page.goto(link)
    await expect(page.locator("h1")).to_have_text("Lease 2026")
    await expect(page.locator("#page-count")).to_have_text("Page 1 of 2")
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    # The first page's top half is in the first screen.
    first = await page.locator("#pages .page").first.bounding_box()
    assert first is not None
    assert first["y"] + first["height"] / 2 <= viewport["height"], first
    # One toolbar row: no taller than its tallest button and its padding.
    toolbar = await page.locator(".toolbar").bounding_box()
    assert toolbar is not None and toolbar["height"] <= 62, toolbar
    assert not await small_targets(page, ".toolbar button, .todo .button, .language-menu summary")
    # A field's tappable area is at least 44 px, however small its box on the page.
    initials = page.get_by_role("button", name="Initials here “AnaInitials”, page 1")
    hit = await initials.evaluate(
        "el => { const s = getComputedStyle(el, '::before');"
        " return [parseFloat(s.width), parseFloat(s.height)]; }"
    )
    assert min(hit) >= 44, hit
    # Labels stay inside their boxes.
    assert not await overflowing(page), "a label spills out of its box"

    # The API's placeholder shows; a date shows whole.
    phone_input = page.get_by_label("Text “Phone”, page 1")
    await expect(phone_input).to_have_attribute("placeholder", "+34 600 000 000")
    date = page.get_by_label("Date “Start”, page 1")
    await date.fill("2026-04-01")
    width = await date.evaluate("el => el.getBoundingClientRect().width")
    # What the date needs: a copy of the input at its content's own width, beside it.
    needed = await date.evaluate(
        """el => { const probe = el.cloneNode(); probe.removeAttribute('id');
             probe.style.cssText =
               'position:absolute;visibility:hidden;min-width:0;width:max-content';
             el.after(probe); const w = probe.getBoundingClientRect().width;
             probe.remove(); return w; }"""
    )
    assert width + 1 >= needed, (width, needed)
    await web.shot_and_check_axe(
        page, f"layout-{size}-01-package", f"package page ({size})", strict=True
    )

    # The zoom keeps one row and the count follows the page in view.
    await page.locator("#zoom-in").click()
    await expect(page.locator("#zoom-level")).to_have_text("Zoom: 125%")
    await page.locator("#pages .page").nth(1).scroll_into_view_if_needed()
    await page.evaluate("window.scrollBy(0, 400)")
    await expect(page.locator("#page-count")).to_have_text("Page 2 of 2")
    await page.locator("#zoom-out").click()

    # The sign dialog with a signing code: Sign in view, the page itself not scrolled.
    await page.evaluate("window.scrollTo(0, 0)")
    await page.get_by_role("button", name="Sign here “AnaCode”, page 1").click()
    await expect(page.locator("#code-panel")).to_be_visible()
    await sign_is_in_view(page, viewport)
    assert not await small_targets(page, "#sign-dialog button")
    await web.shot_and_check_axe(
        page, f"layout-{size}-02-sign-code", f"code dialog ({size})", strict=True
    )
    await page.context.close()


async def test_the_toolbar_keeps_one_row_in_german_at_every_width(web: Web) -> None:
    link = await package_with_every_small_field(web)
    page = await web.new_page({"width": 1366, "height": 900}, locale="de-DE")
    await page.goto(link)
    await expect(page.locator("#page-count")).to_have_text("Seite 1 von 2")
    for width in (1366, 1024, 899, 700, 600, 390, 360):
        await page.set_viewport_size({"width": width, "height": 800})
        toolbar = await page.locator(".toolbar").bounding_box()
        assert toolbar is not None and toolbar["height"] <= 62, (width, toolbar)
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        if width >= 390:  # the page count whole, not cut with an ellipsis
            count = page.locator("#page-count")
            assert await count.evaluate("el => el.scrollWidth <= el.clientWidth"), width
    await page.context.close()


async def sign_is_in_view(page: Page, viewport: dict[str, int]) -> None:
    scrolled = await page.evaluate("window.scrollY")
    apply = await page.locator("#sign-apply").bounding_box()
    cancel = await page.locator("#sign-cancel").bounding_box()
    assert apply is not None and cancel is not None
    for button in (apply, cancel):
        assert button["y"] >= 0 and button["y"] + button["height"] <= viewport["height"], button
    assert await page.evaluate("window.scrollY") == scrolled


async def test_on_a_short_desktop_the_code_dialog_keeps_sign_in_view(web: Web) -> None:
    link = await package_with_every_small_field(web)
    page = await web.new_page(SHORT_DESKTOP, locale="en-GB")
    await page.goto(link)
    await page.get_by_role("button", name="Sign here “AnaCode”, page 1").click()
    await expect(page.locator("#code-panel")).to_be_visible()
    await sign_is_in_view(page, SHORT_DESKTOP)
    await web.shot_and_check_axe(
        page, "layout-desktop-700-sign-code", "code dialog (1366x700)", strict=True
    )
    await page.context.close()
