"""The forgotten-password page in the browser: a user opens the link mailed to them,
mistypes the confirmation, sets the new password and finds the link used up; on a
desktop in English and on a phone in Spanish. Screenshots in tests/artifacts/web/."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.accounts.helpers import file_mails, send_mail, text_of, to
from tests.factories import bearer, sign_in
from tests.web.conftest import Web

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
RESET_PATH = re.compile(r"https?://[^/\s]+(/web/password/sfp_[A-Za-z0-9_-]+)")


async def reset_path(web: Web) -> str:
    app = await bearer(web.api, web.tenant, web.tenant.admin_email)
    response = await web.api.post(
        "/v4/account/password/reset", json={"user_email": web.tenant.user_email}, headers=app
    )
    assert response.status_code == 200, response.text
    await send_mail(web.live_server.context)
    mail = to(file_mails(web.live_server.context), web.tenant.user_email)[-1]
    [path] = set(RESET_PATH.findall(text_of(mail)))
    return path


async def test_choosing_a_new_password_on_a_desktop(web: Web) -> None:
    path = await reset_path(web)
    page = await web.new_page(DESKTOP, locale="en-GB")
    try:
        await page.goto(web.live_server.url + path)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
        await expect(page.locator("#reset-intro")).to_contain_text(web.tenant.name)
        await web.shot_and_check_axe(page, "reset-desktop", "the password reset page")

        await page.get_by_label("New password", exact=True).fill("a long password")
        await page.get_by_label("Repeat the password").fill("a long passwort")
        await page.get_by_role("button", name="Set my new password").click()
        await expect(page.get_by_role("alert")).to_contain_text("not the same")
        await web.shot_and_check_axe(page, "reset-desktop-mismatch", "a refused password")

        await page.get_by_label("New password", exact=True).fill("a long password")
        await page.get_by_label("Repeat the password").fill("a long password")
        await page.get_by_role("button", name="Set my new password").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your password is changed")
        await web.shot_and_check_axe(page, "reset-desktop-done", "the changed page")

        await page.goto(web.live_server.url + path)
        await expect(page.locator(".notice-error")).to_contain_text("not valid any more")
    finally:
        await page.context.close()
    tokens = await sign_in(web.api, web.tenant, web.tenant.user_email, "a long password")
    assert tokens["access_token"]


async def test_choosing_a_new_password_on_a_phone_in_spanish(web: Web) -> None:
    path = await reset_path(web)
    page = await web.new_page(
        PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="es-ES"
    )
    try:
        await page.goto(web.live_server.url + path)
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Elija una nueva contraseña"
        )
        await web.shot_and_check_axe(page, "reset-phone-es", "the reset page on a phone")
        await page.get_by_label("Nueva contraseña", exact=True).fill("una contraseña larga")
        await page.get_by_label("Repita la contraseña").fill("una contraseña larga")
        await page.get_by_role("button", name="Guardar mi nueva contraseña").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Su contraseña ha cambiado")
    finally:
        await page.context.close()
