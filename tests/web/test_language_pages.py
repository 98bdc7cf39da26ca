"""Languages and branding on the signer pages, in Chromium at 1366x900 and 390x844.

The enterprise speaks German by default and is branded (name, logo, accent); Ana is
added in Spanish. Her e-mail and her link open in Spanish whatever her browser says, she signs and
finishes, and the switch on the done page turns it German. Ben has no language of his
own: his e-mail and page are German; he declines, and the done page says so in German, then in
Spanish: status words translated, never raw. An error page has the switch too.
"""

from __future__ import annotations

import base64
import hashlib
from email.message import EmailMessage

import pytest
from playwright.async_api import Page, expect

from tests.branding.test_checks import image
from tests.factories import bearer
from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.web.conftest import Web
from tests.web.helpers import (
    ANA,
    ANA_SIGNS,
    BEN,
    BEN_SIGNS,
    delivered_mail,
    draw_signature,
    workflow,
)

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
RAW = ("DECLINED", "SIGNED", "IN_PROGRESS", "UN_PROCESSED", "SHARED")
ACCENT = "#7a1f5c"


async def open_page(web: Web, size: str, locale: str) -> Page:
    if size == "phone":
        return await web.new_page(
            SIZES[size], is_mobile=True, has_touch=True, device_scale_factor=2, locale=locale
        )
    return await web.new_page(SIZES[size], locale=locale)


async def your_turn_mail(web: Web, smtp: SmtpServer, to: str) -> EmailMessage:
    """The one "your turn" e-mail `to` received, sent by the outbox through aiosmtpd."""
    received = await delivered_mail(web.live_server, smtp)
    (mail,) = [
        m
        for m in received
        if m["To"].addresses[0].addr_spec == to and "Lease 2026" in str(m["Subject"])
    ]
    return mail


async def no_raw_status_words(page: Page) -> None:
    text = await page.locator("body").inner_text()
    for word in RAW:
        assert word not in text, word


async def switch_to(page: Page, language_name: str, lang: str, web: Web | None = None) -> None:
    """Open the switch, (screenshot it open,) and pick the language."""
    menu = page.locator("nav.languages")
    await menu.locator("summary").click()
    link = menu.get_by_role("link", name=language_name)
    await expect(link).to_be_visible()
    if web is not None:
        size = "phone" if page.viewport_size and page.viewport_size["width"] < 500 else "desktop"
        await web.shot_and_check_axe(
            page, f"lang-{size}-01b-switch-open", "language switch open", strict=True
        )
    await link.click()
    await expect(page.locator("html")).to_have_attribute("lang", lang)


async def check_fits(page: Page, size: str) -> None:
    width = SIZES[size]["width"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("size", list(SIZES))
async def test_spanish_and_german_pages_and_mails_branded(
    web: Web,
    size: str,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    api, live = web.api, web.live_server
    admin = await bearer(api, web.tenant, web.tenant.admin_email)
    logo = image("PNG", (160, 48))
    settings = await api.put(
        "/v4/enterprise/settings/branding",
        json={
            "display_name": "Acme Leasing",
            "accent_color": ACCENT,
            "logo": base64.b64encode(logo).decode(),
        },
        headers=admin,
    )
    assert settings.status_code == 200, settings.text
    language = await api.put(
        "/v4/enterprise/settings/language", json={"default_language": "de"}, headers=admin
    )
    assert language.status_code == 200, language.text
    prepared = await web.prepare([ANA, BEN], [ANA_SIGNS, BEN_SIGNS], share=False)
    spanish = await api.put(
        f"/v4/packages/{prepared.package_id}/workflow/1/user",
        json={"language": "es"},
        headers=prepared.owner,
    )
    assert spanish.status_code == 200, spanish.text
    shared = await api.post(f"/v3/packages/{prepared.package_id}/workflow", headers=prepared.owner)
    assert shared.status_code == 200, shared.text
    # Ana's e-mail is in Spanish, whatever the enterprise's default.
    ana_mail = await your_turn_mail(web, smtp_server, prepared.email("ana", web.tenant))
    assert str(ana_mail["Subject"]).endswith("le pide que firme «Lease 2026»")
    text = ana_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hola, Ana:" in text and "Abra los documentos y firme aquí:" in text
    assert "Acme Leasing" in text

    # Ana's first page is Spanish (her language), though her browser asks for English.
    page = await open_page(web, size, "en-US")
    await page.goto(prepared.links["ana"])
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await expect(page.locator(".brand")).to_contain_text("Acme Leasing")
    digest = hashlib.sha256(logo).hexdigest()
    await expect(page.locator(".brand-logo")).to_have_attribute("src", f"/web/brand/logo/{digest}")
    assert await page.locator(".brand-logo").evaluate("img => img.naturalWidth") == 160
    # The accent reaches the page through its stylesheet (no inline style under the CSP).
    accent = await page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()"
    )
    assert accent == ACCENT
    await expect(page.locator(".people")).to_contain_text("Su turno")
    await expect(page.locator(".people")).to_contain_text("En espera")
    await no_raw_status_words(page)
    await check_fits(page, size)
    await web.shot_and_check_axe(
        page, f"lang-{size}-01-ana-spanish-branded", "branded page (es)", strict=True
    )

    # The switch: German, then back to Spanish; the session keeps the choice.
    await switch_to(page, "Deutsch", "de", web)
    await expect(page.locator(".people")).to_contain_text("Sie sind an der Reihe")
    await expect(page.locator(".people")).to_contain_text("Wartet")
    await web.shot_and_check_axe(
        page, f"lang-{size}-02-ana-german", "package page (de)", strict=True
    )
    await switch_to(page, "Español", "es")
    await page.reload()
    await expect(page.locator("html")).to_have_attribute("lang", "es")

    sign = page.get_by_role("button", name="Firme aquí «AnaSigns», página 1")
    await sign.click()
    await expect(page.locator("#sign-dialog")).to_be_visible()
    await draw_signature(page)
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_contain_text("está firmado")
    await page.locator("#finish").click()
    await expect(page).to_have_url(live.url + "/web/done")
    await expect(page.locator(".people")).to_contain_text("Firmado")
    await no_raw_status_words(page)
    await web.shot_and_check_axe(page, f"lang-{size}-03-ana-done-es", "done page (es)", strict=True)
    # The done page has the switch too.
    await switch_to(page, "Deutsch", "de")
    await expect(page.locator(".people")).to_contain_text("Unterschrieben")
    await expect(page.locator(".people")).to_contain_text("Ist an der Reihe")
    await no_raw_status_words(page)
    await web.shot_and_check_axe(page, f"lang-{size}-04-ana-done-de", "done page (de)", strict=True)
    await page.context.close()

    # Ben: no language of his own, so the enterprise's German, in his e-mail too.
    ben_mail = await your_turn_mail(web, smtp_server, prepared.email("ben", web.tenant))
    assert str(ben_mail["Subject"]).endswith("bittet Sie, „Lease 2026“ zu unterschreiben")
    text = ben_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hallo Ben," in text
    assert "Öffnen Sie die Dokumente und unterschreiben Sie hier:" in text
    page = await open_page(web, size, "en-US")
    await page.goto(prepared.links["ben"])
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page.locator(".people")).to_contain_text("Unterschrieben")
    await page.get_by_text("Ablehnen", exact=True).click()
    await page.get_by_label("Warum lehnen Sie ab? (bis zu 500 Zeichen)").fill("Zu teuer.")
    await page.locator("#decline-confirm").click()
    await expect(page).to_have_url(live.url + "/web/done")
    await expect(page.locator("[role=status]")).to_have_text(
        "Sie haben diese Dokumente abgelehnt. Der Absender wurde informiert."
    )
    await expect(page.locator("main")).to_contain_text("Dieses Paket ist geschlossen (Abgelehnt).")
    await expect(page.locator(".people")).to_contain_text("Abgelehnt")
    await no_raw_status_words(page)
    await check_fits(page, size)
    await web.shot_and_check_axe(
        page, f"lang-{size}-05-ben-declined-de", "declined (de)", strict=True
    )
    await switch_to(page, "Español", "es")
    await expect(page.locator("main")).to_contain_text("Este paquete está cerrado (Rechazado).")
    await expect(page.locator(".people")).to_contain_text("Rechazado")
    await no_raw_status_words(page)
    await web.shot_and_check_axe(
        page, f"lang-{size}-06-ben-declined-es", "declined (es)", strict=True
    )
    await page.context.close()
    assert await workflow(api, prepared) == ("DECLINED", ["SIGNED", "DECLINED"])

    # An error page (a link that is not valid) has the switch as well.
    page = await open_page(web, size, "de-DE")
    await page.goto(live.url + "/sign/not-a-token")
    await expect(page.locator("h1")).to_have_text("Etwas ist schiefgelaufen")
    await switch_to(page, "Français", "fr")
    await expect(page.locator("h1")).to_have_text("Un problème est survenu")
    await web.shot_and_check_axe(page, f"lang-{size}-07-error-fr", "error page (fr)", strict=True)
    await page.context.close()
