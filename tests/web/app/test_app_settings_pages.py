"""The settings pages in Chromium at 1366x900 and 390x844, axe-core strict on each:
an admin brands the enterprise (logo uploaded, colour changed, the preview following
before the save) and a signer's page shows the new brand; an admin sets up single
sign-on (the secret never shown back); a person changes their password and signs in
with the new one. Spanish on the phone. Screenshots in tests/artifacts/web/."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw
from playwright.async_api import Page, expect

from tests.factories import PASSWORD
from tests.web.app.test_app_admin_users_pages import _sign_in_as_admin
from tests.web.conftest import Web
from tests.web.helpers import ANA, ANA_SIGNS, TALL_PHONE

ACCENT = "#7a1f5c"
NEW_PASSWORD = "four unrelated words here"
SECRET = "sso-client-secret-for-the-test"


def logo() -> bytes:
    image = Image.new("RGB", (180, 48), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 47, 47), fill=(122, 31, 92))
    draw.ellipse((10, 10, 37, 37), fill=(255, 255, 255))
    draw.text((58, 12), "ACME LEGAL", fill=(122, 31, 92), font_size=20)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def _fits(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= TALL_PHONE["width"]


async def _brand_var(page: Page, selector: str) -> str:
    value: str = await page.locator(selector).evaluate(
        "el => getComputedStyle(el).getPropertyValue('--brand').trim()"
    )
    return value


async def _branding_page_loaded(page: Page) -> None:
    """Its script listens once the page has loaded (deferred): only then is the form
    filled, as a person would after seeing it."""
    await page.wait_for_load_state("load")


async def test_branding_on_a_desktop_then_a_signers_page(web: Web) -> None:
    page = await web.page_at("desktop")
    image = logo()
    try:
        await _sign_in_as_admin(page, web, "E-mail address", "Password")
        await page.get_by_role("link", name="Branding", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Branding")
        await _branding_page_loaded(page)
        await web.shot_and_check_axe(page, "app-branding-before-desktop", "branding", strict=True)
        await page.get_by_label("Display name", exact=True).fill("Acme Legal")
        await page.get_by_label("Accent colour", exact=True).fill(ACCENT)
        await page.get_by_label("Logo", exact=True).set_input_files(
            {"name": "acme.png", "mimeType": "image/png", "buffer": image}
        )
        # The preview follows the form before anything is saved.
        await expect(page.locator("#preview-name")).to_have_text("Acme Legal")
        await expect(page.locator("#preview-logo")).to_be_visible()
        assert await _brand_var(page, "#brand-preview") == ACCENT
        await expect(page.locator("#preview-unsaved")).to_be_visible()
        await web.shot_and_check_axe(page, "app-branding-preview-desktop", "preview", strict=True)
        await page.get_by_role("button", name="Save the branding").click()
        await expect(page.locator("#branding-notice")).to_have_text("The branding was saved.")
        digest = hashlib.sha256(image).hexdigest()
        await expect(page.locator("#saved-logo")).to_have_attribute(
            "src", f"/web/brand/logo/{digest}"
        )
        # Without script's help now: the server's preview stylesheet.
        assert await _brand_var(page, "#brand-preview") == ACCENT
        await web.shot_and_check_axe(page, "app-branding-desktop", "branding saved", strict=True)

        # A colour white text cannot be read on: the core's refusal, nothing saved.
        await page.get_by_label("Accent colour", exact=True).fill("#ffdd00")
        await page.get_by_role("button", name="Save the branding").click()
        await expect(page.locator("#branding-error")).to_contain_text("contrast of")
        assert await _brand_var(page, "#brand-preview") == ACCENT

        prepared = await web.prepare([ANA], [ANA_SIGNS])
        await page.goto(prepared.links["ana"])
        await expect(page.locator(".brand")).to_contain_text("Acme Legal")
        await expect(page.locator(".brand-logo")).to_have_attribute(
            "src", f"/web/brand/logo/{digest}"
        )
        accent = await page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()"
        )
        assert accent == ACCENT
        await web.shot_and_check_axe(
            page, "app-branding-signer-desktop", "the signer's page, branded", strict=True
        )
    finally:
        await page.context.close()


async def test_branding_on_a_phone_in_spanish(web: Web) -> None:
    page = await web.page_at("phone", "es-ES")
    try:
        await _sign_in_as_admin(page, web, "Correo electrónico", "Contraseña")
        await page.get_by_role("link", name="Imagen de marca", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Imagen de marca")
        await _branding_page_loaded(page)
        await page.get_by_label("Color de acento", exact=True).fill(ACCENT)
        assert await _brand_var(page, "#brand-preview") == ACCENT
        await page.get_by_role("button", name="Guardar la imagen de marca").click()
        await expect(page.locator("#branding-notice")).to_have_text(
            "Se ha guardado la imagen de marca."
        )
        await _fits(page)
        await web.shot_and_check_axe(page, "app-branding-phone-es", "branding (es)", strict=True)
        await page.get_by_label("Idioma de los destinatarios", exact=True).select_option("de")
        await page.get_by_role("button", name="Guardar el idioma").click()
        await expect(page.locator("#branding-notice")).to_have_text(
            "Se ha guardado el idioma predeterminado."
        )
        await expect(page.locator("#default-language")).to_have_value("de")
    finally:
        await page.context.close()


async def test_single_sign_on_settings_on_a_desktop(web: Web) -> None:
    page = await web.page_at("desktop")
    try:
        await _sign_in_as_admin(page, web, "E-mail address", "Password")
        await page.get_by_role("link", name="Single sign-on", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Single sign-on")
        await expect(page.locator("#redirect-uri")).to_have_text(
            web.live_server.url + "/app/sso/callback"
        )
        await page.get_by_label("Issuer URL", exact=True).fill("http://example.test/realm")
        await page.get_by_label("Client ID", exact=True).fill("signflow")
        await page.get_by_label("Client secret", exact=True).fill(SECRET)
        await page.get_by_role("button", name="Save single sign-on").click()
        await expect(page.locator("#sso-error")).to_contain_text("must be an https URL")
        await web.shot_and_check_axe(
            page, "app-sso-settings-refused-desktop", "refused", strict=True
        )
        await page.get_by_label("Issuer URL", exact=True).fill("https://login.example.test/realm")
        await page.get_by_label("Client secret", exact=True).fill(SECRET)
        await page.get_by_label("Create accounts on first sign-in", exact=True).check()
        await page.get_by_role("button", name="Save single sign-on").click()
        await expect(page.locator("#sso-notice")).to_have_text("Single sign-on was saved.")
        await expect(page.locator("#secret-state")).to_have_text(
            "A secret is set (it is never shown)."
        )
        assert SECRET not in await page.content()
        await expect(page.locator("#client-secret")).to_have_value("")
        await web.shot_and_check_axe(page, "app-sso-settings-desktop", "SSO saved", strict=True)
    finally:
        await page.context.close()


async def test_single_sign_on_settings_on_a_phone_in_spanish(web: Web) -> None:
    page = await web.page_at("phone", "es-ES")
    try:
        await _sign_in_as_admin(page, web, "Correo electrónico", "Contraseña")
        await page.goto(web.live_server.url + "/app/admin/sso")
        await page.get_by_label("URL del emisor", exact=True).fill("https://login.example.test")
        await page.get_by_label("ID de cliente", exact=True).fill("signflow")
        await page.get_by_label("Secreto de cliente", exact=True).fill(SECRET)
        await page.get_by_role("button", name="Guardar el inicio de sesión único").click()
        await expect(page.locator("#sso-notice")).to_have_text(
            "Se ha guardado el inicio de sesión único."
        )
        await _fits(page)
        await web.shot_and_check_axe(page, "app-sso-settings-phone-es", "SSO (es)", strict=True)
        await page.get_by_role("button", name="Desactivar el inicio de sesión único").click()
        await expect(page.locator("#sso-off")).to_be_visible()
    finally:
        await page.context.close()


async def _sign_in_as_user(page: Page, web: Web, password: str) -> None:
    await page.goto(web.live_server.url + "/app/signin")
    await page.get_by_label("E-mail address", exact=True).fill(web.tenant.user_email)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(web.live_server.url + "/app/")


async def test_changing_the_password_then_signing_in_with_it(web: Web) -> None:
    for size in ("desktop", "phone"):
        page = await web.page_at(size)
        other = await web.page_at("desktop")
        try:
            password = PASSWORD if size == "desktop" else NEW_PASSWORD
            new = NEW_PASSWORD if size == "desktop" else PASSWORD + " again"
            await _sign_in_as_user(page, web, password)
            await _sign_in_as_user(other, web, password)  # a second browser
            await page.get_by_role("link", name="Sessions", exact=True).click()
            await page.get_by_role("link", name="Change your password").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Password")
            await web.shot_and_check_axe(page, f"app-password-{size}", "password", strict=True)
            await page.get_by_label("Current password", exact=True).fill(password)
            await page.get_by_label("New password", exact=True).fill(new)
            await page.get_by_label("New password again", exact=True).fill(new)
            await page.get_by_role("button", name="Change the password").click()
            await expect(page.locator("#password-changed")).to_contain_text(
                "Every other session of your account was signed out; this one goes on."
            )
            if size == "phone":
                await _fits(page)
            await web.shot_and_check_axe(
                page, f"app-password-changed-{size}", "changed", strict=True
            )
            await other.reload()
            await expect(other).to_have_url(web.live_server.url + "/app/signin")
            await page.get_by_role("button", name="Sign out").click()
            await expect(page).to_have_url(web.live_server.url + "/app/signin")
            await page.get_by_label("E-mail address", exact=True).fill(web.tenant.user_email)
            await page.get_by_label("Password", exact=True).fill(password)
            await page.keyboard.press("Enter")
            await expect(page.get_by_role("alert")).to_be_visible()
            await _sign_in_as_user(page, web, new)
        finally:
            await other.context.close()
            await page.context.close()
