"""The identity page in the browser (a code by email, a password on a phone, the block),
a signing code asked for in the sign dialog, and a signature request opened through
/openDocument that ends at the integrator's resulturl. Screenshots in tests/artifacts/web/."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from signflow.db import transaction
from signflow.identity.codes import DELIVERY_PURPOSE
from signflow.models import OneTimeCode, Recipient
from signflow.sealing import unseal
from tests.factories import Tenant
from tests.web.conftest import LiveServer
from tests.web.helpers import (
    DESKTOP,
    PHONE,
    Prepared,
    box,
    check_axe,
    draw_signature,
    history,
    prepare,
    shot,
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


async def newest_code(live: LiveServer, package_id: int) -> str:
    """The newest code sent to the package's first recipient, from its sealed row
    (the test server runs no worker, so it is still there)."""
    async with transaction(live.context.sessions) as session:
        first = select(Recipient.id).where(
            Recipient.package_id == package_id, Recipient.position == 1
        )
        row = await session.scalar(
            select(OneTimeCode)
            .where(OneTimeCode.recipient_id.in_(first))
            .order_by(OneTimeCode.id.desc())
            .limit(1)
        )
        assert row is not None and row.pending_delivery is not None
        secret = live.settings.effective_secret_key
        return unseal(row.pending_delivery, secret, DELIVERY_PURPOSE).decode()


async def new_page(browser: Browser, viewport: dict[str, int], **options: object) -> Page:
    context = await browser.new_context(viewport=viewport, **options)  # type: ignore[arg-type]
    page = await context.new_page()
    page.set_default_timeout(15_000)
    return page


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def test_a_code_by_email_a_wrong_try_then_the_right_one_and_a_signing_code(
    browser: Browser,
    live_server: LiveServer,
    api: httpx.AsyncClient,
    web_tenant: Tenant,
    axe_source: str,
    artifacts: Path,
) -> None:
    prepared = await prepare(
        api,
        live_server,
        web_tenant,
        [("ana", "SIGNER")],
        [("digital_signature", 1, "AnaSigns", box(72, 120))],
        share=False,
    )
    # A second field whose signature asks for a code of its own.
    field = await api.post(
        f"/v4/packages/{prepared.package_id}/documents/{prepared.document_id}"
        "/fields/electronic_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "AnaCode",
            "dimensions": box(300, 120),
            "authentication": {"enabled": True},
        },
        headers=prepared.owner,
    )
    assert field.status_code == 200, field.text
    await protect(api, prepared, email_otp={"enabled": True})
    await share(api, prepared)

    page = await new_page(browser, DESKTOP, locale="en-US")
    await page.goto(prepared.links["ana"])
    await expect(page).to_have_url(live_server.url + "/web/identity")
    await expect(page.locator("h1")).to_have_text("Confirm it is you")
    await expect(page.locator("#tries")).to_contain_text("Tries left: 3 of 3")
    await shot(page, artifacts, "identity-01-code")
    await check_axe(page, axe_source, "identity page (code)")

    await page.get_by_role("button", name="Send me the code").click()
    await expect(page.locator("#flash")).to_have_text(
        "We sent the code. It is valid for 5 minutes."
    )
    await expect(page.get_by_role("button", name="Send the code again")).to_be_visible()
    code = await newest_code(live_server, prepared.package_id)

    await page.get_by_label("6-digit code").fill(wrong(code))
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("#flash")).to_have_text("That is not right. Check it and try again.")
    await expect(page.locator("#tries")).to_contain_text("Tries left: 2 of 3")
    await shot(page, artifacts, "identity-02-wrong-code")
    await check_axe(page, axe_source, "identity page after a wrong code")

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
    signing_code = await newest_code(live_server, prepared.package_id)
    await page.get_by_label("Type").check()
    await page.get_by_label("6-digit code").fill(signing_code)
    await shot(page, artifacts, "identity-03-signing-code")
    await check_axe(page, axe_source, "sign dialog with a signing code")
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_have_text("The field “AnaCode” is signed.")
    await page.locator("#finish").click()
    await expect(page).to_have_url(live_server.url + "/web/done")
    await page.context.close()

    assert await workflow(api, prepared) == ("COMPLETED", ["SIGNED"])
    actions = await history(api, prepared)
    assert actions.count("IDENTITY_CHECK_FAILED") == 1
    assert actions.count("OTP_SENT") == 2 and actions.count("DOCUMENT_SIGNED") == 2


async def test_a_password_on_a_phone_and_the_block_after_three_wrong_tries(
    browser: Browser,
    live_server: LiveServer,
    api: httpx.AsyncClient,
    web_tenant: Tenant,
    axe_source: str,
    artifacts: Path,
) -> None:
    prepared = await prepare(
        api,
        live_server,
        web_tenant,
        [("ana", "SIGNER"), ("ben", "SIGNER")],
        [
            ("digital_signature", 1, "AnaSigns", box(72, 120)),
            ("digital_signature", 2, "BenSigns", box(72, 300)),
        ],
        share=False,
    )
    await protect(api, prepared, password={"enabled": True, "user_password": "open-sesame"})
    await share(api, prepared)

    page = await new_page(
        browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="es-ES"
    )
    await page.goto(prepared.links["ana"])
    await expect(page.locator("h1")).to_have_text("Confirme que es usted")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    password = page.get_by_label("Contraseña")
    size = await password.bounding_box()
    assert size and size["height"] >= 44
    await shot(page, artifacts, "phone-identity-01-password")
    await check_axe(page, axe_source, "identity page (password) on a phone")

    await password.fill("open-says-me")
    await page.get_by_role("button", name="Continuar").tap()
    await expect(page.locator("#flash")).to_have_text(
        "No es correcto. Revíselo e inténtelo de nuevo."
    )
    await expect(page.locator("#tries")).to_contain_text("Intentos restantes: 2 de 3")
    await shot(page, artifacts, "phone-identity-02-wrong")
    # The language can be switched on the identity page too.
    await page.get_by_role("link", name="English").tap()
    await expect(page.locator("#tries")).to_contain_text("Tries left: 2 of 3")
    await page.get_by_label("Password").fill("open-sesame")
    await page.get_by_role("button", name="Continue").tap()
    await expect(page).to_have_url(live_server.url + "/web/package")
    await expect(page.get_by_role("button", name="Sign here “AnaSigns”, page 1")).to_be_visible()
    await page.context.close()

    await page.context.close()
    assert await workflow(api, prepared) == ("SHARED", ["IN_PROGRESS", "UN_PROCESSED"])


async def test_three_wrong_passwords_show_the_blocked_page(
    browser: Browser,
    live_server: LiveServer,
    api: httpx.AsyncClient,
    web_tenant: Tenant,
    axe_source: str,
    artifacts: Path,
) -> None:
    prepared = await prepare(
        api,
        live_server,
        web_tenant,
        [("ana", "SIGNER")],
        [("digital_signature", 1, "AnaSigns", box(72, 120))],
        share=False,
    )
    await protect(api, prepared, password={"enabled": True, "user_password": "open-sesame"})
    await share(api, prepared)
    page = await new_page(browser, DESKTOP, locale="en-GB")
    await page.goto(prepared.links["ana"])
    for left in (2, 1):
        await page.get_by_label("Password").fill("guess")
        await page.get_by_role("button", name="Continue").click()
        await expect(page.locator("#tries")).to_contain_text(f"Tries left: {left} of 3")
    await page.get_by_label("Password").fill("guess")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("h1")).to_have_text("Blocked")
    await expect(page.locator("[role=alert]")).to_contain_text("three wrong tries")
    await shot(page, artifacts, "identity-04-blocked")
    await check_axe(page, axe_source, "blocked page")
    # The link leads to the blocked page from now on.
    response = await page.goto(prepared.links["ana"])
    assert response is not None and response.status == 403
    await expect(page.locator("h1")).to_have_text("Blocked")
    await page.context.close()
    assert await workflow(api, prepared) == ("SHARED", ["BLOCKED"])
    assert "RECIPIENT_BLOCKED" in await history(api, prepared)


async def test_a_signature_request_is_signed_through_open_document_and_returns(
    browser: Browser,
    live_server: LiveServer,
    api: httpx.AsyncClient,
    web_tenant: Tenant,
    axe_source: str,
    artifacts: Path,
) -> None:
    app = application_server()  # the integrator's site, another origin
    app_origin = f"http://localhost:{app.server_port}"
    created = await api.post(
        "/JSON/signatureRequest",
        json={
            "filedata": {"content": base64.b64encode(make_pdf(2)).decode(), "state": "tosign"},
            "filename": "Offer 2026.pdf",
            "resulturl": f"{app_origin}/back?ticket=7",
        },
        headers={"x-api-key": web_tenant.api_key},
    )
    assert created.status_code == 200, created.text
    request_id, document_id = created.json()["result"], created.json()["documentId"]
    assert created.json()["url"] == f"{live_server.url}/openDocument/{request_id}"

    page = await new_page(browser, DESKTOP, locale="en-US")
    await page.goto(created.json()["url"])
    await expect(page).to_have_url(live_server.url + "/web/package")
    await expect(page.locator("h1")).to_have_text("Offer 2026.pdf")
    await expect(page.locator("#todo-text")).to_contain_text("sign in the highlighted box")
    await expect(page.locator("#finish")).to_have_count(0)
    sign = page.get_by_role("button", name="Sign here “Signature”, page 2")
    await expect(sign).to_be_visible()
    await shot(page, artifacts, "request-01-open-document")
    await check_axe(page, axe_source, "signature request page")
    await sign.click()
    await draw_signature(page)
    await shot(page, artifacts, "request-02-sign")
    await page.locator("#sign-apply").click()
    await expect(page.locator("p")).to_have_text("Back in the app")
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

    key = {"x-api-key": web_tenant.api_key}
    metadata = await api.get(f"/JSON/document/metadata/{document_id}", headers=key)
    assert metadata.json()["state"] == "signed"
    signed = await api.get(f"/JSON/document/{document_id}", headers=key)
    assert signed.status_code == 200 and b"/ByteRange" in signed.content
    # The link has nothing left to do, and says so.
    again = await api.get(f"/openDocument/{request_id}")
    assert again.status_code == 410 and "already been signed" in again.text
