"""A serial package signed in the browser by two people, a decline, a phone, and the
page headers. Each page is screenshotted into tests/artifacts/web/ and checked with axe."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.web.conftest import Web
from tests.web.helpers import (
    ANA,
    ANA_SIGNS,
    BEN,
    BEN_SIGNS,
    DESKTOP,
    box,
    draw_signature,
    history,
    verification,
    workflow,
)


async def test_two_signers_sign_a_serial_package_by_clicking_and_drawing(web: Web) -> None:
    api, live_server = web.api, web.live_server
    prepared = await web.prepare(
        [ANA, BEN], [ANA_SIGNS, ("text", 1, "AnaCity", box(300, 120, 200, 30)), BEN_SIGNS]
    )
    assert await workflow(api, prepared) == ("SHARED", ["IN_PROGRESS", "UN_PROCESSED"])

    # Ben's link works before his turn, but shows nothing to act on.
    page = await web.new_page(DESKTOP, locale="en-US")
    await page.goto(prepared.links["ben"])
    await expect(page.locator("h1")).to_have_text("Something went wrong")
    await web.shot(page, "serial-00-ben-not-yet")
    await page.context.close()

    # Ana: the email link starts a session and lands on the package page, without the token.
    page = await web.new_page(DESKTOP, locale="en-US")
    response = await page.goto(prepared.links["ana"])
    assert response is not None and response.status == 200
    assert page.url == live_server.url + "/web/package"
    cookies = await page.context.cookies()
    session = next(c for c in cookies if c["name"] == "signflow_signer")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    await expect(page.locator("h1")).to_have_text("Lease 2026")
    await expect(page.locator("#todo-text")).to_contain_text("2 of 2 left")
    # Her fields are over the page image; Ben's are not hers to sign.
    sign_button = page.get_by_role("button", name="Sign here “AnaSigns”, page 1")
    await expect(sign_button).to_be_visible()
    await expect(page.locator("[data-field=BenSigns]")).to_have_count(0)
    field_box = await sign_button.bounding_box()
    page_box = await page.locator(".page img").first.bounding_box()
    assert field_box and page_box
    # x=72pt of a 595pt-wide page; the box sits at the top (PDF y counts from the bottom).
    assert abs((field_box["x"] - page_box["x"]) / page_box["width"] - 72 / 595.28) < 0.01
    expected_top = (841.89 - 120 - 60) / 841.89
    assert abs((field_box["y"] - page_box["y"]) / page_box["height"] - expected_top) < 0.01
    await expect(page.locator("#finish")).to_be_disabled()  # it says what is missing
    await expect(page.locator("#guide-hint")).to_have_text(
        "Still to do before Finish: AnaSigns, AnaCity"
    )
    await web.shot_and_check_axe(page, "serial-01-ana-package", "package page")

    # Fill her text field, then the "next field" guide leads to the signature.
    await page.get_by_label("Text “AnaCity”, page 1").fill("Bogotá")
    await page.locator("#save-fields").click()
    await expect(page.locator("#flash")).to_have_text("Your entries were saved.")
    await page.locator("#next-field").click()
    await expect(sign_button).to_be_focused()

    await sign_button.click()
    dialog = page.locator("#sign-dialog")
    await expect(dialog).to_be_visible()
    # Signing an empty pad is refused in the page.
    await page.locator("#sign-apply").click()
    await expect(page.locator("#sign-error")).to_be_visible()
    await draw_signature(page)
    await web.shot_and_check_axe(page, "serial-02-ana-draws", "signature dialog")
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_have_text("The field “AnaSigns” is signed.")
    await expect(page.locator("#todo-text")).to_contain_text("All your fields are complete")
    await web.shot(page, "serial-03-ana-signed")
    await page.locator("#finish").click()
    await expect(page).to_have_url(live_server.url + "/web/done")
    await expect(page.locator("[role=status]")).to_contain_text("Your part is done")
    await expect(page.locator(".people")).to_contain_text("Ben")
    await web.shot_and_check_axe(page, "serial-04-ana-done", "done page (pending)")
    await page.context.close()
    assert await workflow(api, prepared) == ("SHARED", ["SIGNED", "IN_PROGRESS"])

    # Ben, in Spanish from his browser, types his name instead of drawing.
    page = await web.new_page(DESKTOP, locale="es-ES")
    await page.goto(prepared.links["ben"])
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await expect(page.locator(".people")).to_contain_text("Firmado")
    sign_button = page.get_by_role("button", name="Firme aquí «BenSigns», página 1")
    await sign_button.click()
    await page.get_by_label("Escribir").check()
    await page.get_by_label("Su nombre tal como quiere que aparezca").fill("Ben Bauer")
    await web.shot(page, "serial-05-ben-types")
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_contain_text("está firmado")
    await page.locator("#finish").click()
    await expect(page).to_have_url(live_server.url + "/web/done")
    await expect(page.locator("#signed-docs")).to_have_text(
        "Todos han firmado. Los documentos firmados:"
    )
    await web.shot_and_check_axe(page, "serial-06-ben-done", "done page (completed)")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Descargar lease.pdf").click()
    download = await download_info.value
    downloaded = Path(await download.path()).read_bytes()
    await page.context.close()

    # Completed, with two valid signatures made through the same core as the API.
    assert await workflow(api, prepared) == ("COMPLETED", ["SIGNED", "SIGNED"])
    fields = await verification(api, prepared)
    assert [(f["field_name"], f["signature_status"]) for f in fields] == [
        ("AnaSigns", "VALID"),
        ("BenSigns", "VALID"),
    ]
    assert [f["signer_name"] for f in fields] == ["Ana", "Ben"]
    owner_copy = await api.get(f"/v3/packages/{prepared.package_id}", headers=prepared.owner)
    assert downloaded == owner_copy.content
    actions = await history(api, prepared)
    assert actions.count("DOCUMENT_SIGNED") == 2
    assert actions.count("PROCESSING_FINISHED") == 2
    assert "FORM_FILLED" in actions and "DOCUMENT_OPENED" in actions
