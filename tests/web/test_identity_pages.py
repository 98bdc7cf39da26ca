"""The identity page in the browser (a code by email, a password on a phone, the block),
a signing code asked for in the sign dialog, and a signature request opened through
/openDocument that ends at the integrator's resulturl. Screenshots in tests/artifacts/web/."""

from __future__ import annotations

import base64
import io
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import expect
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.signing.checks import run_pdfsig
from tests.web.conftest import SIZES, Web
from tests.web.helpers import (
    ANA,
    ANA_SIGNS,
    BEN,
    BEN_SIGNS,
    DESKTOP,
    PHONE,
    Prepared,
    add_field,
    box,
    draw_signature,
    history,
    mailed_code,
    workflow,
)
from tests.web.test_decline_and_integration import application_server
from tests.workflow.helpers import make_pdf


async def protect(api: httpx.AsyncClient, prepared: Prepared, **methods: object) -> None:
    response = await api.put(
        f"/v3/packages/{prepared.package_id}/workflow/1/authentication",
        json={"apply_to_all": False, "authentication": {"enabled": True, **methods}},
        headers=prepared.owner,
    )
    assert response.status_code == 200, response.text


async def share(api: httpx.AsyncClient, prepared: Prepared) -> None:
    response = await api.post(
        f"/v3/packages/{prepared.package_id}/workflow", headers=prepared.owner
    )
    assert response.status_code == 200, response.text


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


@pytest.mark.parametrize("size", list(SIZES))
async def test_a_code_by_email_a_wrong_try_then_the_right_one_and_a_signing_code(
    web: Web,
    size: str,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    api, live_server = web.api, web.live_server
    prepared = await web.prepare([ANA], [ANA_SIGNS], share=False)
    ana = prepared.email("ana", web.tenant)
    # A second field whose signature asks for a code of its own.
    code_field = ("electronic_signature", 1, "AnaCode", box(300, 120))
    await add_field(
        api,
        prepared.owner,
        prepared.package_id,
        prepared.document_id,
        code_field,
        authentication=True,
    )
    await protect(api, prepared, email_otp={"enabled": True})
    await share(api, prepared)

    page = await web.page_at(size, "en-US")
    await page.goto(prepared.links["ana"])
    await expect(page).to_have_url(live_server.url + "/web/identity")
    await expect(page.locator("h1")).to_have_text("Confirm it is you")
    await expect(page.locator("#tries")).to_contain_text("Tries left: 3 of 3")
    await web.shot_and_check_axe(
        page, f"identity-{size}-01-code", "identity page (code)", strict=True
    )

    await page.get_by_role("button", name="Send me the code").click()
    await expect(page.locator("#flash")).to_have_text(
        "We sent the code. It is valid for 5 minutes."
    )
    await expect(page.get_by_role("button", name="Send the code again")).to_be_visible()
    code = await mailed_code(live_server, smtp_server, ana)

    await page.get_by_label("6-digit code").fill(wrong(code))
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("#flash")).to_have_text("That is not right. Check it and try again.")
    await expect(page.locator("#tries")).to_contain_text("Tries left: 2 of 3")
    await web.shot_and_check_axe(
        page, f"identity-{size}-02-wrong-code", "identity page after a wrong code", strict=True
    )

    # Asking again at once is refused by the resend limit, with the wait.
    await page.get_by_role("button", name="Send the code again").click()
    await expect(page.locator("#flash")).to_contain_text("A code was sent a moment ago. Wait")

    await page.get_by_label("6-digit code").fill(code)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(live_server.url + "/web/package")
    await expect(page.locator("h1")).to_have_text("Lease 2026")

    # The plain signature field.
    await page.get_by_role("button", name="Sign here “AnaSigns”, page 1").click()
    await expect(page.locator("#code-panel")).to_be_hidden()
    await draw_signature(page)
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_have_text("The field “AnaSigns” is signed.")

    # The field with a signing code: the dialog sends it and asks for it.
    await page.get_by_role("button", name="Sign here “AnaCode”, page 1").click()
    await expect(page.locator("#code-panel")).to_be_visible()
    await page.get_by_role("button", name="Send me the code").click()
    await expect(page.locator("#code-status")).to_have_text(
        "We sent the code. It is valid for 5 minutes."
    )
    signing_code = await mailed_code(live_server, smtp_server, ana)
    # Her signature was adopted at the first field: the dialog shows it, and asks the code.
    await expect(page.locator("#adopted-panel")).to_be_visible()
    await page.get_by_label("6-digit code").fill(signing_code)
    # Sign is in view without scrolling the page, however tall the dialog.
    apply = await page.locator("#sign-apply").bounding_box()
    assert apply and apply["y"] + apply["height"] <= SIZES[size]["height"], apply
    await web.shot_and_check_axe(
        page, f"identity-{size}-03-signing-code", "sign dialog with a signing code", strict=True
    )
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_have_text("The field “AnaCode” is signed.")
    await page.locator("#finish").click()
    await expect(page).to_have_url(live_server.url + "/web/done")
    await web.shot_and_check_axe(page, f"identity-{size}-04-done", "done page", strict=True)
    await page.context.close()

    assert await workflow(api, prepared) == ("COMPLETED", ["SIGNED"])
    actions = await history(api, prepared)
    assert actions.count("IDENTITY_CHECK_FAILED") == 1
    assert actions.count("OTP_SENT") == 2 and actions.count("DOCUMENT_SIGNED") == 2


async def test_a_password_on_a_phone_and_the_block_after_three_wrong_tries(web: Web) -> None:
    api, live_server = web.api, web.live_server
    prepared = await web.prepare([ANA, BEN], [ANA_SIGNS, BEN_SIGNS], share=False)
    await protect(api, prepared, password={"enabled": True, "user_password": "open-sesame"})
    await share(api, prepared)

    page = await web.new_phone_page("es-ES")
    await page.goto(prepared.links["ana"])
    await expect(page.locator("h1")).to_have_text("Confirme que es usted")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    password = page.get_by_label("Contraseña")
    size = await password.bounding_box()
    assert size and size["height"] >= 44
    await web.shot_and_check_axe(
        page, "phone-identity-01-password", "identity page (password) on a phone"
    )

    await password.fill("open-says-me")
    await page.get_by_role("button", name="Continuar").tap()
    await expect(page.locator("#flash")).to_have_text(
        "No es correcto. Revíselo e inténtelo de nuevo."
    )
    await expect(page.locator("#tries")).to_contain_text("Intentos restantes: 2 de 3")
    await web.shot(page, "phone-identity-02-wrong")
    # The language can be switched on the identity page too.
    await page.locator(".language-menu summary").tap()  # the switch opens its list
    await page.get_by_role("link", name="English").tap()
    await expect(page.locator("#tries")).to_contain_text("Tries left: 2 of 3")
    await page.get_by_label("Password").fill("open-sesame")
    await page.get_by_role("button", name="Continue").tap()
    await expect(page).to_have_url(live_server.url + "/web/package")
    await expect(page.get_by_role("button", name="Sign here “AnaSigns”, page 1")).to_be_visible()
    await page.context.close()

    assert await workflow(api, prepared) == ("SHARED", ["IN_PROGRESS", "UN_PROCESSED"])


async def test_three_wrong_passwords_show_the_blocked_page(web: Web) -> None:
    api = web.api
    prepared = await web.prepare([ANA], [ANA_SIGNS], share=False)
    await protect(api, prepared, password={"enabled": True, "user_password": "open-sesame"})
    await share(api, prepared)
    page = await web.new_page(DESKTOP, locale="en-GB")
    await page.goto(prepared.links["ana"])
    for left in (2, 1):
        await page.get_by_label("Password").fill("guess")
        await page.get_by_role("button", name="Continue").click()
        await expect(page.locator("#tries")).to_contain_text(f"Tries left: {left} of 3")
    await page.get_by_label("Password").fill("guess")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("h1")).to_have_text("Blocked")
    await expect(page.locator("[role=alert]")).to_contain_text("three wrong tries")
    await web.shot_and_check_axe(page, "identity-04-blocked", "blocked page")
    # The link leads to the blocked page from now on.
    response = await page.goto(prepared.links["ana"])
    assert response is not None and response.status == 403
    await expect(page.locator("h1")).to_have_text("Blocked")
    await page.context.close()
    assert await workflow(api, prepared) == ("SHARED", ["BLOCKED"])
    assert "RECIPIENT_BLOCKED" in await history(api, prepared)


@pytest.mark.parametrize("size", list(SIZES))
async def test_a_signature_request_is_signed_through_open_document_and_returns(
    web: Web, size: str
) -> None:
    api, live_server = web.api, web.live_server
    app = application_server()  # the integrator's site, another origin
    app_origin = f"http://localhost:{app.server_port}"
    created = await api.post(
        "/JSON/signatureRequest",
        json={
            "filedata": {"content": base64.b64encode(make_pdf(2)).decode(), "state": "tosign"},
            "filename": "Offer 2026.pdf",
            "resulturl": f"{app_origin}/back?ticket=7",
        },
        headers={"x-api-key": web.tenant.api_key},
    )
    assert created.status_code == 200, created.text
    request_id, document_id = created.json()["result"], created.json()["documentId"]
    assert created.json()["url"] == f"{live_server.url}/openDocument/{request_id}"

    page = await web.page_at(size, "en-US")
    await page.goto(created.json()["url"])
    await expect(page).to_have_url(live_server.url + "/web/package")
    await expect(page.locator("h1")).to_have_text("Offer 2026.pdf")
    await expect(page.locator("#todo-text")).to_contain_text("sign in the highlighted box")
    await expect(page.locator("#finish")).to_have_count(0)
    sign = page.get_by_role("button", name="Sign here “Signature”, page 2")
    await expect(sign).to_be_visible()
    await web.shot_and_check_axe(
        page, f"request-{size}-01-open-document", "signature request page", strict=True
    )
    await sign.click()
    await draw_signature(page)
    # Drawn without a name: the browser asks for it first; nothing is signed.
    await page.locator("#sign-apply").click()
    assert await page.locator("#signer-name").evaluate("el => !el.validity.valid")
    await expect(page.locator("#sign-dialog")).to_be_visible()
    await page.get_by_label("Your full name").fill("Carla Núñez")
    await web.shot_and_check_axe(
        page, f"request-{size}-02-sign", "signature request's sign dialog", strict=True
    )
    await page.locator("#sign-apply").click()
    await expect(page.get_by_text("Back in the app", exact=True)).to_be_visible()
    final = urlsplit(page.url)
    assert f"{final.scheme}://{final.netloc}{final.path}" == f"{app_origin}/back"
    query = parse_qs(final.query)
    assert int(query.pop("ts")[0]) > 1_600_000_000_000
    assert query == {
        "ticket": ["7"],
        "name": ["Offer 2026"],
        "docid": [str(document_id)],
        "lang": ["en"],
        "result": ["success"],
    }
    await page.context.close()
    app.shutdown()
    app.server_close()

    key = {"x-api-key": web.tenant.api_key}
    metadata = await api.get(f"/JSON/document/metadata/{document_id}", headers=key)
    assert metadata.json()["state"] == "signed"
    signed = await api.get(f"/JSON/document/{document_id}", headers=key)
    assert signed.status_code == 200 and b"/ByteRange" in signed.content
    # The enterprise seal signed for the person: the signature's /Name (and its stamp)
    # carry the name they gave, never the placeholder "Signer".
    assert "Signature Validation: Signature is Valid." in run_pdfsig(signed.content)
    (signature,) = PdfFileReader(io.BytesIO(signed.content)).embedded_signatures
    assert str(signature.sig_object["/Name"]) == "Carla Núñez"
    # The link has nothing left to do, and a page of its own says so (not an error).
    page = await web.page_at(size, "en-US")
    response = await page.goto(created.json()["url"])
    assert response is not None and response.status == 410
    await expect(page.locator("h1")).to_have_text("Already signed")
    await expect(page.locator("#request-state")).to_have_text(
        "This document has already been signed. There is nothing left to do."
    )
    assert "Something went wrong" not in await page.content()
    await web.shot_and_check_axe(
        page, f"request-{size}-03-already-signed", "signed request's link", strict=True
    )
    await page.context.close()
