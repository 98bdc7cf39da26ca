"""Signing codes: an electronic-signature field with authentication asks for a code on sign."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.identity.conftest import emailed_code
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
