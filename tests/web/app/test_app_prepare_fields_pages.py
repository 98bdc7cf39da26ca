"""The prepare page's fields in Chromium: a dropdown with its choices and a radio group
placed by dragging (interact.js), a field resized with the mouse, options set in the
inspector, the preview as a recipient, saved as a template, a new package started from
it with the fields there; sent, the recipient chooses in the dropdown and signs, and
the chosen value is in the signed PDF. Desktop (1366x900) and phone (390x844)
screenshots, axe-core on every page."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.factories import bearer
from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.web.app.documents_helpers import drag, touch_drag, touch_move
from tests.web.app.test_app_documents_pages import fields_of, link_of, owner_page
from tests.web.conftest import Web
from tests.web.helpers import TALL_PHONE, WIDE_DESKTOP, delivered_mail, draw_signature
from tests.workflow.helpers import make_pdf

PAGE_WIDTH = 595.28


async def draft(web: Web, name: str) -> tuple[int, int, dict[str, str]]:
    """A draft made through the API: one PDF, Ana and Ben."""
    owner = await bearer(web.api, web.tenant, web.tenant.user_email)
    created = await web.api.post("/v4/packages", json={"package_name": name}, headers=owner)
    package_id = created.json()["package_id"]
    uploaded = await web.api.post(
        f"/v4/packages/{package_id}/documents",
        content=make_pdf(1, ["Order form: choose a colour and a plan."]),
        headers=owner | {"x-file-name": "order.pdf", "x-source": "API"},
    )
    document_id = uploaded.json()["documentid"]
    domain = web.tenant.name.lower()
    added = await web.api.post(
        f"/v4/packages/{package_id}/workflow/users",
        json=[
            {"user_email": f"ana@{domain}.test", "user_name": "Ana", "role": "SIGNER"},
            {"user_email": f"ben@{domain}.test", "user_name": "Ben", "role": "SIGNER"},
        ],
        headers=owner,
    )
    assert added.status_code == 200, added.text
    return package_id, document_id, owner


async def place(page: Page, kind: str, order: str, at: tuple[float, float]) -> None:
    await page.locator("#field-order").select_option(order)
    target = page.locator(".prepare-page").first
    await target.scroll_into_view_if_needed()
    async with page.expect_navigation():
        await drag(page, page.locator(f"#chip-{kind}"), target, at)


async def test_options_preview_template_and_a_chosen_value_in_the_signed_pdf(
    web: Web,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    live = web.live_server
    package_id, document_id, owner = await draft(web, "Order 2026")
    page = await owner_page(web, WIDE_DESKTOP)
    await page.goto(f"{live.url}/app/new/{package_id}")

    # A dropdown needs its choices: dropped without them, the choices box opens.
    await page.locator(".prepare-page").first.scroll_into_view_if_needed()
    await drag(
        page, page.locator("#chip-dropdown"), page.locator(".prepare-page").first, (0.3, 0.3)
    )
    await expect(page.locator("#new-choices")).to_be_focused()
    await expect(page.locator(".placed")).to_have_count(0)
    await page.locator("#new-choices").fill("Red\nGreen\nBlue")
    await place(page, "dropdown", "1", (0.3, 0.3))
    # The choices stay from drop to drop (and open their box): the group goes beside them.
    await expect(page.locator("#new-choices")).to_have_value("Red\nGreen\nBlue")
    await page.locator("#new-group").fill("Plan")
    await place(page, "radio", "1", (0.2, 0.45))
    await place(page, "radio", "1", (0.2, 0.5))
    await place(page, "digital_signature", "1", (0.35, 0.7))
    await place(page, "text", "2", (0.6, 0.85))
    await expect(page.locator(".placed")).to_have_count(5)
    fields = await fields_of(web, package_id, document_id)
    assert fields["dropdown"][0]["choices"] == ["Red", "Green", "Blue"]
    assert [(f["radio_group_name"], f["order"]) for f in fields["radio"]] == [
        ("Plan", 1),
        ("Plan", 1),
    ]
    dropdown = fields["dropdown"][0]
    assert (
        abs((dropdown["dimensions"]["x"] + dropdown["dimensions"]["width"] / 2) / PAGE_WIDTH - 0.3)
        < 0.02
    )

    # Resized with the mouse from its bottom right corner: wider and taller.
    box = page.locator(f"#placed-{document_id}-{dropdown['field_name']}")
    await box.scroll_into_view_if_needed()
    area = await box.bounding_box()
    assert area is not None
    corner = (area["x"] + area["width"] - 2, area["y"] + area["height"] - 2)
    async with page.expect_navigation():
        await page.mouse.move(*corner)
        await page.mouse.down()
        await page.mouse.move(corner[0] + 80, corner[1] + 20, steps=10)
        await page.mouse.up()
    resized = (await fields_of(web, package_id, document_id))["dropdown"][0]["dimensions"]
    scale = (
        PAGE_WIDTH
        / (await page.locator(".prepare-page").first.bounding_box() or {"width": 1})["width"]
    )
    assert abs(resized["width"] - dropdown["dimensions"]["width"] - 80 * scale) < 8
    assert abs(resized["x"] - dropdown["dimensions"]["x"]) < 3

    # The inspector: a tap on the field opens its options; one more choice, saved.
    name = dropdown["field_name"]
    box = page.locator(f"#placed-{document_id}-{name}")
    await box.click()
    choices = page.locator(f"#choices-{document_id}-{name}")
    await expect(choices).to_be_visible()
    await choices.fill("Red\nGreen\nBlue\nBlack")
    text_name = fields["text"][0]["field_name"]
    await web.shot_and_check_axe(page, "app-fields-01-inspector-desktop", "field inspector")
    async with page.expect_navigation():
        await page.locator(f"#form-{document_id}-{name} button[type=submit]").click()
    fields = await fields_of(web, package_id, document_id)
    assert fields["dropdown"][0]["choices"] == ["Red", "Green", "Blue", "Black"]
    await page.locator(f"#placed-{document_id}-{text_name}").click()
    await page.locator(f"#placeholder-{document_id}-{text_name}").fill("Your city")
    await page.locator(f"#max-length-{document_id}-{text_name}").fill("30")
    async with page.expect_navigation():
        await page.locator(f"#form-{document_id}-{text_name} button[type=submit]").click()
    text = (await fields_of(web, package_id, document_id))["text"][0]
    assert (text["placeholder"], text["max_length"]) == ("Your city", 30)
    await web.shot_and_check_axe(page, "app-fields-02-prepare-desktop", "prepare with options")

    # Preview as Ana: her fields to fill, Ben's shown as his; nothing to act on.
    await page.locator("#preview-link").click()
    await expect(page.locator("h1")).to_have_text("Preview of “Order 2026”")
    await expect(page.locator(".preview-page select")).to_be_disabled()
    await expect(page.locator(".preview-page input[type=radio]")).to_have_count(2)
    await expect(page.locator(".other-field")).to_have_text(["Text · Ben"])
    await web.shot_and_check_axe(page, "app-fields-03-preview-desktop", "preview as Ana")
    await page.locator("#preview-order").select_option("2")
    await page.locator("#preview-show").click()
    await expect(page.locator(".other-field")).to_have_count(4)
    await expect(page.locator(".preview-page input[type=text]")).to_have_attribute(
        "placeholder", "Your city"
    )

    # Saved as a template, a new package started from it: the fields are there.
    await page.locator("#back-to-prepare").click()
    await page.locator("#template-name").fill("Order form")
    await page.locator("#save-template-button").click()
    await expect(page.locator("#template-saved")).to_have_text(
        "Saved as the template “Order form”."
    )
    await web.shot_and_check_axe(page, "app-fields-04-templates-desktop", "start from a template")
    await page.locator(".start-template input[name=package_name]").fill("Order Ana")
    await page.get_by_role("button", name="Use this template: “Order form”").click()
    await expect(page.locator("h1")).to_have_text("Prepare “Order Ana”")
    await expect(page.locator(".placed")).to_have_count(5)
    new_id = int(page.url.rsplit("/", 1)[1].split("#")[0])
    new_document = int(await page.locator("#field-document").input_value())
    copied = await fields_of(web, new_id, new_document)
    assert copied["dropdown"][0]["choices"] == ["Red", "Green", "Blue", "Black"]
    assert sorted(f["radio_group_name"] for f in copied["radio"]) == ["Plan", "Plan"]
    await web.shot_and_check_axe(page, "app-fields-05-from-template-desktop", "from a template")

    # Sent; Ana chooses Green and the second plan, and signs; Ben signs his text.
    await page.locator("#send-button").click()
    await expect(page).to_have_url(f"{live.url}/app/viewer/{new_id}")
    await page.context.close()
    mails = await delivered_mail(live, smtp_server)
    domain = web.tenant.name.lower()
    signer = await web.new_page(TALL_PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    signer.set_default_timeout(45_000)
    await signer.goto(link_of(mails, f"ana@{domain}.test"))
    chosen = copied["dropdown"][0]["field_name"]
    await signer.locator(f"select[name='{new_document}:{chosen}']").select_option("Green")
    second = sorted(copied["radio"], key=lambda f: -f["dimensions"]["y"])[1]["field_name"]
    await signer.locator(f"input[type=radio][value='{second}']").check()
    await signer.locator("#save-fields").click()
    await expect(signer.locator("#flash")).to_have_text("Your entries were saved.")
    await web.shot_and_check_axe(signer, "app-fields-06-signer-dropdown-phone", "Ana's dropdown")
    signature = copied["digital_signature"][0]["field_name"]
    await signer.get_by_role("button", name=f"Sign here “{signature}”, page 1").click()
    await draw_signature(signer)
    await signer.locator("#sign-apply").click()
    await expect(signer.locator("#flash")).to_contain_text("is signed")
    await signer.locator("#finish").click()
    await expect(signer).to_have_url(live.url + "/web/done")
    await signer.context.close()

    answer = await web.api.get(f"/v4/packages/{new_id}/documents/{new_document}", headers=owner)
    assert answer.status_code == 200
    assert answer.content.startswith(b"%PDF")
    signed = web.artifacts / "app-fields-signed.pdf"
    signed.write_bytes(answer.content)
    assert "Green" in pdf_text(signed)
    values = field_values(answer.content)
    assert values.get(copied["dropdown"][0]["field_name"]) == "Green", values


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def field_values(pdf: bytes) -> dict[str, Any]:
    """The AcroForm fields' values (/T name, /V value) by a plain read of the PDF."""
    reader = PdfFileReader(io.BytesIO(pdf))
    found: dict[str, Any] = {}
    if "/AcroForm" not in reader.root:
        return found
    form = reader.root["/AcroForm"]
    for index in range(len(form["/Fields"])):
        field = form["/Fields"][index]
        value = field.get("/V")
        found[str(field["/T"])] = str(value) if value is not None else None
    return found


async def test_placing_and_the_inspector_on_a_phone(web: Web) -> None:
    """On a phone: a radio button dragged with a finger, its options opened with a tap."""
    live = web.live_server
    package_id, document_id, _ = await draft(web, "Phone order")
    page = await owner_page(web, TALL_PHONE)
    await page.goto(f"{live.url}/app/new/{package_id}")
    chip = page.locator("#chip-radio")
    target = page.locator(".prepare-page").first
    await target.scroll_into_view_if_needed()
    # The phone's palette is one row scrolling sideways: the radio chip brought in sight.
    await chip.scroll_into_view_if_needed()
    await touch_drag(page, chip, target, 0.4)
    await expect(page.locator(".placed")).to_have_count(1)
    fields = await fields_of(web, package_id, document_id)
    name = fields["radio"][0]["field_name"]
    placed = page.locator(f"#placed-{document_id}-{name}")
    await placed.scroll_into_view_if_needed()
    await placed.tap()
    await expect(page.locator(f"#group-{document_id}-{name}")).to_be_visible()
    await web.shot_and_check_axe(page, "app-fields-07-inspector-phone", "inspector (phone)")
    await page.locator(f"#group-{document_id}-{name}").fill("Size")
    async with page.expect_navigation():
        await page.locator(f"#form-{document_id}-{name} button[type=submit]").click()
    before = (await fields_of(web, package_id, document_id))["radio"][0]
    assert before["radio_group_name"] == "Size"
    # A small radio button still moves with a finger (it resizes from its corner only).
    placed = page.locator(f"#placed-{document_id}-{name}")
    await placed.scroll_into_view_if_needed()
    area = await placed.bounding_box()
    assert area
    cx, cy = area["x"] + area["width"] * 0.35, area["y"] + area["height"] * 0.35
    await touch_move(page, (cx, cy), (cx + 60, cy))
    after = (await fields_of(web, package_id, document_id))["radio"][0]["dimensions"]
    assert after["x"] > before["dimensions"]["x"] + 20
    assert after["width"] == before["dimensions"]["width"]
    await page.goto(f"{live.url}/app/new/{package_id}/preview?order=1")
    await web.shot_and_check_axe(page, "app-fields-08-preview-phone", "preview (phone)")
    await page.goto(f"{live.url}/app/new")
    await web.shot_and_check_axe(page, "app-fields-09-new-phone", "new with templates (phone)")
    await page.context.close()
    assert re
