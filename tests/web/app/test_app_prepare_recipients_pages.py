"""The prepare page's recipients and settings in Chromium, at desktop (1366x900) and
phone (390x844) size: a contact found by the live search, a group, a placeholder, an
identity check set in place (htmx, no page load) and a recipient moved up; reminders and
expiry; send. The code the identity check asks for is mailed through a real SMTP server
(aiosmtpd) and opens the package for the recipient. Spanish on a phone. Screenshots
`app-recipients-*.png`, axe-core strict on each."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.factories import bearer
from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.web.app.test_app_documents_pages import link_of, owner_page
from tests.web.conftest import Web
from tests.web.helpers import TALL_PHONE, WIDE_DESKTOP, delivered_mail, mailed_code
from tests.workflow.helpers import make_pdf

SIZES = {"desktop": WIDE_DESKTOP, "phone": TALL_PHONE}


async def _draft_with_address_book(web: Web, zoe: str) -> tuple[int, int, dict[str, str]]:
    """A draft with one PDF; forty contacts (Zoe sorts last) and a group, through the API."""
    owner = await bearer(web.api, web.tenant, web.tenant.user_email)
    for index in range(40):
        made = await web.api.post(
            "/v4/settings/contacts",
            json={"user_email": f"c{index:02}@example.com", "user_name": f"Aaron {index:02}"},
            headers=owner,
        )
        assert made.status_code == 200, made.text
    made = await web.api.post(
        "/v4/settings/contacts", json={"user_email": zoe, "user_name": "Zoe Zimmer"}, headers=owner
    )
    zoe_id = made.json()["contact_id"]
    group = await web.api.post(
        "/v4/settings/groups",
        json={"name": "Legal team", "members": ["lea@example.com", "max@example.com"]},
        headers=owner,
    )
    assert group.status_code == 200, group.text
    created = await web.api.post("/v4/packages", json={"package_name": "Lease 2026"}, headers=owner)
    package_id = created.json()["package_id"]
    uploaded = await web.api.post(
        f"/v4/packages/{package_id}/documents",
        content=make_pdf(1, ["Lease agreement between the parties."]),
        headers=owner | {"x-file-name": "lease.pdf", "x-source": "API"},
    )
    assert uploaded.status_code == 201, uploaded.text
    return package_id, zoe_id, owner


async def _names(page: Page) -> list[str]:
    return await page.locator(".prepared-recipients .recipient-name").all_inner_texts()


@pytest.mark.parametrize("size", list(SIZES))
async def test_recipients_identity_reorder_settings_send_and_the_code(
    web: Web,
    size: str,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    live = web.live_server
    zoe = f"zoe@{web.tenant.name.lower()}.test"
    package_id, zoe_id, owner = await _draft_with_address_book(web, zoe)
    page = await owner_page(web, SIZES[size])
    await page.goto(f"{live.url}/app/new/{package_id}")
    await expect(page.locator("h1")).to_have_text("Prepare “Lease 2026”")
    # Zoe is past the contacts the page lists at first: found by the live search (htmx).
    await expect(page.locator(f"#contact-{zoe_id}")).to_have_count(0)
    await page.evaluate("window.stillTheSamePage = true")
    await page.get_by_label("Search contacts by name or email").press_sequentially("zimm")
    await expect(page.locator(f"#contact-{zoe_id}")).to_be_visible()
    assert await page.evaluate("window.stillTheSamePage === true")
    await web.shot_and_check_axe(
        page, f"app-recipients-01-search-{size}", "contact search", strict=True
    )
    await page.locator(f"#contact-{zoe_id}").check()
    await page.locator("#add-recipient-button").click()
    await expect(page.locator(".prepared-recipients")).to_contain_text(zoe)

    await page.get_by_label("Placeholder title").fill("The tenant")
    await page.locator("#add-placeholder-button").click()
    await expect(page.locator(".prepared-recipients")).to_contain_text("The tenant")
    await page.locator("#group-id").select_option(label="Legal team (2 members)")
    await page.get_by_label("Role of the group").select_option("REVIEWER")
    await page.locator("#add-group-button").click()
    assert await _names(page) == ["Zoe Zimmer", "The tenant", "Legal team"]

    # The group moves up, before the placeholder.
    await page.get_by_role("button", name="Move up (Legal team)").click()
    await expect(page.locator(".prepared-recipients .recipient-name")).to_have_text(
        ["Zoe Zimmer", "Legal team", "The tenant"]
    )

    # Zoe's identity check, changed in place: the list is swapped, the page stays.
    await page.evaluate("window.stillTheSamePage = true")
    await page.locator("#recipient-1 summary").click()
    await page.locator("#check-1").select_option("email_otp")
    await page.locator("#name-1").fill("Zoe Zimmer-Lang")
    await web.shot_and_check_axe(
        page, f"app-recipients-02-identity-{size}", "a recipient's form", strict=True
    )
    await page.locator("#save-1").click()
    await expect(page.locator("#recipient-1 .identity")).to_have_text("Code by email")
    assert await page.evaluate("window.stillTheSamePage === true")
    # The fields' "For" choices follow the list swapped in place (name and position).
    await expect(page.locator('#field-order option[value="1"]')).to_have_text("1. Zoe Zimmer-Lang")
    await expect(page.locator('#field-order option[value="3"]')).to_have_text("3. The tenant")
    # The section alone, for docs/app.md.
    await page.locator("#recipients").screenshot(
        path=web.artifacts / f"app-recipients-section-{size}.png"
    )

    # Settings: reminders and an expiry in 14 days (swapped in place too).
    await page.get_by_label("First reminder after (days)").fill("2")
    await page.get_by_label("Then every (days)").fill("3")
    await page.get_by_label("At most (reminders)").fill("4")
    await page.get_by_label("Or in this many days").fill("14")
    await page.locator("#save-settings").click()
    await expect(page.locator("#expires-now")).to_contain_text("Expires on")
    assert await page.evaluate("window.stillTheSamePage === true")
    await expect(page.get_by_label("First reminder after (days)")).to_have_value("2")
    await page.locator("#settings").scroll_into_view_if_needed()
    await web.shot_and_check_axe(
        page, f"app-recipients-03-settings-{size}", "settings", strict=True
    )
    await page.locator("#settings").screenshot(
        path=web.artifacts / f"app-recipients-settings-{size}.png"
    )
    workflow = (await web.api.get(f"/v4/packages/{package_id}/workflow", headers=owner)).json()
    assert workflow["workflow"]["expires_on"] is not None
    assert [u["user_name"] for u in workflow["users"]] == [
        "Zoe Zimmer-Lang",
        "Legal team",
        "The tenant",
    ]
    reminders = await web.api.get(f"/v4/packages/{package_id}/workflow/3/reminders", headers=owner)
    assert reminders.json()["remind_after"] == 2
    assert reminders.json()["repeat"]["total_reminders"] == 4

    await page.locator("#send-button").click()
    await expect(page).to_have_url(f"{live.url}/app/viewer/{package_id}")
    await page.context.close()

    # Zoe's link asks for the code first; the code mailed to her opens the package.
    link = link_of(await delivered_mail(live, smtp_server), zoe)
    signer = await web.new_page(SIZES[size], locale="en-GB")
    signer.set_default_timeout(45_000)
    await signer.goto(link)
    await expect(signer).to_have_url(live.url + "/web/identity")
    await signer.get_by_role("button", name="Send me the code").click()
    await expect(signer.locator("#flash")).to_contain_text("We sent the code.")
    code = await mailed_code(live, smtp_server, zoe)
    await signer.get_by_label("6-digit code").fill(code)
    await signer.get_by_role("button", name="Continue").click()
    await expect(signer).to_have_url(live.url + "/web/package")
    await expect(signer.locator("h1")).to_have_text("Lease 2026")
    await signer.context.close()


async def test_the_recipients_in_spanish_on_a_phone(web: Web) -> None:
    zoe = f"zoe@{web.tenant.name.lower()}.test"
    package_id, zoe_id, owner = await _draft_with_address_book(web, zoe)
    added = await web.api.post(
        f"/v4/packages/{package_id}/workflow/users",
        json=[{"contact_id": zoe_id, "role": "SIGNER"}],
        headers=owner,
    )
    assert added.status_code == 200, added.text
    placeholder = await web.api.post(
        f"/v4/packages/{package_id}/workflow/placeholder",
        json=[{"placeholder": "El inquilino", "role": "SIGNER"}],
        headers=owner,
    )
    assert placeholder.status_code == 200, placeholder.text
    page = await owner_page(web, TALL_PHONE, locale="es-ES")
    await page.goto(f"{web.live_server.url}/app/new/{package_id}?lang=es")
    await expect(page.locator("#recipients-title")).to_have_text("Destinatarios, en orden")
    await page.locator("#recipient-1 summary").click()
    await expect(page.locator("#check-1")).to_be_visible()
    await expect(page.locator("#recipient-1 legend")).to_contain_text("Verificación de identidad")
    await page.locator("#recipient-1").scroll_into_view_if_needed()
    await web.shot_and_check_axe(
        page, "app-recipients-04-phone-es", "recipients (phone, Spanish)", strict=True
    )
    await page.locator("#recipients").screenshot(
        path=web.artifacts / "app-recipients-section-phone-es.png"
    )
    await page.locator("#settings").scroll_into_view_if_needed()
    assert re.search("Recordatorios", await page.locator("#settings").inner_text())
    await web.shot_and_check_axe(
        page, "app-recipients-05-settings-phone-es", "settings (phone, Spanish)", strict=True
    )
    # A refusal to a form saved in place takes the page's main part: an access password
    # chosen without one.
    await page.locator("#check-1").select_option("password")
    await page.locator("#save-1").click()
    await expect(page.locator("#main h1")).to_have_text("Algo salió mal")
    await expect(page.locator("#main")).to_contain_text("Un valor del formulario no es válido.")
    await web.shot_and_check_axe(
        page, "app-recipients-06-refused-phone-es", "a refusal in place", strict=True
    )
    authentication = await web.api.get(
        f"/v4/packages/{package_id}/workflow/1/authentication", headers=owner
    )
    assert authentication.json()["authentication"]["enabled"] is False
    await page.context.close()
