"""The web app's sign-in, home, sessions and sign-out pages in Chromium: on a desktop in
English and on a phone in Spanish, driven by the keyboard on the phone; axe-core on every
page. Screenshots in tests/artifacts/web/."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.factories import PASSWORD
from tests.web.conftest import Web
from tests.web.helpers import TALL_PHONE, WIDE_DESKTOP


async def _tab_to(page: Page, element_id: str, limit: int = 30) -> None:
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


async def test_signing_in_and_out_on_a_desktop(web: Web) -> None:
    page = await web.new_page(WIDE_DESKTOP, locale="en-GB")
    base = web.live_server.url
    try:
        await page.goto(base + "/app/sessions")
        await expect(page).to_have_url(re.compile(r"/app/signin\?next=%2Fapp%2Fsessions$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        await web.shot_and_check_axe(page, "app-signin-desktop", "the app's sign-in page")

        await page.get_by_label("E-mail address", exact=True).fill(web.tenant.user_email)
        await page.get_by_label("Password", exact=True).fill("not my password")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "The e-mail address or the password is not correct."
        )
        await expect(page.get_by_label("E-mail address", exact=True)).to_have_value(
            web.tenant.user_email
        )
        await web.shot_and_check_axe(page, "app-signin-desktop-wrong", "a refused sign-in")

        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(base + "/app/sessions")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")
        await expect(page.locator(".app-session")).to_have_count(1)
        await expect(page.locator(".app-session-current")).to_contain_text("this browser")
        await web.shot_and_check_axe(page, "app-sessions-desktop", "the sessions page")

        await page.get_by_role("link", name="Documents", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Documents")
        await expect(page.get_by_role("navigation", name="Account")).to_contain_text(
            f"{web.tenant.name} User"
        )
        await web.shot_and_check_axe(page, "app-home-desktop", "the app's home page")

        await page.get_by_role("button", name="Sign out").click()
        await expect(page).to_have_url(base + "/app/signin")
        await page.goto(base + "/app/")
        await expect(page).to_have_url(base + "/app/signin")
    finally:
        await page.context.close()


async def test_signing_in_with_the_keyboard_on_a_phone_in_spanish(web: Web) -> None:
    page = await web.page_at("phone", "es-ES")
    base = web.live_server.url
    try:
        await page.goto(base + "/app/")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Iniciar sesión")
        await web.shot_and_check_axe(page, "app-signin-phone-es", "the sign-in page in Spanish")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= TALL_PHONE["width"], "the sign-in page scrolls sideways on a phone"

        await _tab_to(page, "email")
        await page.keyboard.type(web.tenant.user_email)
        await page.keyboard.press("Tab")
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(base + "/app/")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Documentos")
        await web.shot_and_check_axe(page, "app-home-phone-es", "the home page in Spanish")

        await page.get_by_role("link", name="Sesiones", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Sus sesiones")
        await web.shot_and_check_axe(page, "app-sessions-phone-es", "the sessions page in Spanish")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= TALL_PHONE["width"], "the sessions page scrolls sideways on a phone"

        await _tab_to(page, "signout")
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(base + "/app/signin")
    finally:
        await page.context.close()


async def test_the_language_chosen_stays_for_the_next_pages(web: Web) -> None:
    page = await web.new_page(WIDE_DESKTOP, locale="en-GB")
    base = web.live_server.url
    try:
        await page.goto(base + "/app/signin")
        await page.locator("summary").filter(has_text="Language").click()
        await page.get_by_role("link", name="Deutsch").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
        await page.get_by_label("E-Mail-Adresse", exact=True).fill(web.tenant.user_email)
        await page.get_by_label("Passwort", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Anmelden").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Dokumente")
    finally:
        await page.context.close()
