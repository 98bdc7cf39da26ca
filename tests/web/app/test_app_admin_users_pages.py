"""The admin's users page in Chromium: invite a person and disable an account on a
desktop in English, the page on a phone in Spanish; axe-core on each. Screenshots in
tests/artifacts/web/."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.factories import PASSWORD
from tests.web.conftest import Web
from tests.web.helpers import TALL_PHONE, WIDE_DESKTOP


async def _sign_in_as_admin(page: Page, web: Web, email_label: str, password_label: str) -> None:
    await page.goto(web.live_server.url + "/app/signin")
    await page.get_by_label(email_label, exact=True).fill(web.tenant.admin_email)
    await page.get_by_label(password_label, exact=True).fill(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(web.live_server.url + "/app/")


async def test_inviting_and_disabling_on_a_desktop(web: Web) -> None:
    page = await web.new_page(WIDE_DESKTOP, locale="en-GB")
    try:
        await _sign_in_as_admin(page, web, "E-mail address", "Password")
        await page.get_by_role("link", name="Users", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Users of the enterprise")
        await web.shot_and_check_axe(page, "app-users-desktop", "the users page")
        await page.get_by_label("E-mail address", exact=True).fill("carla@example.test")
        await page.get_by_label("Name", exact=True).fill("Carla Invited")
        await page.get_by_label("Role", exact=True).select_option("user")
        await page.get_by_role("button", name="Send the invitation").click()
        await expect(page.get_by_role("status")).to_have_text("The invitation is on its way.")
        carla = page.locator(".app-session").filter(has_text="carla@example.test")
        await expect(carla).to_contain_text("Invited, not yet activated")
        user = page.locator(".app-session").filter(has_text=web.tenant.user_email)
        await user.get_by_role("button", name="Disable").click()
        await expect(page.get_by_role("status")).to_have_text("The account was changed.")
        await expect(user).to_contain_text("Disabled")
        await web.shot_and_check_axe(page, "app-users-changed-desktop", "after the changes")
    finally:
        await page.context.close()


async def test_the_users_page_on_a_phone_in_spanish(web: Web) -> None:
    page = await web.page_at("phone", "es-ES")
    try:
        await _sign_in_as_admin(page, web, "Correo electrónico", "Contraseña")
        await page.get_by_role("link", name="Usuarios", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Usuarios de la empresa")
        await web.shot_and_check_axe(page, "app-users-phone-es", "the users page in Spanish")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= TALL_PHONE["width"]
    finally:
        await page.context.close()
