"""The signer pages and signature requests over HTTP, on SQLite and PostgreSQL: every
field kind on the page, the same "required" rule as the API (the count, Finish, a
signature request's Sign), bad values refused without a change."""

from __future__ import annotations

import base64
import re

import httpx
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Field, FieldKind, Recipient, SignatureRequest
from tests.factories import Tenant
from tests.web.test_web_http import _csrf, _links, _path
from tests.workflow.helpers import People, add_users, make_pdf, new_package, share, statuses


def at(x: float, y: float, w: float | None = 120, h: float | None = 20) -> dict[str, float]:
    box = {"x": x, "y": y}
    if w is not None and h is not None:
        box |= {"width": w, "height": h}
    return box


async def _form_package(client: httpx.AsyncClient, context: AppContext, tenant: Tenant) -> tuple:
    people = await People(client, context, tenant).start()  # the recipient has no account
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    base = f"/v4/packages/{package_id}/documents/{document_id}/fields"
    fields = [
        ("digital_signature", {"field_name": "AnaSigns", "dimensions": at(72, 80, 200, 60)}),
        ("text", {"field_name": "Phone", "dimensions": at(72, 600)}),
        (
            "text",
            {
                "field_name": "Start",
                "type": "DATE",
                "format": "dd/mm/yyyy",
                "default_to_signing_date": False,
                "dimensions": at(72, 570),
            },
        ),
        ("text", {"field_name": "Name1", "type": "NAME", "dimensions": at(250, 600)}),
        ("checkbox", {"field_name": "Agree", "dimensions": at(72, 500, None, None)}),
        (
            "radio",
            {
                "field_name": "Monthly",
                "radio_group_name": "Pay",
                "dimensions": at(72, 470, None, None),
            },
        ),
        (
            "radio",
            {
                "field_name": "Yearly",
                "radio_group_name": "Pay",
                "dimensions": at(112, 470, None, None),
            },
        ),
        (
            "dropdown",
            {"field_name": "Plan", "choices": ["Basic", "Plus"], "dimensions": at(72, 440)},
        ),
    ]
    for kind, body in fields:
        response = await client.post(
            f"{base}/{kind}", json={"order": 1, "page_no": 1, **body}, headers=people.owner
        )
        assert response.status_code == 200, response.text
    await share(people, package_id)
    return people, package_id, document_id


def typed_signature(
    csrf: str, document_id: int, field_name: str, typed_name: str
) -> dict[str, str]:
    """The form of Sign with a typed name, as the signer page posts it."""
    return {
        "csrf": csrf,
        "document_id": str(document_id),
        "field_name": field_name,
        "typed_name": typed_name,
    }


def _todo(html: str) -> str:
    found = re.search(r'<p id="todo-text">([^<]*)</p>', html)
    assert found is not None
    return found.group(1)


async def _stored(context: AppContext, document_id: int) -> dict[str, str | None]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(select(Field).where(Field.document_id == document_id))
        return {f.name: f.value for f in rows}


async def test_the_page_fills_every_kind_and_finishes_only_when_complete(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id, document_id = await _form_package(client, context, tenant)
    links = await _links(context, package_id)
    await client.get(_path(links["ana"]))
    html = (await client.get("/web/package")).text
    # The count is the finishing rule: the signature, Phone, Start, Agree, Pay, Plan.
    assert _todo(html) == "Complete the highlighted fields: 6 of 6 left."
    assert 'type="date"' in html and "<select" in html and 'type="radio"' in html
    assert f'name="{document_id}:group:Pay" value="Yearly"' in html
    assert '<output id="' in html and ">Ana</output>" in html  # her name, not an input
    assert "Name1" not in re.findall(r'name="[^"]*"', html).__str__()
    # Finish is there, disabled, saying what is missing (the same rule as finishing).
    assert re.search(r'id="finish" aria-describedby="guide-hint" disabled', html)
    assert "Still to do before Finish: AnaSigns, Phone, Start, Agree, Pay, Plan" in html
    csrf = _csrf(html, "/web/package/fill")

    # Finish anyway (an old page): refused, naming what is missing.
    refused = await client.post("/web/package/finish", data={"csrf": csrf})
    assert refused.headers["location"] == "/web/package"
    page = (await client.get("/web/package")).text
    assert "Complete these fields first: AnaSigns, Phone, Start, Agree, Pay, Plan." in page
    assert await statuses(people, package_id) == ("SHARED", ["IN_PROGRESS"])

    # A bad value changes nothing, and the page says why.
    before = await _stored(context, document_id)
    bad = {
        "csrf": csrf,
        f"{document_id}:Phone": "600",
        f"{document_id}:Start": "2026-02-30",
        f"{document_id}:Plan": "Gold",
    }
    await client.post("/web/package/fill", data=bad)
    page = (await client.get("/web/package")).text
    assert "That was refused" in page and "real date" in page
    assert await _stored(context, document_id) == before

    good = {
        "csrf": csrf,
        f"{document_id}:Phone": "600",
        f"{document_id}:Start": "2026-04-01",
        f"{document_id}:Agree": "true",
        f"{document_id}:group:Pay": "Yearly",
        f"{document_id}:Plan": "Plus",
    }
    saved = await client.post("/web/package/fill", data=good)
    assert saved.headers["location"] == "/web/package"
    stored = await _stored(context, document_id)
    assert (stored["Phone"], stored["Start"], stored["Agree"]) == ("600", "2026-04-01", "true")
    assert (stored["Monthly"], stored["Yearly"], stored["Plan"]) == ("false", "true", "Plus")
    assert stored["Name1"] is None  # her identity fills it at the signature
    html = (await client.get("/web/package")).text
    assert _todo(html) == "Complete the highlighted fields: 1 of 6 left."
    signed = await client.post(
        "/web/package/sign", data=typed_signature(csrf, document_id, "AnaSigns", "Someone Else")
    )
    assert signed.headers["location"] == "/web/package"
    html = (await client.get("/web/package")).text
    assert "All your fields are complete" in html and 'id="finish"' in html
    finished = await client.post("/web/package/finish", data={"csrf": csrf})
    assert finished.headers["location"] == "/web/done"
    assert await statuses(people, package_id) == ("COMPLETED", ["SIGNED"])


async def test_a_signature_request_is_not_signed_with_a_required_field_empty(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    created = await client.post(
        "/JSON/signatureRequest",
        json={
            "filedata": {"content": base64.b64encode(make_pdf()).decode(), "state": "tosign"},
            "filename": "contract.pdf",
        },
        headers={"x-api-key": tenant.api_key},
    )
    assert created.status_code == 200, created.text
    request_id, document_id = created.json()["result"], created.json()["documentId"]
    # The request's signer has a required field (as a template would give them).
    async with transaction(context.sessions) as session:
        request = await session.get_one(SignatureRequest, request_id)
        session.add(
            Field(
                document_id=document_id,
                recipient_id=request.recipient_id,
                kind=FieldKind.TEXT.value,
                name="Iban",
                page_no=1,
                x=72.0,
                y=600.0,
                width=200.0,
                height=20.0,
                required=True,
                options={},
            )
        )
    await client.get(f"/openDocument/{request_id}")
    html = (await client.get("/web/package")).text
    csrf = _csrf(html, "/web/request/sign")
    sign = typed_signature(csrf, document_id, "Signature", "Ana")
    # The signer gives their name first: without it, nothing is signed.
    nameless = await client.post("/web/request/sign", data=sign)
    assert nameless.headers["location"] == "/web/package"
    assert "Write your full name before you sign." in (await client.get("/web/package")).text
    sign["signer_name"] = "  Ana   Pérez "
    refused = await client.post("/web/request/sign", data=sign)
    assert refused.headers["location"] == "/web/package"
    assert "Complete these fields first: Iban." in (await client.get("/web/package")).text
    async with transaction(context.sessions) as session:
        request = await session.get_one(SignatureRequest, request_id)
        signature = await session.scalar(
            select(Field).where(Field.document_id == document_id, Field.name == "Signature")
        )
        assert request.state == "tosign" and signature is not None
        assert signature.signed_at is None

    filled = await client.post(
        "/web/package/fill", data={"csrf": csrf, f"{document_id}:Iban": "ES00 1234"}
    )
    assert filled.headers["location"] == "/web/package"
    signed = await client.post("/web/request/sign", data=sign)
    assert signed.status_code == 303 and signed.headers["location"] == "/web/done"
    async with transaction(context.sessions) as session:
        request = await session.get_one(SignatureRequest, request_id)
        signer = await session.get_one(Recipient, request.recipient_id)
    assert request.state == "signed"
    assert signer.name == "Ana Pérez"  # no longer the placeholder "Signer"
