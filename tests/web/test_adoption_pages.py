"""Adopting a signature once in Chromium: two signers of a package with every field kind,
Ana on a desktop types her signature in a chosen handwriting style, Ben on a phone uploads
an image; each further signature and initials field is one tap. The final PDF validates
and carries the values; the history and the evidence report tell how each adopted.
Screenshots go to tests/artifacts/web/ (axe-core: no violations)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.async_api import Page, expect

from signflow.outbox.worker import Worker
from tests.audit.test_evidence import pdf_text
from tests.factories import bearer, create_package, upload_document
from tests.signing.checks import assert_the_signed_pdf_carries
from tests.signing.forms_pdfs import save_png
from tests.web.conftest import Web
from tests.web.helpers import (
    ANA,
    ANA_SIGNS,
    WIDE_DESKTOP,
    Field,
    Prepared,
    box,
    draw_signature,
    recipient_links,
    workflow,
)
from tests.workflow.helpers import make_pdf

SIGNING = 30_000  # ms: a PAdES signature on a busy two-core machine
ANA_NAME = "Ana María López"
BEN_NAME = "Ben Okafor"


def at(x: float, y: float, w: float | None = 130, h: float | None = 20) -> dict[str, float]:
    box = {"x": x, "y": y}
    if w is not None and h is not None:
        box |= {"width": w, "height": h}
    return box


def every_kind(prefix: str, order: int, top: float) -> list[tuple[str, dict[str, Any]]]:
    """A signer's fields of every kind, in a band of the page starting at `top`."""

    def f(kind: str, name: str, box: dict[str, float], **more: Any) -> tuple[str, dict]:
        return kind, {
            "order": order,
            "page_no": 1,
            "field_name": prefix + name,
            "dimensions": box,
            **more,
        }

    return [
        f("digital_signature", "Signs", at(40, top, 170, 50)),
        f("initials", "Initials", at(230, top, 70, 40)),
        f("digital_signature", "SignsAgain", at(320, top, 170, 50)),
        f("text", "Phone", at(40, top - 40)),
        f(
            "text",
            "Start",
            at(190, top - 40),
            type="DATE",
            format="dd/mm/yyyy",
            default_to_signing_date=False,
        ),
        f("text", "Name", at(340, top - 40), type="NAME"),
        f("text", "Email", at(40, top - 70, 200), type="EMAIL"),
        f("text", "Company", at(260, top - 70), type="COMPANY"),
        f("text", "Title", at(410, top - 70, 120), type="JOBTITLE"),
        f("checkbox", "Agree", at(40, top - 100, None, None)),
        f("radio", "Monthly", at(90, top - 100, None, None), radio_group_name=prefix + "Pay"),
        f("radio", "Yearly", at(130, top - 100, None, None), radio_group_name=prefix + "Pay"),
        f("dropdown", "Plan", at(190, top - 100), choices=["Basic", "Plus", "Premium"]),
        f("listbox", "Floor", at(340, top - 130, 110, 50), choices=["Ground", "First", "Second"]),
    ]


async def _package(web: Web) -> tuple[int, int, dict[str, str], dict[str, str]]:
    api, tenant = web.api, web.tenant
    owner = await bearer(api, tenant, tenant.user_email)
    package_id = await create_package(api, owner, "Lease 2026")
    pdf = make_pdf(1, ["Lease agreement between the parties."])
    document_id = await upload_document(api, owner, package_id, pdf, "lease.pdf")
    users = [
        {"user_email": f"{p}@{tenant.name.lower()}.test", "user_name": n, "role": "SIGNER"}
        for p, n in (("ana", ANA_NAME), ("ben", BEN_NAME))
    ]
    response = await api.post(
        f"/v3/packages/{package_id}/workflow/users", json=users, headers=owner
    )
    assert response.status_code == 200, response.text
    base = f"/v4/packages/{package_id}/documents/{document_id}/fields"
    for kind, body in every_kind("Ana", 1, 760) + every_kind("Ben", 2, 380):
        response = await api.post(f"{base}/{kind}", json=body, headers=owner)
        assert response.status_code == 200, response.text
    response = await api.post(f"/v3/packages/{package_id}/workflow", headers=owner)
    assert response.status_code == 200, response.text
    return package_id, document_id, owner, await recipient_links(web.live_server, package_id)


async def _fill(page: Page, who: str, values: dict[str, str]) -> None:
    await page.get_by_label(f"Text “{who}Phone”, page 1").fill(values["phone"])
    await page.get_by_label(f"Date “{who}Start”, page 1").fill("2026-04-01")
    await page.get_by_label(f"Text “{who}Company”, page 1").fill(values["company"])
    await page.get_by_label(f"Text “{who}Title”, page 1").fill(values["title"])
    await page.get_by_label(f"Check box “{who}Agree”, page 1").check()
    await page.get_by_label(f"Option “{who}Yearly”, page 1").check()
    await page.get_by_label(f"Choice “{who}Plan”, page 1").select_option("Premium")
    await page.get_by_label(f"List “{who}Floor”, page 1").select_option(values["floor"])
    await page.locator("#save-fields").click()
    await expect(page.locator("#flash")).to_have_text("Your entries were saved.")


async def _one_tap(page: Page, who: str, field: str, initials: bool = False) -> None:
    kind = "Initials here" if initials else "Sign here"
    button = page.get_by_role("button", name=f"{kind} “{who}{field}”, page 1")
    await expect(button).to_have_attribute("data-adopted", "")
    await button.click()
    await expect(page.locator("#flash")).to_have_text(
        f"The field “{who}{field}” is signed.", timeout=SIGNING
    )
    await expect(page.locator("#sign-dialog")).to_be_hidden()


def _transparent_png(path: Path) -> Path:
    image = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
    for x in range(40, 440):
        for dy in range(-3, 4):
            y = 80 + dy + int(30 * ((x // 40) % 2 * 2 - 1) * ((x % 40) / 40))
            image.putpixel((x, y), (120, 20, 20, 255))
    image.save(path, "PNG")
    return path


async def _adoption_log(api: httpx.AsyncClient, package_id: int, owner: dict[str, str]) -> list:
    log = await api.get(f"/v4/packages/{package_id}/log", headers=owner)
    found = []
    for action in log.json()["actions"]:
        if action["action_type"] != "SIGNATURE_ADOPTED":
            continue
        details = await api.get(
            f"/v4/packages/{package_id}/log/{action['log_id']}/details", headers=owner
        )
        found.append({d["key"]: d["value"] for d in details.json()["details"]})
    return found


async def test_two_signers_adopt_once_and_sign_every_field_kind(web: Web) -> None:
    package_id, document_id, owner, links = await _package(web)

    # Ana, on a desktop: types her name and picks the third handwriting style.
    page = await web.new_page(WIDE_DESKTOP, locale="en-US")
    await page.goto(links["ana"])
    await _fill(
        page,
        "Ana",
        {
            "phone": "+34 600 100 200",
            "company": "Ruiz & Hijos",
            "title": "Tenant",
            "floor": "First",
        },
    )
    await page.get_by_role("button", name="Sign here “AnaSigns”, page 1").click()
    dialog = page.locator("#sign-dialog")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#sign-title")).to_have_text("Your signature")  # not "AnaSigns"
    await expect(page.locator("#adopt-initials")).to_have_value("AML")  # from her name
    await expect(page.locator("#sign-consent")).to_contain_text("I agree")
    await expect(page.locator("#sign-apply")).to_have_text("Adopt and sign")
    await web.shot_and_check_axe(page, "adopt-01-desktop-dialog", "adopt dialog")
    await page.locator("#mode-type").check()
    samples = page.locator(".style-sample")
    await expect(samples).to_have_count(4)
    await expect(samples.nth(2)).to_have_text(ANA_NAME)
    fonts = await samples.evaluate_all(
        "els => els.map(e => getComputedStyle(e).fontFamily.split(',')[0])"
    )
    assert len(set(fonts)) == 4, fonts  # four real handwriting fonts, served by Signflow
    loaded = await page.evaluate(
        "document.fonts.load(\"40px 'Signflow Great Vibes'\").then(f => f.length)"
    )
    assert loaded >= 1
    await page.get_by_label("Style 3:").check()
    await web.shot_and_check_axe(page, "adopt-02-desktop-typed-styles", "typed styles")
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_have_text(
        "The field “AnaSigns” is signed.", timeout=SIGNING
    )
    # Each further signature and initials field is one tap.
    await _one_tap(page, "Ana", "Initials", initials=True)
    await _one_tap(page, "Ana", "SignsAgain")
    await expect(page.locator("#todo-text")).to_contain_text("All your fields are complete")
    # Her mark shows: the "Signed" badge sits above the field, not over it.
    signed = page.locator("#" + await page.locator(".field-signed").first.get_attribute("id"))
    badge = await signed.locator(".field-signed-badge").bounding_box()
    area = await signed.bounding_box()
    assert badge and area and badge["y"] + badge["height"] <= area["y"] + 1
    await web.shot_and_check_axe(page, "adopt-03-desktop-signed", "signed page")
    await page.locator("#finish").click()
    await expect(page).to_have_url(web.live_server.url + "/web/done")
    await page.context.close()

    # Ben, on a phone: uploads an image with a transparent background.
    phone = await web.page_at("phone", "en-US")
    await phone.goto(links["ben"])
    await _fill(
        phone,
        "Ben",
        {
            "phone": "+44 20 7946 0000",
            "company": "Okafor Ltd",
            "title": "Guarantor",
            "floor": "Second",
        },
    )
    await phone.get_by_role("button", name="Sign here “BenSigns”, page 1").tap()
    await expect(phone.locator("#adopt-initials")).to_have_value("BO")
    await phone.locator("#mode-upload").check()
    upload = _transparent_png(web.artifacts / "adopt-upload-source.png")
    await phone.locator("#upload-file").set_input_files(str(upload))
    await expect(phone.locator("#upload-preview")).to_be_visible()
    await expect(phone.locator("#sign-apply")).to_be_in_viewport()
    await web.shot_and_check_axe(phone, "adopt-04-phone-upload", "upload on a phone")
    await phone.locator("#sign-apply").tap()
    await expect(phone.locator("#flash")).to_have_text(
        "The field “BenSigns” is signed.", timeout=SIGNING
    )
    await _one_tap(phone, "Ben", "Initials", initials=True)
    # The dialog of an adopted signer shows the marks and offers to change them.
    await _one_tap(phone, "Ben", "SignsAgain")
    await web.shot_and_check_axe(phone, "adopt-05-phone-signed", "signed page on a phone")
    await phone.locator("#finish").tap()
    await expect(phone).to_have_url(web.live_server.url + "/web/done")
    await phone.context.close()

    api = web.api
    assert await workflow(api, Prepared(package_id, document_id, owner, links)) == (
        "COMPLETED",
        ["SIGNED", "SIGNED"],
    )
    adoptions = await _adoption_log(api, package_id, owner)
    assert [(a["method"], a["style"], a["initials"]) for a in adoptions] == [
        ("typed", "great-vibes", "AML"),
        ("uploaded", None, "BO"),
    ]
    assert all(len(a["signature_sha256"]) == 64 and "I agree" in a["consent"] for a in adoptions)

    final = await api.get(f"/v4/packages/{package_id}/documents/{document_id}", headers=owner)
    assert final.status_code == 200
    save_png(final.content, web.artifacts / "adopt-06-signed-pdf.png")
    (web.artifacts / "adopt-06-signed.pdf").write_bytes(final.content)
    await asyncio.to_thread(
        assert_the_signed_pdf_carries,
        final.content,
        shown=[
            "+34 600 100 200",
            "Ruiz & Hijos",
            "Tenant",
            "+44 20 7946 0000",
            "Okafor Ltd",
            "Guarantor",
            "01/04/2026",
            "Premium",
            "First",
            "Second",
            ANA_NAME,
            BEN_NAME,
        ],
        drawn=[p + n for p in ("Ana", "Ben") for n in ("Signs", "Initials", "SignsAgain")],
        signatures=6,
    )
    await Worker(web.live_server.context).run_until_idle()
    report = await api.get(f"/v4/packages/{package_id}/report", headers=owner)
    assert report.status_code == 200
    text = " ".join(pdf_text(report.content).split())
    assert "typed (great-vibes)" in text and "uploaded" in text
    assert adoptions[0]["signature_sha256"] in text.replace(" ", "") or (
        adoptions[0]["signature_sha256"][:32] in text.replace(" ", "")
    )


async def test_an_adopted_signature_signs_with_one_tap_without_script(web: Web) -> None:
    initials: Field = ("initials", 1, "AnaInitials", box(300, 120, 80, 40))
    prepared = await web.prepare([ANA], [ANA_SIGNS, initials])
    page = await web.new_page(WIDE_DESKTOP, locale="en-US")
    await page.goto(prepared.links["ana"])
    await page.get_by_role("button", name="Sign here “AnaSigns”, page 1").click()
    await expect(page.locator("#adopt-initials")).to_have_value("A")
    await draw_signature(page)
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_have_text(
        "The field “AnaSigns” is signed.", timeout=SIGNING
    )
    await page.context.close()

    # The same link in a browser without script: the adopted initials are one button.
    bare = await web.new_page(WIDE_DESKTOP, locale="en-US", java_script_enabled=False)
    await bare.goto(prepared.links["ana"])
    await bare.get_by_role("button", name="Initials here “AnaInitials”, page 1").click()
    await expect(bare.locator("#flash")).to_have_text(
        "The field “AnaInitials” is signed.", timeout=SIGNING
    )
    await web.shot(bare, "adopt-07-no-script-signed")  # axe needs script: not here
    await bare.context.close()
    adoptions = await _adoption_log(web.api, prepared.package_id, prepared.owner)
    assert [(a["method"], a["initials"]) for a in adoptions] == [("drawn", "A")]
