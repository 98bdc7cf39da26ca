"""Messages that are true, in Chromium with a real SMTP server (aiosmtpd): the owner is
e-mailed when a recipient is blocked, and the blocked page says so; the progress page
shows who is blocked, who is next, and the signed documents once complete; a cancelled
signature request's link says it was cancelled."""

from __future__ import annotations

import base64

import httpx
from playwright.async_api import Page, expect

from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.web.conftest import Web
from tests.web.helpers import (
    ANA,
    ANA_SIGNS,
    BEN,
    BEN_SIGNS,
    TALL_PHONE,
    WIDE_DESKTOP,
    Prepared,
    delivered_mail,
    workflow,
)
from tests.web.test_identity_pages import protect, share
from tests.workflow.helpers import make_pdf

SIZES = ((WIDE_DESKTOP, "desktop"), (TALL_PHONE, "phone"))


async def page_at(web: Web, viewport: dict[str, int], locale: str = "en-GB") -> Page:
    if viewport is TALL_PHONE:
        return await web.new_page(
            viewport, is_mobile=True, has_touch=True, device_scale_factor=2, locale=locale
        )
    return await web.new_page(viewport, locale=locale)


async def progress_link(api: httpx.AsyncClient, prepared: Prepared) -> str:
    response = await api.post(
        "/v4/links/progress", json={"package_id": prepared.package_id}, headers=prepared.owner
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    return url


async def block_ana(web: Web, page: Page, prepared: Prepared) -> None:
    await page.goto(prepared.links["ana"])
    for _ in range(3):
        await page.get_by_label("Password").fill("guess")
        await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("h1")).to_have_text("Blocked")


async def test_a_block_is_mailed_to_the_owner_and_shown_as_such(
    web: Web,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    api = web.api
    prepared = await web.prepare([ANA, BEN], [ANA_SIGNS, BEN_SIGNS], share=False)
    await protect(api, prepared, password={"enabled": True, "user_password": "open-sesame"})
    await share(api, prepared)
    page = await page_at(web, WIDE_DESKTOP)
    await block_ana(web, page, prepared)
    await expect(page.locator("#blocked-next")).to_have_text(
        "The sender has been told by email. Ask them to unblock you; "
        "then open the link in your email again."
    )
    await web.shot_and_check_axe(page, "messages-01-blocked-desktop", "blocked page")
    await page.context.close()
    page = await page_at(web, TALL_PHONE)
    await page.goto(prepared.links["ana"])
    await expect(page.locator("h1")).to_have_text("Blocked")
    await web.shot_and_check_axe(page, "messages-02-blocked-phone", "blocked page (phone)")
    await page.context.close()

    received = await delivered_mail(web.live_server, smtp_server)
    owner = web.tenant.user_email
    mails = [m for m in received if m["To"].addresses[0].addr_spec == owner]
    blocked = [m for m in mails if "blocked" in str(m["Subject"])]
    assert len(blocked) == 1, [str(m["Subject"]) for m in mails]
    assert str(blocked[0]["Subject"]) == 'Ana is blocked from "Lease 2026"'
    text = blocked[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    ana = prepared.email("ana", web.tenant)
    assert f"Ana ({ana}) gave three wrong identity checks" in text
    assert "/workflow/1/unblock" in text

    # The owner's progress page: Ana blocked, and so nobody is next (Ben waits for her).
    url = await progress_link(api, prepared)
    for viewport, size in SIZES:
        page = await page_at(web, viewport)
        await page.goto(url)
        await expect(page.locator("#blocked-summary")).to_have_text(
            "Blocked after three wrong identity checks: Ana. "
            "They cannot act until you unblock them."
        )
        await expect(page.locator("#next-summary")).to_have_text("Nobody has to act now.")
        await expect(page.locator(".owner-person.is-next")).to_have_count(0)
        await expect(page.locator(".badge-blocked")).to_have_text("Blocked")
        await expect(page.locator("#downloads")).to_have_count(0)
        await web.shot_and_check_axe(page, f"messages-03-progress-blocked-{size}", "progress")
        await page.context.close()
    # Unblocked, Ana is next again.
    unblocked = await api.post(
        f"/v3/packages/{prepared.package_id}/workflow/1/unblock",
        json={"action": "reset"},
        headers=prepared.owner,
    )
    assert unblocked.status_code == 200, unblocked.text
    page = await page_at(web, WIDE_DESKTOP)
    await page.goto(url)
    await expect(page.locator("#next-summary")).to_have_text("Next to act: Ana")
    await expect(page.locator("#blocked-summary")).to_have_count(0)
    await page.context.close()


async def test_a_completed_package_offers_its_signed_documents_to_the_owner(web: Web) -> None:
    api = web.api
    prepared = await web.prepare([ANA], [ANA_SIGNS])
    page = await page_at(web, WIDE_DESKTOP)
    await page.goto(prepared.links["ana"])
    await page.get_by_role("button", name="Sign here “AnaSigns”, page 1").click()
    await page.get_by_label("Type").check()
    await page.locator("#sign-apply").click()
    await page.locator("#finish").click()
    await expect(page).to_have_url(web.live_server.url + "/web/done")
    await page.context.close()
    assert await workflow(api, prepared) == ("COMPLETED", ["SIGNED"])

    url = await progress_link(api, prepared)
    for viewport, size in SIZES:
        page = await page_at(web, viewport)
        await page.goto(url)
        link = page.get_by_role("link", name="Download lease.pdf")
        await expect(link).to_be_visible()
        await web.shot_and_check_axe(page, f"messages-04-progress-complete-{size}", "progress")
        async with page.expect_download() as waiting:
            await link.click()
        download = await waiting.value
        path = await download.path()
        assert path is not None and b"/ByteRange" in path.read_bytes()
        await page.context.close()
    # Not before completion: a shared package's document is refused.
    pending = await web.prepare([ANA], [ANA_SIGNS])
    pending_url = await progress_link(api, pending)
    refused = await api.get(
        pending_url.removeprefix(web.live_server.url) + f"/documents/{pending.document_id}/file"
    )
    assert refused.status_code == 403 and "once the package is completed" in refused.text
    # Another package's document through this link: not found.
    other = await api.get(
        url.removeprefix(web.live_server.url) + f"/documents/{pending.document_id}/file"
    )
    assert other.status_code == 404


async def test_a_cancelled_signature_request_says_so(web: Web) -> None:
    created = await web.api.post(
        "/JSON/signatureRequest",
        json={
            "filedata": {"content": base64.b64encode(make_pdf(1)).decode(), "state": "tosign"},
            "filename": "Offer 2026.pdf",
        },
        headers={"x-api-key": web.tenant.api_key},
    )
    assert created.status_code == 200, created.text
    link = created.json()["url"]
    page = await page_at(web, WIDE_DESKTOP)
    await page.goto(link)
    await page.locator("summary", has_text="Cancel").click()
    await page.locator("#cancel-confirm").click()
    await page.context.close()
    for viewport, size in SIZES:
        page = await page_at(web, viewport)
        response = await page.goto(link)
        assert response is not None and response.status == 410
        await expect(page.locator("h1")).to_have_text("Signing cancelled")
        await expect(page.locator("#request-state")).to_have_text(
            "Signing this document was cancelled. There is nothing left to do."
        )
        assert "Something went wrong" not in await page.content()
        await web.shot_and_check_axe(page, f"messages-05-request-cancelled-{size}", "closed")
        await page.context.close()
