"""The activation page in the browser: a person registered by an admin opens the link
mailed to them, makes the mistakes people make, and activates; on a desktop in English
and on a phone in Spanish. Screenshots in tests/artifacts/web/."""

from __future__ import annotations

from playwright.async_api import expect

from tests.accounts.helpers import activation_path, file_mails, send_mail, to
from tests.factories import bearer, sign_in
from tests.web.conftest import Web

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


async def registered(web: Web, local_part: str) -> tuple[str, str]:
    """(address, the activation link's path) of a person the tenant's admin registered."""
    address = f"{local_part}@{web.tenant.name.lower()}.test"
    admin = await bearer(web.api, web.tenant, web.tenant.admin_email)
    response = await web.api.post(
        "/v3/enterprise/users",
        json={"user_email": address, "user_name": "Nora Vidal"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    await send_mail(web.live_server.context)
    return address, activation_path(to(file_mails(web.live_server.context), address)[-1])


async def test_activating_on_a_desktop(web: Web) -> None:
    address, path = await registered(web, "nora")
    page = await web.new_page(DESKTOP, locale="en-GB")
    try:
        await page.goto(web.live_server.url + path)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Activate your account")
        await expect(page.locator("#activate-intro")).to_contain_text(web.tenant.name)
        await web.shot_and_check_axe(page, "activate-desktop", "the activation page")

        await page.get_by_label("New password").fill("short")
        await page.get_by_label("Repeat the password").fill("short")
        # The browser's own check (minlength) stops this one: the server sees nothing.
        await page.get_by_role("button", name="Activate my account").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Activate your account")
        await page.get_by_label("New password").fill("a long password")
        await page.get_by_label("Repeat the password").fill("a long passwort")
        await page.get_by_role("button", name="Activate my account").click()
        await expect(page.get_by_role("alert")).to_contain_text("not the same")
        await web.shot_and_check_axe(page, "activate-desktop-mismatch", "a refused password")

        await page.get_by_label("New password").fill("a long password")
        await page.get_by_label("Repeat the password").fill("a long password")
        await page.get_by_role("button", name="Activate my account").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your account is active")
        await expect(page.get_by_role("status")).to_contain_text(address)
        await web.shot_and_check_axe(page, "activate-desktop-done", "the activated page")

        # The link is used up.
        await page.goto(web.live_server.url + path)
        await expect(page.locator(".notice-error")).to_contain_text("not valid any more")
        await web.shot_and_check_axe(page, "activate-desktop-used", "a used link")
    finally:
        await page.context.close()
    assert (await sign_in(web.api, web.tenant, address, "a long password"))["access_token"]


async def test_activating_on_a_phone_in_spanish(web: Web) -> None:
    address, path = await registered(web, "nora.phone")
    page = await web.new_page(
        PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="es-ES"
    )
    try:
        await page.goto(web.live_server.url + path)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Active su cuenta")
        await web.shot_and_check_axe(page, "activate-phone-es", "the activation page on a phone")
        await page.get_by_label("Nueva contraseña").fill("una contraseña larga")
        await page.get_by_label("Repita la contraseña").fill("una contraseña larga")
        await page.get_by_role("button", name="Activar mi cuenta").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Su cuenta está activa")
        await web.shot_and_check_axe(
            page, "activate-phone-es-done", "the activated page on a phone"
        )
    finally:
        await page.context.close()
    assert (await sign_in(web.api, web.tenant, address, "una contraseña larga"))["access_token"]
