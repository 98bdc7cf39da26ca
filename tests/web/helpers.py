"""Preparing packages for the browser tests, and what every page check shares."""

from __future__ import annotations

import email
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from playwright.async_api import Browser, Frame, Page
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.identity.codes import DELIVERY_PURPOSE
from signflow.models import OneTimeCode, Recipient
from signflow.outbox.worker import Worker
from signflow.packages.links import recipient_link
from signflow.sealing import unseal
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.workflow.helpers import make_pdf

if TYPE_CHECKING:  # conftest builds its fixtures from these helpers
    from tests.notify.conftest import SmtpServer
    from tests.web.conftest import LiveServer

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
# The sizes issue 17 is judged at.
WIDE_DESKTOP = {"width": 1366, "height": 900}
TALL_PHONE = {"width": 390, "height": 844}

Person = tuple[str, str]  # (name, role)
Field = tuple[str, int, str, dict[str, float]]  # (kind, order, field_name, dimensions)


@dataclass
class Prepared:
    package_id: int
    document_id: int
    owner: dict[str, str]
    links: dict[str, str]  # recipient name -> the link in their email

    def email(self, name: str, tenant: Tenant) -> str:
        return f"{name}@{tenant.name.lower()}.test"


def box(x: float, y: float, width: float = 180, height: float = 60) -> dict[str, float]:
    return {"x": x, "y": y, "width": width, "height": height}


def at(x: float, y: float, w: float | None = 150, h: float | None = 22) -> dict[str, float]:
    """A field's dimensions for /v4 (a checkbox or radio button leaves its size out)."""
    found = {"x": x, "y": y}
    if w is not None and h is not None:
        found |= {"width": w, "height": h}
    return found


# The recipients and fields most packages of these tests are made of.
ANA: Person = ("ana", "SIGNER")
BEN: Person = ("ben", "SIGNER")
ANA_SIGNS: Field = ("digital_signature", 1, "AnaSigns", box(72, 120))
BEN_SIGNS: Field = ("digital_signature", 2, "BenSigns", box(72, 300))


async def prepare(
    api: httpx.AsyncClient,
    live: LiveServer,
    tenant: Tenant,
    people: Sequence[Person],
    fields: Sequence[Field],
    *,
    name: str = "Lease 2026",
    share: bool = True,
) -> Prepared:
    """people: (name, role), added in this order, without user accounts;
    fields: (kind, order, field_name, dimensions), on page 1."""
    owner = await bearer(api, tenant, tenant.user_email)
    package_id = await create_package(api, owner, name)
    pdf = make_pdf(2, ["Lease agreement between the parties.", "Second page."])
    document_id = await upload_document(api, owner, package_id, pdf, "lease.pdf")
    users = [
        {
            "user_email": f"{person}@{tenant.name.lower()}.test",
            "user_name": person.title(),
            "role": role,
            "email_notification": True,
        }
        for person, role in people
    ]
    response = await api.post(
        f"/v3/packages/{package_id}/workflow/users", json=users, headers=owner
    )
    assert response.status_code == 200, response.text
    for field in fields:
        await add_field(api, owner, package_id, document_id, field)
    if share:
        response = await api.post(f"/v3/packages/{package_id}/workflow", headers=owner)
        assert response.status_code == 200, response.text
    links = await recipient_links(live, package_id)
    return Prepared(package_id, document_id, owner, links)


async def add_field(
    api: httpx.AsyncClient,
    owner: dict[str, str],
    package_id: int,
    document_id: int,
    field: Field,
    *,
    authentication: bool = False,
    version: str = "v4",
) -> None:
    """A field on page 1; with authentication, its signature asks for a signing code."""
    kind, order, field_name, dimensions = field
    body: dict[str, object] = {
        "order": order,
        "page_no": 1,
        "field_name": field_name,
        "dimensions": dimensions,
    }
    if authentication:
        body["authentication"] = {"enabled": True}
    response = await api.post(
        f"/{version}/packages/{package_id}/documents/{document_id}/fields/{kind}",
        json=body,
        headers=owner,
    )
    assert response.status_code == 200, response.text


async def latest_code(context: AppContext, package_id: int, order: int = 1) -> str:
    """The newest code sent to the recipient, from its sealed row (no worker has sent it:
    the test servers run none)."""
    async with transaction(context.sessions) as session:
        recipient_id = select(Recipient.id).where(
            Recipient.package_id == package_id, Recipient.position == order
        )
        row = await session.scalar(
            select(OneTimeCode)
            .where(OneTimeCode.recipient_id.in_(recipient_id))
            .order_by(OneTimeCode.id.desc())
            .limit(1)
        )
        assert row is not None and row.pending_delivery is not None
        secret = context.settings.effective_secret_key
        return unseal(row.pending_delivery, secret, DELIVERY_PURPOSE).decode()


async def recipient_links(live: LiveServer, package_id: int) -> dict[str, str]:
    async with transaction(live.context.sessions) as session:
        rows = await session.scalars(
            select(Recipient).where(Recipient.package_id == package_id).order_by(Recipient.position)
        )
        return {r.email.partition("@")[0]: recipient_link(live.settings, r) for r in rows}


async def share_with_fields(
    api: httpx.AsyncClient,
    live: LiveServer,
    prepared: Prepared,
    fields: Sequence[tuple[str, dict[str, Any]]],
) -> dict[str, str]:
    """Add the fields (the first recipient's, on page 1) through /v4, share the package;
    the recipients' links."""
    base = f"/v4/packages/{prepared.package_id}/documents/{prepared.document_id}/fields"
    for kind, body in fields:
        response = await api.post(
            f"{base}/{kind}", json={"order": 1, "page_no": 1, **body}, headers=prepared.owner
        )
        assert response.status_code == 200, response.text
    shared = await api.post(f"/v4/packages/{prepared.package_id}/workflow", headers=prepared.owner)
    assert shared.status_code == 200, shared.text
    return await recipient_links(live, prepared.package_id)


async def workflow(api: httpx.AsyncClient, prepared: Prepared) -> tuple[str, list[str]]:
    response = await api.get(f"/v3/packages/{prepared.package_id}/workflow", headers=prepared.owner)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["workflow"]["workflow_status"], [u["process_status"] for u in body["users"]]


async def history(api: httpx.AsyncClient, prepared: Prepared) -> list[str]:
    response = await api.get(f"/v3/packages/{prepared.package_id}/log", headers=prepared.owner)
    assert response.status_code == 200, response.text
    return [entry["action_type"] for entry in response.json()["actions"]]


async def verification(api: httpx.AsyncClient, prepared: Prepared) -> list[dict[str, Any]]:
    response = await api.get(
        f"/v3/packages/{prepared.package_id}/verification", headers=prepared.owner
    )
    assert response.status_code == 200, response.text
    fields: list[dict[str, Any]] = response.json()[0]["fields"]
    return fields


async def new_page(browser: Browser, viewport: dict[str, int], **options: object) -> Page:
    """A page in a browser context of its own; close it with page.context.close()."""
    context = await browser.new_context(viewport=viewport, **options)  # type: ignore[arg-type]
    # Every page records what its Content-Security-Policy blocked (check_axe asserts none):
    # a blocked inline script or style fails no feature test by itself.
    await context.add_init_script(CSP_WATCH)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    return page


async def shot(page: Page, artifacts: Path, name: str) -> None:
    # The whole page, except with a modal dialog open: a whole-page capture stretches the
    # window, so the dialog would not be shown as the person sees it.
    modal = await page.evaluate("document.querySelector('dialog[open]') !== null")
    await page.screenshot(path=str(artifacts / f"{name}.png"), full_page=not modal)


CSP_WATCH = """
window.__cspBlocked = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspBlocked.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


async def check_axe(page: Page | Frame, axe_source: str, where: str, strict: bool = False) -> None:
    """axe-core in the page (or a frame): no serious or critical violation; strict, none
    at all. And nothing the page's Content-Security-Policy blocked so far."""
    blocked = await page.evaluate("window.__cspBlocked || []")
    assert not blocked, f"the CSP of {where} blocked: {blocked}"
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Added through the DevTools protocol: the page's CSP does not apply to it.
        await page.evaluate(axe_source)
    result = await page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    bad = [v for v in result if strict or v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {where}: " + json.dumps(bad, indent=1)


async def draw_signature(page: Page) -> None:
    """A scribble on the signature pad with the mouse (pointer events)."""
    canvas = page.locator("#sign-canvas")
    area = await canvas.bounding_box()
    assert area is not None
    x0, y0, w, h = area["x"], area["y"], area["width"], area["height"]
    await page.mouse.move(x0 + w * 0.1, y0 + h * 0.6)
    await page.mouse.down()
    for step in range(1, 21):
        x = x0 + w * (0.1 + 0.04 * step)
        y = y0 + h * (0.6 - 0.3 * ((step % 4) in (1, 2)))
        await page.mouse.move(x, y, steps=2)
    await page.mouse.up()


async def delivered_mail(live: LiveServer, smtp: SmtpServer) -> list[EmailMessage]:
    """Run the outbox with a mailer pointed at the SMTP server (aiosmtpd); everything that
    server received so far."""
    settings = live.settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp.port}"})
    context = AppContext.create(settings)
    try:
        await Worker(context).run_until_idle()
    finally:
        await context.close()
    return [
        email.message_from_bytes(m.data, policy=default)  # type: ignore[misc]
        for m in smtp.sink.messages
    ]


async def mailed_code(live: LiveServer, smtp: SmtpServer, to: str) -> str:
    """The newest verification code e-mailed to `to`, as the outbox sent it over SMTP."""
    received = await delivered_mail(live, smtp)
    codes = [
        m
        for m in received
        if m["To"].addresses[0].addr_spec == to and "verification code" in str(m["Subject"])
    ]
    assert codes, [str(m["Subject"]) for m in received]
    body = codes[-1].get_body(("plain",))
    assert body is not None
    found = re.search(r"\b(\d{6})\b", body.get_content())
    assert found, "no code in the e-mail"
    return found.group(1)
