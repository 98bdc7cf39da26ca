"""GET workflow: the guide's richer reply (folder, next signer, post-processing,
per-document metadata), as the erwinmintiens client's Package class reads it."""

from __future__ import annotations

import httpx
from cryptography import x509

from signflow.context import AppContext
from tests.factories import Tenant, bearer
from tests.workflow.helpers import People, act, add_users, new_package, share


async def test_workflow_details_carry_what_clients_read(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("rita", "sam")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("rita", "REVIEWER"), ("sam", "SIGNER")])
    path = f"/v4/packages/{package_id}/workflow"
    draft = (await client.get(path, headers=people.owner)).json()
    assert draft["folder"] == "INBOX"
    assert (draft["next_signer"], draft["next_signer_email"]) == (None, [])
    assert draft["workflow"]["post_process"]["enabled"] is False
    [document] = draft["documents"]
    assert document["document_id"] == document_id
    assert document["document_type"] == "PDF"
    assert document["document_pages"] == 2
    assert document["document_width"] > 0 and document["document_height"] > 0
    assert document["form_fields"] is False
    assert document["certify"]["enabled"] is False
    assert document["certify"]["default_permission"] == "NO_CHANGES_ALLOWED"
    assert document["locked"] is False
    for user in draft["users"]:
        assert user["group_name"] is None and user["group_members"] is None

    await share(people, package_id)
    shared = (await client.get(path, headers=people.owner)).json()
    assert shared["next_signer"] == "Rita"
    assert shared["next_signer_email"] == [
        {"user_email": people.email("rita"), "user_name": "Rita"}
    ]
    assert shared["documents"][0]["locked"] is True
    as_rita = (await client.get(path, headers=people["rita"])).json()
    assert as_rita["unread"] is True
    assert (
        await client.get(f"/v4/packages/{package_id}/open", headers=people["rita"])
    ).status_code == 200
    assert (await act(people, "rita", package_id, "approve")).status_code == 200
    after = (await client.get(path, headers=people.owner)).json()
    assert after["next_signer_email"] == [{"user_email": people.email("sam"), "user_name": "Sam"}]
    assert (await client.get(path, headers=people["rita"])).json()["unread"] is False


async def test_paginated_history(client: httpx.AsyncClient, context: AppContext, tenant: Tenant):
    people = await People(client, context, tenant).start("ana")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    everything = await client.get(f"/v4/packages/{package_id}/log", headers=people.owner)
    all_ids = [a["log_id"] for a in everything.json()["actions"]]
    assert len(all_ids) >= 3
    first = await client.get(f"/v4/packages/{package_id}/log/1/2", headers=people.owner)
    assert first.status_code == 200, first.text
    assert first.headers["x-total-records"] == str(len(all_ids))
    assert [a["log_id"] for a in first.json()["actions"]] == all_ids[:2]
    second = await client.get(f"/v4/packages/{package_id}/log/2/2", headers=people.owner)
    assert [a["log_id"] for a in second.json()["actions"]] == all_ids[2:4]
    # The details route still answers beside it.
    details = await client.get(
        f"/v4/packages/{package_id}/log/{all_ids[0]}/details", headers=people.owner
    )
    assert details.status_code == 200
    too_many = await client.get(f"/v4/packages/{package_id}/log/1/500", headers=people.owner)
    assert too_many.status_code == 400
    assert (
        await client.get(f"/v4/packages/{package_id}/log/1/2", headers=people["ana"])
    ).status_code == 403


async def test_the_certificate_behind_a_signature_in_the_history(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    placed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/digital_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "AnaSigns",
            "dimensions": {"x": 72, "y": 72, "width": 150, "height": 50},
        },
        headers=people.owner,
    )
    assert placed.status_code == 200, placed.text
    await share(people, package_id)
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "AnaSigns"},
        headers=people["ana"],
    )
    assert signed.status_code == 200, signed.text
    base = f"/v4/packages/{package_id}/log"
    actions = (await client.get(base, headers=people.owner)).json()["actions"]
    signing = next(a["log_id"] for a in actions if a["action_type"] == "DOCUMENT_SIGNED")
    other = next(a["log_id"] for a in actions if a["action_type"] != "DOCUMENT_SIGNED")

    details = (await client.get(f"{base}/{signing}/details", headers=people.owner)).json()
    url = {d["key"]: d["value"] for d in details["details"]}["certificate"]
    assert url.startswith(f"{base}/{signing}/details/")
    response = await client.get(url, headers=people.owner)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    certificate = x509.load_der_x509_certificate(response.content)
    assert people.email("ana") in certificate.subject.rfc4514_string()
    # The very certificate inside the signature (the PDF holds the CMS in hex).
    pdf = (
        await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=people.owner)
    ).content
    assert response.content.hex().encode() in pdf.lower()
    other_details = (await client.get(f"{base}/{other}/details", headers=people.owner)).json()
    assert "certificate" not in {d["key"] for d in other_details["details"]}
    for wrong in (f"{base}/{signing}/details/{'0' * 64}", f"{base}/{other}/details/abc"):
        refused = await client.get(wrong, headers=people.owner)
        assert (refused.status_code, refused.json()) == (404, {"Message": "Certificate not found"})
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    hidden = await client.get(url, headers=stranger)
    assert hidden.status_code == 404
