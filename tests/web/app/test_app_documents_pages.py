"""The sender's app in Chromium: upload a PDF, add two recipients, place a signature, a
text and a checkbox field for them by dragging onto the page image, send; both sign
through the links mailed to them (a real SMTP server, aiosmtpd); the owner finds the
package completed in the list and downloads the signed PDF and the evidence report.
Desktop (1366x900) and phone (390x844) screenshots, axe-core on every page."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.factories import bearer
from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.web.app.documents_helpers import app_signed_in_browser, drag, touch_drag
from tests.web.conftest import Web
from tests.web.helpers import TALL_PHONE, WIDE_DESKTOP, delivered_mail, draw_signature
from tests.workflow.helpers import make_pdf

LINK = re.compile(r"https?://\S+/sign/\S+")


async def owner_page(web: Web, viewport: dict[str, int], locale: str = "en-GB") -> Page:
    if viewport is TALL_PHONE:
        page = await web.new_page(
            viewport, is_mobile=True, has_touch=True, device_scale_factor=2, locale=locale
        )
    else:
        page = await web.new_page(viewport, locale=locale)
    # Uploads and signatures take seconds on a busy two-core machine.
    page.set_default_timeout(45_000)
    await app_signed_in_browser(page, web.live_server, web.tenant.user_email)
    return page


async def place(page: Page, kind: str, order: str, at: tuple[float, float]) -> None:
    """Drag the palette's chip of `kind` onto page 1, for the recipient `order`."""
    await page.locator("#field-order").select_option(order)
    await page.locator(".prepare-page").first.scroll_into_view_if_needed()
    async with page.expect_navigation():
        await drag(page, page.locator(f"#chip-{kind}"), page.locator(".prepare-page").first, at)


def link_of(mails: list[EmailMessage], address: str) -> str:
    for mail in mails:
        if mail["To"].addresses[0].addr_spec == address:
            body = mail.get_body(("plain",))
            assert body is not None
            found = LINK.search(body.get_content())
            if found:
                return found.group(0)
    raise AssertionError(f"no signing link mailed to {address}")


async def fields_of(web: Web, package_id: int, document_id: int) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    owner = await bearer(web.api, web.tenant, web.tenant.user_email)
    answer = await web.api.get(
        f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=owner
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, list[dict]] = answer.json()  # type: ignore[type-arg]
    return body


async def _downloaded_pdf(page: Page, button: str) -> str:
    """Click a download button: the file must be a PDF; its suggested name."""
    async with page.expect_download() as info:
        await page.locator(button).click()
    download = await info.value
    path = await download.path()
    assert path is not None
    assert Path(path).read_bytes().startswith(b"%PDF")
    return download.suggested_filename


async def test_prepare_by_dragging_send_sign_and_download(
    web: Web,
    smtp_server: SmtpServer,  # noqa: F811
    tmp_path_factory: object,
) -> None:
    tenant, live = web.tenant, web.live_server
    domain = tenant.name.lower()
    ana, ben = f"ana@{domain}.test", f"ben@{domain}.test"
    pdf_path = web.artifacts / "app-lease.pdf"
    pdf_path.write_bytes(make_pdf(2, ["Lease agreement between the parties.", "Second page."]))

    page = await owner_page(web, WIDE_DESKTOP)
    await page.goto(live.url + "/app/")
    await expect(page.locator("h1")).to_have_text("Documents")
    await web.shot_and_check_axe(page, "app-docs-01-home-empty-desktop", "documents home")
    await page.get_by_role("link", name="New document").click()
    await expect(page.locator("h1")).to_have_text("New document")
    await page.get_by_label("Package name (optional)").fill("Lease 2026")
    await page.locator("#files").set_input_files(str(pdf_path))
    await expect(page.locator("#chosen-files")).to_have_text("app-lease.pdf")
    await web.shot_and_check_axe(page, "app-docs-02-upload-desktop", "upload page")
    await page.locator("#upload").click()
    await expect(page.locator("h1")).to_have_text("Prepare “Lease 2026”")
    package_id = int(page.url.rsplit("/", 1)[1].split("#")[0])

    for name, email, order in (("Ana", ana, "1"), ("Ben", ben, "2")):
        await page.get_by_label("Name", exact=True).fill(name)
        await page.get_by_label("Email", exact=True).fill(email)
        await page.get_by_label("Signing order (optional)").fill(order)
        await page.locator("#add-recipient-button").click()
        await expect(page.locator(".prepared-recipients")).to_contain_text(email)

    # Drag and drop: Ana signs and writes her city, Ben ticks a box and signs.
    await place(page, "digital_signature", "1", (0.3, 0.2))
    await place(page, "text", "1", (0.3, 0.35))
    await place(page, "checkbox", "2", (0.2, 0.5))
    await place(page, "digital_signature", "2", (0.3, 0.65))
    await expect(page.locator(".placed")).to_have_count(4)
    document_id = int(await page.locator("#field-document").input_value())
    fields = await fields_of(web, package_id, document_id)
    assert [(f["order"], f["page_no"]) for f in fields["digital_signature"]] == [(1, 1), (2, 1)]
    assert [f["order"] for f in fields["text"]] == [1]
    assert [f["order"] for f in fields["checkbox"]] == [2]
    # Where it was dropped: the signature's centre at 30 % across, 20 % down the page.
    first = fields["digital_signature"][0]["dimensions"]
    assert abs((first["x"] + first["width"] / 2) / 595.28 - 0.3) < 0.02
    assert abs(1 - (first["y"] + first["height"] / 2) / 841.89 - 0.2) < 0.02

    # Moved by dragging: the text field goes right by a fifth of the page.
    text_name = fields["text"][0]["field_name"]
    text_box = page.locator(f"#placed-{document_id}-{text_name}")
    before = fields["text"][0]["dimensions"]
    await text_box.scroll_into_view_if_needed()
    async with page.expect_navigation():
        await drag(page, text_box, text_box, (0.5 + 595.28 * 0.2 / before["width"], 0.5))
    moved = (await fields_of(web, package_id, document_id))["text"][0]["dimensions"]
    assert abs(moved["x"] - before["x"] - 595.28 * 0.2) < 6
    assert abs(moved["y"] - before["y"]) < 3
    # With the keyboard: five steps down (a hundredth of the page each), then Enter.
    text_box = page.locator(f"#placed-{document_id}-{text_name}")
    await text_box.focus()
    for _ in range(5):
        await page.keyboard.press("ArrowDown")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    stepped = (await fields_of(web, package_id, document_id))["text"][0]["dimensions"]
    assert abs(moved["y"] - stepped["y"] - 841.89 * 0.05) < 3
    assert abs(stepped["x"] - moved["x"]) < 3
    await web.shot_and_check_axe(page, "app-docs-03-prepare-desktop", "prepare page")

    await page.get_by_label("Message to the recipients (optional)").fill("Please sign the lease.")
    await page.locator("#send-button").click()
    await expect(page).to_have_url(f"{live.url}/app/viewer/{package_id}")
    await expect(page.locator("#package-status")).to_contain_text("In progress")
    await expect(page.locator("#next-summary")).to_contain_text("Ana")
    await web.shot_and_check_axe(page, "app-docs-04-viewer-sent-desktop", "viewer (sent)")

    mails = await delivered_mail(web.live_server, smtp_server)
    ana_link = link_of(mails, ana)
    signer = await web.new_page(WIDE_DESKTOP, locale="en-GB")
    signer.set_default_timeout(45_000)
    await signer.goto(ana_link)
    await signer.get_by_label(f"Text “{text_name}”, page 1").fill("Bogotá")
    await signer.locator("#save-fields").click()
    await expect(signer.locator("#flash")).to_have_text("Your entries were saved.")
    ana_field = fields["digital_signature"][0]["field_name"]
    await signer.get_by_role("button", name=f"Sign here “{ana_field}”, page 1").click()
    await draw_signature(signer)
    await signer.locator("#sign-apply").click()
    await expect(signer.locator("#flash")).to_contain_text("is signed")
    await signer.locator("#finish").click()
    await expect(signer).to_have_url(live.url + "/web/done")
    await signer.context.close()

    mails = await delivered_mail(web.live_server, smtp_server)
    ben_link = link_of(mails, ben)
    signer = await web.new_page(TALL_PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    signer.set_default_timeout(45_000)
    await signer.goto(ben_link)
    box_name = fields["checkbox"][0]["field_name"]
    await signer.locator(f"input[type=checkbox][name$=':{box_name}']").check()
    await signer.locator("#save-fields").click()
    await expect(signer.locator("#flash")).to_have_text("Your entries were saved.")
    ben_field = fields["digital_signature"][1]["field_name"]
    await signer.get_by_role("button", name=f"Sign here “{ben_field}”, page 1").click()
    await signer.get_by_label("Type").check()
    await signer.get_by_label("Your name as you want it to appear").fill("Ben Bauer")
    await signer.locator("#sign-apply").click()
    await expect(signer.locator("#flash")).to_contain_text("is signed")
    await signer.locator("#finish").click()
    await expect(signer).to_have_url(live.url + "/web/done")
    await signer.context.close()

    # The owner: completed in the list, verified, both files downloaded.
    await page.goto(live.url + "/app/?folder=completed")
    row = page.locator(".package-row", has_text="Lease 2026")
    await expect(row).to_contain_text("Completed")
    await expect(page.locator("#folder-completed .count")).to_have_text("1")
    await web.shot_and_check_axe(page, "app-docs-05-home-completed-desktop", "home (completed)")
    await row.get_by_role("link", name="Lease 2026").click()
    await expect(page.locator("#package-status")).to_contain_text("Completed")
    await expect(page.locator("#verification .signature-status")).to_have_text(["Valid", "Valid"])
    await web.shot_and_check_axe(page, "app-docs-06-viewer-completed-desktop", "viewer")
    assert (await _downloaded_pdf(page, "#download-package")).endswith(".pdf")
    assert "evidence report" in await _downloaded_pdf(page, "#download-report")
    await page.context.close()

    # On a phone, in Spanish: the home, the viewer, the upload and the /Web address.
    phone = await owner_page(web, TALL_PHONE, locale="es-ES")
    await phone.goto(live.url + "/app/?folder=completed")
    await expect(phone.locator("h1")).to_have_text("Documentos")
    await web.shot_and_check_axe(phone, "app-docs-07-home-phone-es", "home (phone)")
    await phone.goto(f"{live.url}/Web#/Viewer/{package_id}")
    await expect(phone).to_have_url(f"{live.url}/app/viewer/{package_id}")
    await expect(phone.locator("#package-status")).to_contain_text("Completado")
    await web.shot_and_check_axe(phone, "app-docs-08-viewer-phone-es", "viewer (phone)")
    await phone.goto(live.url + "/app/new")
    await web.shot_and_check_axe(phone, "app-docs-09-upload-phone-es", "upload (phone)")
    await phone.context.close()
    del tmp_path_factory


async def test_prepare_on_a_phone_by_touch(web: Web) -> None:
    """The same placement with a finger: a draft with one recipient, a field dragged."""
    tenant, live = web.tenant, web.live_server
    owner = await bearer(web.api, tenant, tenant.user_email)
    created = await web.api.post(
        "/v4/packages", json={"package_name": "Phone lease"}, headers=owner
    )
    package_id = created.json()["package_id"]
    uploaded = await web.api.post(
        f"/v4/packages/{package_id}/documents",
        content=make_pdf(1, ["Lease."]),
        headers=owner | {"x-file-name": "lease.pdf", "x-source": "API"},
    )
    document_id = uploaded.json()["documentid"]
    added = await web.api.post(
        f"/v4/packages/{package_id}/workflow/users",
        json=[{"user_email": "cy@example.com", "user_name": "Cy", "role": "SIGNER"}],
        headers=owner,
    )
    assert added.status_code == 200, added.text
    page = await owner_page(web, TALL_PHONE)
    await page.goto(f"{live.url}/app/new/{package_id}")
    await web.shot_and_check_axe(page, "app-docs-10-prepare-phone", "prepare page (phone)")
    chip = page.locator("#chip-digital_signature")
    target = page.locator(".prepare-page").first
    await target.scroll_into_view_if_needed()
    await touch_drag(page, chip, target, 0.5)
    await expect(page.locator(".placed")).to_have_count(1)
    answer = await web.api.get(
        f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=owner
    )
    assert [f["order"] for f in answer.json()["digital_signature"]] == [1]
    await web.shot_and_check_axe(page, "app-docs-11-prepare-phone-placed", "placed (phone)")
    await page.context.close()
    assert httpx
