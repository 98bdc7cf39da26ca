"""Signing codes: an electronic-signature field with authentication asks for a code on sign."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import OneTimeCode, Recipient, User
from signflow.outbox.worker import Worker
from tests.factories import Tenant
from tests.identity.conftest import authentication, emailed_code
from tests.notify.conftest import SmtpServer
from tests.workflow.helpers import People, add_users, new_package, share


async def test_sign_needs_the_emailed_signing_code(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, smtp_server: SmtpServer
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    field = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/electronic_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "Ana",
            "dimensions": {"x": 72, "y": 100, "width": 200, "height": 60},
            "authentication": {"enabled": True},
        },
        headers=people.owner,
    )
    assert field.status_code == 200, field.text
    await share(people, package_id)
    await people.client.get(f"/v3/packages/{package_id}/open", headers=people["ana"])
    sign_path = f"/v3/packages/{package_id}/documents/{document_id}/sign"

    without = await client.post(sign_path, json={"field_name": "Ana"}, headers=people["ana"])
    assert without.status_code == 403
    assert without.json()["Error"] == "otp_required"

    sent = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/otp",
        json={"field_name": "Ana"},
        headers=people["ana"],
    )
    assert sent.status_code == 200, sent.text
    code = await emailed_code(context, smtp_server.sink)
    wrong = "000000" if code != "000000" else "111111"
    refused = await client.post(
        sign_path, json={"field_name": "Ana"}, headers=people["ana"] | {"x-otp": wrong}
    )
    assert refused.status_code == 403
    assert refused.json()["Error"] == "invalid_credentials"

    signed = await client.post(
        sign_path, json={"field_name": "Ana"}, headers=people["ana"] | {"x-otp": code}
    )
    assert signed.status_code == 200, signed.text
    again = await client.post(f"/v3/packages/{package_id}/finish", headers=people["ana"])
    assert again.status_code == 200


async def sms_destinations(context: AppContext, package_id: int) -> list[str]:
    """Where each code of the package's first recipient went, oldest first."""
    async with transaction(context.sessions) as session:
        recipient = await session.scalar(
            select(Recipient).where(Recipient.package_id == package_id, Recipient.position == 1)
        )
        assert recipient is not None
        rows = await session.scalars(
            select(OneTimeCode)
            .where(OneTimeCode.recipient_id == recipient.id)
            .order_by(OneTimeCode.id)
        )
        return [f"{row.purpose.partition(':')[0]} {row.destination}" for row in rows]


async def draft_with_sms_signing_code(
    people: People, sms_otp: dict[str, object]
) -> tuple[int, int]:
    """A draft (package id, document id) whose signer Ana, with +15550001 on her account,
    signs a field that asks for a code by SMS (`sms_otp`: the field's setting)."""
    async with transaction(people.context.sessions) as session:
        await session.execute(
            update(User).where(User.email == people.email("ana")).values(mobile_number="+15550001")
        )
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    field = await people.client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/electronic_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "Ana",
            "dimensions": {"x": 72, "y": 100, "width": 200, "height": 60},
            "authentication": {"enabled": True, "sms_otp": sms_otp},
        },
        headers=people.owner,
    )
    assert field.status_code == 200, field.text
    return package_id, document_id


async def test_the_sms_signing_code_goes_to_the_number_set_for_the_package(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    # Ana's account names another number: the package's settings win.
    package_id, document_id = await draft_with_sms_signing_code(people, {"enabled": True})
    base = f"/v3/packages/{package_id}"
    settings = authentication(sms="+573001234567")
    put = await client.put(f"{base}/workflow/1/authentication", json=settings, headers=people.owner)
    assert put.status_code == 200, put.text
    await share(people, package_id)
    ana = people["ana"]
    assert (
        await client.post(f"{base}/workflow/1/authentication/otp", headers=ana)
    ).status_code == 200
    await Worker(context).run_until_idle()
    [sms] = list(Path(context.settings.data_dir, "sms").iterdir())
    opening = sms.read_text().split("\n\n", 1)[1][:6]
    opened = await client.get(f"{base}/open", headers=ana | {"x-otp": opening})
    assert opened.status_code == 200, opened.text

    sent = await client.post(
        f"{base}/documents/{document_id}/otp", json={"field_name": "Ana"}, headers=ana
    )
    assert sent.status_code == 200, sent.text
    destinations = await sms_destinations(context, package_id)
    assert len(destinations) == 2
    assert all(d.endswith(" +573001234567") for d in destinations), destinations
    await Worker(context).run_until_idle()
    texts = [f.read_text() for f in Path(context.settings.data_dir, "sms").iterdir()]
    assert texts and all(t.startswith("To: +573001234567") for t in texts)
    assert not any("+15550001" in t for t in texts)


async def test_the_fields_own_number_serves_when_the_package_names_none(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    sms_otp = {"enabled": True, "mobile_number": "00445566778899"}
    package_id, document_id = await draft_with_sms_signing_code(people, sms_otp)
    base = f"/v3/packages/{package_id}"
    await share(people, package_id)
    ana = people["ana"]
    assert (await client.get(f"{base}/open", headers=ana)).status_code == 200
    sent = await client.post(
        f"{base}/documents/{document_id}/otp", json={"field_name": "Ana"}, headers=ana
    )
    assert sent.status_code == 200, sent.text
    assert await sms_destinations(context, package_id) == ["sign 00445566778899"]
