"""Adding a QR code to a draft document: drawn into the PDF, readable by a barcode reader."""

from __future__ import annotations

import io
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from signflow.context import AppContext
from signflow.pdf.render import render_page_png
from tests.factories import Tenant, bearer
from tests.workflow.helpers import People, add_users, history_actions, new_package, share


def codes_on(pdf: bytes, page_index: int) -> list[str]:
    page = Image.open(io.BytesIO(render_page_png(pdf, page_index, 150)))
    return [result.text for result in zxingcpp.read_barcodes(page)]


async def test_a_qr_code_is_drawn_where_asked_and_reads_back(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    url = f"/v4/packages/{package_id}/documents/{document_id}/fields/qrcode"
    box = {"x": 400, "y": 620, "width": 140, "height": 140}

    added = await client.post(
        url,
        json={
            "page_no": 2,
            "field_name": "VerifyMe",
            "data": "https://verify.example/42",
            "dimensions": box,
        },
        headers=people.owner,
    )
    assert (added.status_code, added.json()) == (200, {"field_name": "VerifyMe"})
    default = await client.post(url, json={"page_no": 1, "dimensions": box}, headers=people.owner)
    assert default.status_code == 200, default.text
    assert default.json()["field_name"].startswith("QR_CODE_")

    pdf = (
        await client.get(f"/v4/packages/{package_id}/documents/{document_id}", headers=people.owner)
    ).content
    assert codes_on(pdf, 1) == ["https://verify.example/42"]
    [address] = codes_on(pdf, 0)
    assert address.endswith(f"/v4/packages/{package_id}/documents/{document_id}")
    assert (await history_actions(context, package_id)).count("QR_CODE_ADDED") == 2

    bad = {
        "off the page": {"page_no": 1, "dimensions": {**box, "x": 580}},
        "no such page": {"page_no": 9, "dimensions": box},
        "no dimensions": {"page_no": 1},
        "blank data": {"page_no": 1, "data": "   ", "dimensions": box},
        "too much data": {"page_no": 1, "data": "x" * 1001, "dimensions": box},
    }
    for case, body in bad.items():
        response = await client.post(url, json=body, headers=people.owner)
        assert response.status_code == 400, (case, response.text)
        assert "Message" in response.json()
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    hidden = await client.post(url, json={"page_no": 1, "dimensions": box}, headers=stranger)
    assert hidden.status_code == 404

    await add_users(people, package_id, [("ana", "SIGNER")])
    await share(people, package_id)
    late = await client.post(url, json={"page_no": 1, "dimensions": box}, headers=people.owner)
    assert (late.status_code, late.json()) == (
        403,
        {"Message": "Document is no longer in draft state"},
    )


async def test_the_newest_qr_code_can_be_moved_and_given_other_data(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    url = f"/v4/packages/{package_id}/documents/{document_id}/fields/qrcode"
    box = {"x": 60, "y": 60, "width": 140, "height": 140}
    added = await client.post(
        url,
        json={"page_no": 1, "field_name": "Q", "data": "https://a.example/1", "dimensions": box},
        headers=people.owner,
    )
    assert added.status_code == 200, added.text

    def pdf_of() -> Any:
        return client.get(
            f"/v4/packages/{package_id}/documents/{document_id}", headers=people.owner
        )

    moved = await client.put(
        url,
        json={"field_name": "Q", "page_no": 2, "dimensions": {"x": 400, "y": 620}},
        headers=people.owner,
    )
    assert (moved.status_code, moved.json()) == (200, {"field_name": "Q"})
    pdf = (await pdf_of()).content
    # Drawn again on the version before it: the old place is empty.
    assert (codes_on(pdf, 0), codes_on(pdf, 1)) == ([], ["https://a.example/1"])
    renamed = await client.put(
        url,
        json={"field_name": "Q", "renamed_as": "R", "data": "https://a.example/2"},
        headers=people.owner,
    )
    assert (renamed.status_code, renamed.json()) == (200, {"field_name": "R"})
    assert codes_on((await pdf_of()).content, 1) == ["https://a.example/2"]
    assert (await history_actions(context, package_id)).count("QR_CODE_UPDATED") == 2

    bad = {
        "off the page": ({"field_name": "R", "dimensions": {"x": 580}}, 400),
        "no such page": ({"field_name": "R", "page_no": 9}, 400),
        "zero width": ({"field_name": "R", "dimensions": {"width": 0}}, 400),
        "unknown code": ({"field_name": "Nope"}, 404),
        "renamed away": ({"field_name": "Q"}, 404),
        "no name": ({"data": "x"}, 400),
    }
    for case, (body, status) in bad.items():
        response = await client.put(url, json=body, headers=people.owner)
        assert response.status_code == status, (case, response.text)
        assert "Message" in response.json()
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    hidden = await client.put(url, json={"field_name": "R"}, headers=stranger)
    assert hidden.status_code == 404
    wrong_document = await client.put(
        f"/v4/packages/{package_id}/documents/999999/fields/qrcode",
        json={"field_name": "R"},
        headers=people.owner,
    )
    assert wrong_document.status_code == 404

    # Once another code is drawn after it, the first one stays where it is.
    later = await client.post(url, json={"page_no": 1, "dimensions": box}, headers=people.owner)
    assert later.status_code == 200
    stuck = await client.put(url, json={"field_name": "R", "page_no": 1}, headers=people.owner)
    assert stuck.status_code == 409, stuck.text
    assert codes_on((await pdf_of()).content, 1) == ["https://a.example/2"]

    await add_users(people, package_id, [("ana", "SIGNER")])
    await share(people, package_id)
    newest = later.json()["field_name"]
    late = await client.put(url, json={"field_name": newest, "page_no": 2}, headers=people.owner)
    assert (late.status_code, late.json()) == (
        403,
        {"Message": "Document is no longer in draft state"},
    )
