"""A forgotten password in Chromium, with the mail delivered through a real SMTP server
(aiosmtpd): from the app's sign-in page to the mailed link, a new password, and signing
in with it; on a desktop in English and on a phone in Spanish. Screenshots in
tests/artifacts/web/."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.accounts.helpers import text_of
from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.web.conftest import Web
from tests.web.helpers import TALL_PHONE, WIDE_DESKTOP, delivered_mail

RESET_PATH = re.compile(r"https?://[^/\s]+(/web/password/sfp_[A-Za-z0-9_-]+)")


async def test_a_forgotten_password_on_a_desktop(
    web: Web,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    base = web.live_server.url
    page = await web.new_page(WIDE_DESKTOP, locale="en-GB")
    try:
        await page.goto(base + "/app/signin")
        await page.get_by_role("link", name="Forgot your password?").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten password")
        await web.shot_and_check_axe(page, "app-forgot-desktop", "the forgotten-password page")
        await page.get_by_label("E-mail address", exact=True).fill(web.tenant.user_email)
        await page.get_by_role("button", name="Send me a link").click()
        await expect(page.get_by_role("status")).to_contain_text(web.tenant.user_email)
        await web.shot_and_check_axe(page, "app-forgot-sent-desktop", "the link-sent page")

        [mail] = [
            m
            for m in await delivered_mail(web.live_server, smtp_server)
            if m["To"].addresses[0].addr_spec == web.tenant.user_email
        ]
        [path] = set(RESET_PATH.findall(text_of(mail)))
        await page.goto(base + path)
        await page.get_by_label("New password", exact=True).fill("my new long password")
        await page.get_by_label("Repeat the password").fill("my new long password")
        await page.get_by_role("button", name="Set my new password").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your password is changed")

        await page.goto(base + "/app/signin")
        await page.get_by_label("E-mail address", exact=True).fill(web.tenant.user_email)
        await page.get_by_label("Password", exact=True).fill("my new long password")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(base + "/app/")

        await page.goto(base + path)  # single use
        await expect(page.locator(".notice-error")).to_contain_text("not valid any more")
    finally:
        await page.context.close()


async def test_a_forgotten_password_on_a_phone_in_spanish(web: Web) -> None:
    base = web.live_server.url
    page = await web.page_at("phone", "es-ES")
    try:
        await page.goto(base + "/app/signin")
        await page.get_by_role("link", name="¿Ha olvidado su contraseña?").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Contraseña olvidada")
        await web.shot_and_check_axe(page, "app-forgot-phone-es", "the forgotten-password page")
        await page.get_by_label("Correo electrónico", exact=True).fill("nadie@example.test")
        await page.get_by_role("button", name="Enviarme un enlace").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Revise su correo")
        await web.shot_and_check_axe(page, "app-forgot-sent-phone-es", "the link-sent page")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= TALL_PHONE["width"]
    finally:
        await page.context.close()
