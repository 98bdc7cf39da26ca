"""A signer fills every field kind on the page in Chromium (text, date, checkbox, radio
group, dropdown, list box, company; name and email come from her identity), signs and
finishes. Screenshots at desktop and phone size go to tests/artifacts/web/ (and, for the
branch's review, to SIGNFLOW_SCREENSHOTS when set)."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from signflow.outbox.worker import Worker
from tests.audit.test_evidence import pdf_text
from tests.signing.checks import assert_the_signed_pdf_carries
from tests.signing.forms_pdfs import save_png
from tests.web.conftest import Web
from tests.web.helpers import (
    ANA,
    at,
    draw_signature,
    history,
    share_with_fields,
    workflow,
)

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("digital_signature", {"field_name": "AnaSigns", "dimensions": at(72, 90, 200, 60)}),
    ("text", {"field_name": "Phone", "dimensions": at(72, 700)}),
    (
        "text",
        {
            "field_name": "Start",
            "type": "DATE",
            "format": "dd/mm/yyyy",
            "default_to_signing_date": False,
            "dimensions": at(72, 660),
        },
    ),
    (
        "text",
        {
            "field_name": "SignedOn",
            "type": "DATE",
            "format": "mmmm d, yyyy",
            "validation_rule": "OPTIONAL",
            "dimensions": at(300, 660),
        },
    ),
    ("text", {"field_name": "Name1", "type": "NAME", "dimensions": at(300, 700)}),
    ("text", {"field_name": "Email1", "type": "EMAIL", "dimensions": at(300, 620, 200)}),
    ("text", {"field_name": "Company1", "type": "COMPANY", "dimensions": at(72, 620)}),
    ("checkbox", {"field_name": "Agree", "dimensions": at(72, 580, None, None)}),
    (
        "radio",
        {"field_name": "Monthly", "radio_group_name": "Pay", "dimensions": at(72, 540, None, None)},
    ),
    (
        "radio",
        {"field_name": "Yearly", "radio_group_name": "Pay", "dimensions": at(120, 540, None, None)},
    ),
    (
        "dropdown",
        {"field_name": "Plan", "choices": ["Basic", "Plus", "Premium"], "dimensions": at(72, 490)},
    ),
    (
        "listbox",
        {
            "field_name": "Floor",
            "choices": ["Ground", "First", "Second"],
            "dimensions": at(300, 450, 120, 60),
        },
    ),
]


CONSENT = (
    "By selecting Sign, I agree that my electronic signature is the legal equivalent of my "
    "handwritten signature on this document."
)
FIELD_NAMES = [body.get("radio_group_name") or body["field_name"] for _kind, body in FIELDS]


async def _shots(web: Web, page: Page, name: str) -> None:
    await web.shot(page, name)
    target = os.environ.get("SIGNFLOW_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(web.artifacts / f"{name}.png", Path(target) / f"{name}.png")


async def test_a_signer_fills_every_kind_on_the_page_and_finishes(web: Web) -> None:
    api = web.api
    prepared = await web.prepare([ANA], [], share=False)
    link = (await share_with_fields(api, web.live_server, prepared, FIELDS))["ana"]

    page = await web.new_page(DESKTOP, locale="en-US")
    await page.goto(link)
    todo = page.locator("#todo-text")
    # Signature, Phone, Start, Company (she has no account to take it from), Agree, Pay,
    # Plan, Floor.
    await expect(todo).to_have_text("Complete the highlighted fields: 8 of 8 left.")
    await expect(page.locator("output.field-fixed").first).to_have_text("Ana")
    await web.shot_and_check_axe(page, "field-kinds-01-desktop-empty", "page with every kind")
    await _shots(web, page, "field-kinds-01-desktop-empty")

    await page.get_by_label("Text “Phone”, page 1").fill("+34 600 100 200")
    await page.get_by_label("Date “Start”, page 1").fill("2026-04-01")
    await page.get_by_label("Text “Company1”, page 1").fill("Ruiz & Hijos")
    await page.get_by_label("Check box “Agree”, page 1").check()
    await page.get_by_label("Option “Yearly”, page 1").check()
    await page.get_by_label("Choice “Plan”, page 1").select_option("Premium")
    await page.get_by_label("List “Floor”, page 1").select_option("First")
    await page.locator("#save-fields").click()
    await expect(page.locator("#flash")).to_have_text("Your entries were saved.")
    await expect(todo).to_have_text("Complete the highlighted fields: 1 of 8 left.")
    await expect(page.get_by_label("Option “Yearly”, page 1")).to_be_checked()
    await expect(page.get_by_label("Option “Monthly”, page 1")).not_to_be_checked()
    await expect(page.get_by_label("Choice “Plan”, page 1")).to_have_value("Premium")
    await web.shot_and_check_axe(page, "field-kinds-02-desktop-filled", "filled page")
    await _shots(web, page, "field-kinds-02-desktop-filled")

    phone = await web.new_page(PHONE, is_mobile=True, has_touch=True, locale="en-US")
    await phone.goto(link)
    await expect(phone.get_by_label("Date “Start”, page 1")).to_have_value("2026-04-01")
    await web.shot_and_check_axe(phone, "field-kinds-03-phone-filled", "filled page on a phone")
    await _shots(web, phone, "field-kinds-03-phone-filled")
    await phone.context.close()

    # "Next field" leads to what is left: the signature.
    await page.locator("#next-field").click()
    sign_button = page.get_by_role("button", name="Sign here “AnaSigns”, page 1")
    await expect(sign_button).to_be_focused()
    await sign_button.click()
    await expect(page.locator("#sign-consent")).to_have_text(CONSENT)
    await draw_signature(page)
    await web.shot_and_check_axe(page, "field-kinds-035-sign-dialog", "sign dialog with consent")
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_have_text("The field “AnaSigns” is signed.")
    await expect(todo).to_have_text(
        "All your fields are complete. Press Finish to send the document on."
    )
    # Signed: her values are in the document and the page no longer offers to change them.
    await expect(page.get_by_label("Text “Phone”, page 1")).to_be_disabled()
    await _shots(web, page, "field-kinds-04-desktop-signed")
    await page.locator("#finish").click()
    await expect(page).to_have_url(web.live_server.url + "/web/done")
    await page.context.close()

    assert await workflow(api, prepared) == ("COMPLETED", ["SIGNED"])
    assert "FORM_FILLED" in await history(api, prepared)
    log = await api.get(f"/v4/packages/{prepared.package_id}/log", headers=prepared.owner)
    signed_id = next(
        a["log_id"] for a in log.json()["actions"] if a["action_type"] == "DOCUMENT_SIGNED"
    )
    details = await api.get(
        f"/v4/packages/{prepared.package_id}/log/{signed_id}/details", headers=prepared.owner
    )
    recorded = {d["key"]: d["value"] for d in details.json()["details"]}
    assert recorded["consent"] == CONSENT  # what she was shown beside Sign
    carried = recorded["form_values"]
    for shown in ("+34 600 100 200", "01/04/2026", "Ruiz & Hijos", "Yearly", "Premium", "First"):
        assert shown in carried, carried
    assert web.tenant.name.lower() in carried  # her email, from the recipient entry

    # The signed PDF shows what she gave, under her signature, in every reader.
    final = await api.get(
        f"/v4/packages/{prepared.package_id}/documents/{prepared.document_id}",
        headers=prepared.owner,
    )
    assert final.status_code == 200
    save_png(final.content, web.artifacts / "field-kinds-05-signed-pdf.png")
    await Worker(web.live_server.context).run_until_idle()
    report = await api.get(f"/v4/packages/{prepared.package_id}/report", headers=prepared.owner)
    assert report.status_code == 200
    assert CONSENT in " ".join(pdf_text(report.content).split())
    await asyncio.to_thread(
        assert_the_signed_pdf_carries,
        final.content,
        shown=["+34 600 100 200", "01/04/2026", "Ruiz & Hijos", "Premium", "First", "Ana"],
        drawn=sorted(set(FIELD_NAMES)),
        signatures=1,
    )
