"""Fields: place, list per page, change, assign, delete, autoplace, fill; locked once shared."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.identity.methods import signing_code_channel
from signflow.models import Field
from tests.factories import Tenant
from tests.workflow.helpers import People, add_users, history_actions, new_package, share

LOCKED = {"Message": "You are not allowed to perform this action on locked workflow"}


def dims(x: float = 72, y: float = 72, w: float = 150, h: float = 50) -> dict[str, float]:
    return {"x": x, "y": y, "width": w, "height": h}


async def test_field_preparation(client: httpx.AsyncClient, context: AppContext, tenant: Tenant):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, (document_id,) = await new_package(people, texts=["Sign here:", "Tenant sign here"])
    base = f"/v3/packages/{package_id}/documents/{document_id}/fields"
    no_user = await client.post(
        base + "/text", json={"order": 1, "page_no": 1, "dimensions": dims()}, headers=people.owner
    )
    assert (no_user.status_code, no_user.json()) == (
        404,
        {"Message": "No user found at given order"},
    )
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "REVIEWER")])

    added = await client.post(
        base + "/digital_signature",
        json={"order": 1, "page_no": 1, "field_name": "Sig", "dimensions": dims()},
        headers=people.owner,
    )
    assert added.status_code == 200, added.text
    assert added.json() == {"field_name": "Sig"}
    text = await client.post(
        base + "/text",
        json={"order": 2, "page_no": 2, "dimensions": dims(y=300), "value": "draft"},
        headers=people.owner,
    )
    assert text.json() == {"field_name": "Text1"}
    for kind in ("checkbox", "radio", "initials"):
        response = await client.post(
            base + f"/{kind}",
            json={"order": 1, "page_no": 2, "dimensions": dims(x=300, w=20, h=20)},
            headers=people.owner,
        )
        assert response.status_code == 200, response.text
    off_page = await client.post(
        base + "/text",
        json={"order": 1, "page_no": 1, "dimensions": dims(x=500)},
        headers=people.owner,
    )
    assert off_page.status_code == 400
    bad_page = await client.post(
        base + "/text", json={"order": 1, "page_no": 3, "dimensions": dims()}, headers=people.owner
    )
    assert bad_page.status_code == 400
    # A reviewer cannot hold a signature field.
    wrong_role = await client.post(
        base + "/digital_signature",
        json={"order": 2, "page_no": 1, "dimensions": dims()},
        headers=people.owner,
    )
    assert wrong_role.status_code == 400
    duplicate = await client.post(
        base + "/text",
        json={"order": 1, "page_no": 1, "field_name": "Sig", "dimensions": dims()},
        headers=people.owner,
    )
    assert duplicate.status_code == 409

    renamed = await client.put(
        base + "/text",
        json={"field_name": "Text1", "renamed_as": "Rent", "dimensions": dims(y=400)},
        headers=people.owner,
    )
    assert renamed.json() == {"field_name": "Rent"}
    assigned = await client.put(
        base + "/assign", json=[{"field_name": "Rent", "order": 1}], headers=people.owner
    )
    assert assigned.status_code == 200
    filled = await client.put(
        base,
        json={
            "text": [{"field_name": "Rent", "value": "1200"}],
            "checkbox": [{"field_name": "Checkbox1", "value": "TRUE"}],
        },
        headers=people.owner,
    )
    assert filled.status_code == 200, filled.text

    listing = (await client.get(base, headers=people.owner)).json()
    assert [f["field_name"] for f in listing["digital_signature"]] == ["Sig"]
    assert listing["text"][0] == {
        "order": 1,
        "field_name": "Rent",
        "page_no": 2,
        "display": None,
        "dimensions": dims(y=400),
        "value": "1200",
        "required": True,
        "signed": False,
        "type": "TEXT",
        "format": None,
        "placeholder": None,
        "max_length": None,
        "multiline": False,
    }
    assert listing["checkbox"][0]["value"] == "true"
    page_one = (await client.get(base + "/1", headers=people.owner)).json()
    assert sum(len(v) for v in page_one.values()) == 1

    deleted = await client.request(
        "DELETE", base, json={"field_name": "Radio1"}, headers=people.owner
    )
    assert deleted.status_code == 200
    assert (await client.get(base, headers=people.owner)).json()["radio"] == []

    placed = await client.post(
        base + "/autoplace",
        json={
            "search_text": "sign here",
            "order": 1,
            "field_type": "digital_signature",
            "placement": "RIGHT",
            "dimensions": {"width": 100, "height": 30},
        },
        headers=people.owner,
    )
    assert placed.status_code == 200, placed.text
    hits = placed.json()
    assert [h["page_no"] for h in hits] == [1, 2]
    assert all(h["dimensions"]["x"] > 72 and abs(h["dimensions"]["y"] - 695) < 15 for h in hits)
    assert "FIELD_ADDED" in await history_actions(context, package_id)

    # Once shared, preparation is locked.
    await share(people, package_id)
    locked = await client.post(
        base + "/text", json={"order": 1, "page_no": 1, "dimensions": dims()}, headers=people.owner
    )
    assert (locked.status_code, locked.json()) == (403, LOCKED)
    locked = await client.request("DELETE", base, json={"field_name": "Sig"}, headers=people.owner)
    assert locked.status_code == 403
    # The signer whose turn it is fills her own form fields.
    mine = await client.put(
        base, json={"text": [{"field_name": "Rent", "value": "1300"}]}, headers=people["ana"]
    )
    assert mine.status_code == 200, mine.text


async def test_lenient_bodies_as_signinghub_takes_them(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    base = f"/v3/packages/{package_id}/documents/{document_id}/fields"
    # Checkbox and radio without a size: SigningHub's default square.
    for kind in ("checkbox", "radio"):
        response = await client.post(
            base + f"/{kind}",
            json={"order": 1, "page_no": 1, "dimensions": {"x": 300, "y": 300}},
            headers=people.owner,
        )
        assert response.status_code == 200, response.text
    # The guide's own example of an electronic signature field with an SMS code.
    example = {
        "order": 1,
        "page_no": 1,
        "field_name": "E-Sign field",
        "display": "VISIBLE",
        "dimensions": {"x": 200, "y": 200, "width": 100, "height": 100},
        "authentication": {
            "enabled": True,
            "sms_otp": {"enabled": True, "mobile_number": "00445566778899"},
        },
    }
    response = await client.post(base + "/electronic_signature", json=example, headers=people.owner)
    assert response.status_code == 200, response.text
    assert response.json() == {"field_name": "E-Sign field"}
    # An update with only the changed dimension keeps the rest.
    resized = await client.put(
        base + "/electronic_signature",
        json={"field_name": "E-Sign field", "dimensions": {"width": 160}},
        headers=people.owner,
    )
    assert resized.status_code == 200, resized.text
    moved = await client.put(
        base + "/checkbox",
        json={"field_name": "Checkbox1", "dimensions": {"y": 350, "height": 14}},
        headers=people.owner,
    )
    assert moved.status_code == 200, moved.text
    listing = (await client.get(base, headers=people.owner)).json()
    [sign] = listing["electronic_signature"]
    assert sign["dimensions"] == {"x": 200, "y": 200, "width": 160, "height": 100}
    [box] = listing["checkbox"]
    assert box["dimensions"] == {"x": 300, "y": 350, "width": 14, "height": 14}
    [radio] = listing["radio"]
    assert radio["dimensions"]["width"] == radio["dimensions"]["height"] > 0
    # Still refused: a text field needs its size, and a width must be positive.
    no_size = await client.post(
        base + "/text",
        json={"order": 1, "page_no": 1, "dimensions": {"x": 10, "y": 10}},
        headers=people.owner,
    )
    assert no_size.status_code == 400
    negative = await client.put(
        base + "/electronic_signature",
        json={"field_name": "E-Sign field", "dimensions": {"width": -5}},
        headers=people.owner,
    )
    assert negative.status_code == 400
    # The field asks for a signing code by SMS, as the example meant.
    async with transaction(context.sessions) as session:
        stored = await session.scalar(select(Field).where(Field.name == "E-Sign field"))
    assert stored is not None
    assert stored.options["authentication"] == {
        "enabled": True,
        "sms": True,
        "mobile_number": "00445566778899",
    }
    assert signing_code_channel(stored) == "sms"
    assert "FIELD_UPDATED" in await history_actions(context, package_id)


AUTOPLACE_TYPES = [
    ("NAME", "text", "NAME"),
    ("EMAIL", "text", "EMAIL"),
    ("DATE", "text", "DATE"),
    ("COMPANY", "text", "COMPANY"),
    ("JOBTITLE", "text", "JOBTITLE"),
    ("TEXT", "text", "TEXT"),
    ("RadioBox", "radio", None),
    ("CheckBox", "checkbox", None),
    ("INITIALS", "initials", None),
    ("ELECTRONIC_SIGNATURE", "electronic_signature", None),
    ("DIGITAL_SIGNATURE", "digital_signature", None),
    ("IN_PERSON_SIGNATURE", "in_person_signature", None),
]


async def test_autoplace_takes_every_field_type_the_guide_lists(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people, texts=["Sign here:"])
    await add_users(people, package_id, [("ana", "SIGNER")])
    base = f"/v4/packages/{package_id}/documents/{document_id}/fields"
    for index, (field_type, _group, _text_type) in enumerate(AUTOPLACE_TYPES):
        placed = await client.post(
            base + "/autoplace",
            json={
                "search_text": "Sign here",
                "order": 1,
                "field_type": field_type,
                "placement": "BOTTOM",
                # Each below the last, so that none overlaps another.
                "dimensions": {"width": 60, "height": 12 + index},
            },
            headers=people.owner,
        )
        assert placed.status_code == 200, (field_type, placed.text)
        assert len(placed.json()) == 1
    listing = (await client.get(base, headers=people.owner)).json()
    for _field_type, group, text_type in AUTOPLACE_TYPES:
        found = listing[group]
        if text_type is not None:
            found = [f for f in found if f["type"] == text_type]
        assert len(found) == 1, (group, text_type, listing[group])
        assert found[0]["order"] == 1
    unknown = await client.post(
        base + "/autoplace",
        json={"search_text": "Sign here", "order": 1, "field_type": "HOLOGRAM"},
        headers=people.owner,
    )
    assert unknown.status_code == 404
