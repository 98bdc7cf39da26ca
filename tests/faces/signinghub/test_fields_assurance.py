"""level_of_assurance: a level Signflow cannot provide is refused at the field and at the
signing call (400 in SigningHub's error shape); the levels it provides are recorded."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Field
from tests.factories import Tenant
from tests.workflow.helpers import People, add_users, new_package, share


def box(y: float = 72) -> dict[str, float]:
    return {"x": 72, "y": y, "width": 150, "height": 50}


async def test_levels_are_checked_recorded_and_enforced_at_signing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    fields = f"/v3/packages/{package_id}/documents/{document_id}/fields"

    for level in (
        ["QUALIFIED_ELECTRONIC_SIGNATURE"],
        "QUALIFIED_ELECTRONIC_SEAL",
        ["ADVANCED_ELECTRONIC_SIGNATURE", "HIGH_TRUST_ADVANCED"],
    ):
        refused = await client.post(
            fields + "/digital_signature",
            json={"order": 1, "page_no": 1, "field_name": "Q", "dimensions": box()}
            | {"level_of_assurance": level},
            headers=people.owner,
        )
        assert refused.status_code == 400, refused.text
        assert set(refused.json()) == {"Message"}
        assert "cannot be provided" in refused.json()["Message"]
    unknown = await client.post(
        fields + "/digital_signature",
        json={"order": 1, "page_no": 1, "dimensions": box(), "level_of_assurance": ["GOLD"]},
        headers=people.owner,
    )
    assert unknown.status_code == 400
    assert "GOLD is unknown" in unknown.json()["Message"]

    added = await client.post(
        fields + "/digital_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "AnaSigns",
            "dimensions": box(),
            "level_of_assurance": ["advanced_electronic_signature"],
        },
        headers=people.owner,
    )
    assert added.status_code == 200, added.text
    listed = (await client.get(fields, headers=people.owner)).json()
    [field] = listed["digital_signature"]
    assert field["level_of_assurance"] == ["ADVANCED_ELECTRONIC_SIGNATURE"]
    changed = await client.put(
        fields + "/digital_signature",
        json={"field_name": "AnaSigns", "level_of_assurance": ["QUALIFIED_ELECTRONIC_SIGNATURE"]},
        headers=people.owner,
    )
    assert changed.status_code == 400
    assert "cannot be provided" in changed.json()["Message"]
    again = (await client.get(fields, headers=people.owner)).json()["digital_signature"][0]
    assert again["level_of_assurance"] == ["ADVANCED_ELECTRONIC_SIGNATURE"]

    # A field an older version recorded with a qualified level: the signature is refused.
    async with transaction(context.sessions) as session:
        row = await session.scalar(select(Field).where(Field.name == "AnaSigns"))
        assert row is not None
        row.options = {**row.options, "level_of_assurance": ["QUALIFIED_ELECTRONIC_SIGNATURE"]}
    await share(people, package_id)
    sign = f"/v3/packages/{package_id}/documents/{document_id}/sign"
    refused_signature = await client.post(
        sign, json={"field_name": "AnaSigns"}, headers=people["ana"]
    )
    assert refused_signature.status_code == 400, refused_signature.text
    assert "QUALIFIED_ELECTRONIC_SIGNATURE" in refused_signature.json()["Message"]
    async with transaction(context.sessions) as session:
        row = await session.scalar(select(Field).where(Field.name == "AnaSigns"))
        assert row is not None and row.signed_at is None
        row.options = {**row.options, "level_of_assurance": ["ADVANCED_ELECTRONIC_SIGNATURE"]}
    signed = await client.post(sign, json={"field_name": "AnaSigns"}, headers=people["ana"])
    assert signed.status_code == 200, signed.text
