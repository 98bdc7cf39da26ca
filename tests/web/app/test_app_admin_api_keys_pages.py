"""The admin's API keys page in Chromium: create a key and revoke it on a desktop in
English; the page on a phone in Spanish; axe-core on each. Screenshots in
tests/artifacts/web/."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.web.app.test_app_admin_users_pages import _sign_in_as_admin
from tests.web.conftest import Web
from tests.web.helpers import TALL_PHONE, WIDE_DESKTOP


async def test_creating_and_revoking_a_key_on_a_desktop(web: Web) -> None:
    page = await web.new_page(WIDE_DESKTOP, locale="en-GB")
    try:
        await _sign_in_as_admin(page, web, "E-mail address", "Password")
        await page.get_by_role("link", name="API keys", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("API keys")
        await page.get_by_label("Name (what the key is for)").fill("ERP connector")
        await page.get_by_role("button", name="Create the key").click()
        await expect(page.locator("#created-key")).to_have_text(re.compile("^sfk_"))
        await web.shot_and_check_axe(page, "app-keys-created-desktop", "a created key")
        key = page.locator(".app-session").filter(has_text="ERP connector")
        await key.get_by_role("button", name="Revoke").click()
        await expect(page.get_by_role("status")).to_have_text("The key was revoked.")
        await expect(key).to_contain_text("Revoked")
        await web.shot_and_check_axe(page, "app-keys-desktop", "the keys page")
    finally:
        await page.context.close()


async def test_the_keys_page_on_a_phone_in_spanish(web: Web) -> None:
    page = await web.page_at("phone", "es-ES")
    try:
        await _sign_in_as_admin(page, web, "Correo electrónico", "Contraseña")
        await page.goto(web.live_server.url + "/app/admin/apikeys")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Claves de API")
        await web.shot_and_check_axe(page, "app-keys-phone-es", "the keys page in Spanish")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= TALL_PHONE["width"]
    finally:
        await page.context.close()
