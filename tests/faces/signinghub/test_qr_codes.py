"""Adding a QR code to a draft document: drawn into the PDF, readable by a barcode reader."""

from __future__ import annotations

import io

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
