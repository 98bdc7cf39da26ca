"""Templates over the SigningHub face: save a package as a template, list and read it,
make a package from it with two placeholders through /v4 and complete that package, and
SigningHub's apply-template call; bad input answers 4xx and changes nothing."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Document, Package, Recipient, Template
from tests.factories import Tenant, bearer
from tests.signing.checks import assert_pdfsig_valid
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    event_statuses,
    history_actions,
    new_package,
    package_row,
    share,
    statuses,
)


def box(y: float) -> dict[str, float]:
    return {"x": 72, "y": y, "width": 150, "height": 50}


async def source_package(people: People) -> tuple[int, int]:
    """A draft with two signers (to become placeholders), a signature field each and a
    text field with the owner's value."""
    package_id, (document_id,) = await new_package(people, name="Lease template source")
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    fields = f"/v3/packages/{package_id}/documents/{document_id}/fields"
    for order, name, y in ((1, "TenantSigns", 72), (2, "LandlordSigns", 200)):
        response = await people.client.post(
            fields + "/digital_signature",
            json={"order": order, "page_no": 1, "field_name": name, "dimensions": box(y)},
            headers=people.owner,
        )
        assert response.status_code == 200, response.text
    text = await people.client.post(
        fields + "/text",
        json={"order": 1, "page_no": 2, "field_name": "Rent", "dimensions": box(300)},
        headers=people.owner,
    )
    assert text.status_code == 200, text.text
    workflow = await people.client.put(
        f"/v3/packages/{package_id}/workflow",
        json={"message": "Please sign the lease"},
        headers=people.owner,
    )
    assert workflow.status_code == 200, workflow.text
    return package_id, document_id


async def save(people: People, package_id: int, name: str = "Lease") -> dict[str, Any]:
    response = await people.client.post(
        "/v4/settings/templates",
        json={
            "package_id": package_id,
            "template_name": name,
            "placeholders": [
                {"order": 1, "placeholder": "Tenant"},
                {"order": 2, "placeholder": "Landlord"},
            ],
        },
        headers=people.owner,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def counts(context: AppContext) -> tuple[int, int, int]:
    async with transaction(context.sessions) as session:
        packages = await session.scalar(select(func.count()).select_from(Package))
        documents = await session.scalar(select(func.count()).select_from(Document))
        recipients = await session.scalar(select(func.count()).select_from(Recipient))
    return int(packages or 0), int(documents or 0), int(recipients or 0)


async def test_a_template_with_two_placeholders_makes_a_package_that_completes(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cy", "dee")
    source_id, _ = await source_package(people)
    saved = await save(people, source_id)
    assert saved["template_name"] == "Lease"
    assert saved["template_version"] == 1
    assert [(u["placeholder"], u["user_email"]) for u in saved["users"]] == [
        ("Tenant", None),
        ("Landlord", None),
    ]
    assert saved["field_count"] == 3
    assert saved["message"] == "Please sign the lease"
    assert "TEMPLATE_SAVED" in await history_actions(context, source_id)

    # Listed by the guide's call, found by its search header (base64, as the guide sends it).
    listed = await client.get(
        "/v4/settings/templates/10/1",
        headers=people.owner | {"x-search-text": base64.b64encode(b"lea").decode()},
    )
    assert listed.status_code == 200, listed.text
    assert [t["template_name"] for t in listed.json()] == ["Lease"]
    assert listed.headers["x-total-records"] == "1"
    library = await client.get("/v4/settings/library/10/1", headers=people.owner)
    assert [d["document_name"] for d in library.json()] == ["doc1.pdf"]

    # A package from the template, both placeholders filled, through /v4.
    template_id = saved["template_id"]
    made = await client.post(
        f"/v4/settings/templates/{template_id}/packages",
        json={
            "package_name": "Lease for flat 4",
            "placeholders": [
                {"placeholder": "Tenant", "user_email": people.email("cy"), "user_name": "Cy"},
                {"placeholder": "Landlord", "user_email": people.email("dee")},
            ],
        },
        headers=people.owner,
    )
    assert made.status_code == 200, made.text
    package_id = made.json()["package_id"]
    (document_id,) = made.json()["documents"]
    row = await package_row(context, package_id)
    assert (row.template_id, row.template_version) == (template_id, 1)
    assert row.message == "Please sign the lease"
    users = await client.get(f"/v4/packages/{package_id}/workflow/users", headers=people.owner)
    assert [(u["user_email"], u["user_name"]) for u in users.json()] == [
        (people.email("cy"), "Cy"),
        (people.email("dee"), "dee"),
    ]
    fields = await client.get(
        f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=people.owner
    )
    assert {f["field_name"]: f["order"] for f in fields.json()["digital_signature"]} == {
        "TenantSigns": 1,
        "LandlordSigns": 2,
    }
    # The document is the template's blob, by reference.
    async with transaction(context.sessions) as session:
        copied = await session.get_one(Document, document_id)
        source_doc = await session.scalar(select(Document).where(Document.package_id == source_id))
        assert source_doc is not None
        assert copied.current_sha256 == source_doc.current_sha256
    assert "TEMPLATE_APPLIED" in await history_actions(context, package_id)

    await share(people, package_id)
    fill = await client.put(
        f"/v4/packages/{package_id}/documents/{document_id}/fields",
        json={"text": [{"field_name": "Rent", "value": "1200"}]},
        headers=people["cy"],
    )
    assert fill.status_code == 200, fill.text
    sign = f"/v4/packages/{package_id}/documents/{document_id}/sign"
    for name, field_name in (("cy", "TenantSigns"), ("dee", "LandlordSigns")):
        signed = await client.post(sign, json={"field_name": field_name}, headers=people[name])
        assert signed.status_code == 200, signed.text
        assert (await act(people, name, package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == ("COMPLETED", ["SIGNED", "SIGNED"])
    assert await event_statuses(context, package_id) == [
        "CREATE",
        "NOTIFICATION",
        "NOTIFICATION",
        "SIGNED_PACKAGE",
    ]
    pdf = (await client.get(f"/v4/packages/{package_id}", headers=people.owner)).content
    assert_pdfsig_valid(pdf, 2)

    # A new version from the completed package: new packages name version 2, the old
    # one still names version 1.
    version = await client.post(
        f"/v4/settings/templates/{template_id}/versions",
        json={"package_id": source_id, "placeholders": [{"order": 1, "placeholder": "Tenant"}]},
        headers=people.owner,
    )
    assert version.status_code == 200, version.text
    assert version.json()["template_version"] == 2
    assert (await package_row(context, package_id)).template_version == 1


async def test_apply_template_to_a_document_as_the_guide_calls_it(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cy")
    source_id, _ = await source_package(people)
    await save(people, source_id, "Sales contract")
    package_id, (first, second) = await new_package(people, documents=2, name="Contract 105")
    applied = await client.post(
        f"/v4/packages/{package_id}/documents/{first}/template",
        json={
            "template_name": "Sales contract",
            "apply_to_all": True,
            "placeholders": [{"placeholder": "Tenant", "user_email": people.email("cy")}],
        },
        headers=people.owner,
    )
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert (body["document_id"], body["document_pages"]) == (first, 2)
    assert body["template"]["template_name"] == "Sales contract"
    users = await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    assert [u["user_email"] for u in users.json()] == [people.email("cy"), ""]
    for document_id in (first, second):
        fields = await client.get(
            f"/v3/packages/{package_id}/documents/{document_id}/fields", headers=people.owner
        )
        names = sorted(f["field_name"] for f in fields.json()["digital_signature"])
        assert names == ["LandlordSigns", "TenantSigns"]
    # Applying it again would place fields of the same names: 409, nothing added.
    before = await counts(context)
    again = await client.post(
        f"/v3/packages/{package_id}/documents/{first}/template",
        json={"template_name": "Sales contract"},
        headers=people.owner,
    )
    assert (again.status_code, again.json()) == (
        409,
        {"Message": "Field 'TenantSigns' already exists in document 'doc1.pdf'"},
    )
    assert await counts(context) == before

    # The Landlord placeholder is unfilled: the second step cannot open until it is.
    await share(people, package_id)
    for document_id in (first, second):
        text = await client.put(
            f"/v3/packages/{package_id}/documents/{document_id}/fields",
            json={"text": [{"field_name": "Rent", "value": "900"}]},
            headers=people["cy"],
        )
        assert text.status_code == 200, text.text
        signed = await client.post(
            f"/v3/packages/{package_id}/documents/{document_id}/sign",
            json={"field_name": "TenantSigns"},
            headers=people["cy"],
        )
        assert signed.status_code == 200, signed.text
    refused = await act(people, "cy", package_id, "finish")
    assert refused.status_code == 400, refused.text
    assert refused.json()["Error"] == "placeholder_unfilled"
    assert await statuses(people, package_id) == ("SHARED", ["SIGNED", "UN_PROCESSED"])


async def test_bad_input_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    source_id, _ = await source_package(people)
    template_id = (await save(people, source_id))["template_id"]
    package_id, (document_id,) = await new_package(people, name="Target")
    before = await counts(context)

    unknown = await client.post(
        f"/v4/settings/templates/{template_id}/packages",
        json={"placeholders": [{"placeholder": "Witness", "user_email": "w@acme.test"}]},
        headers=people.owner,
    )
    assert unknown.status_code == 400
    assert unknown.json() == {
        "Message": "Unknown placeholder 'Witness': the template's placeholders are "
        "Tenant, Landlord",
        "Error": "unknown_placeholder",
    }
    on_document = await client.post(
        f"/v4/packages/{package_id}/documents/{document_id}/template",
        json={
            "template_id": template_id,
            "placeholders": [{"placeholder": "Witness", "user_email": "w@acme.test"}],
        },
        headers=people.owner,
    )
    assert on_document.status_code == 400
    assert await counts(context) == before

    # Another enterprise's template is not found, by id or by name.
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    other_package = (await client.post("/v4/packages", json={}, headers=stranger)).json()
    for call in (
        client.post(f"/v4/settings/templates/{template_id}/packages", json={}, headers=stranger),
        client.get(f"/v4/settings/templates/{template_id}", headers=stranger),
        client.put(
            f"/v4/settings/templates/{template_id}",
            json={"template_name": "Mine"},
            headers=stranger,
        ),
        client.delete(f"/v4/settings/templates/{template_id}", headers=stranger),
    ):
        response = await call
        assert (response.status_code, response.json()) == (404, {"Message": "Template not found"})
    listed = await client.get("/v4/settings/templates/10/1", headers=stranger)
    assert listed.json() == []
    assert other_package["package_id"]
    assert await counts(context) == (before[0] + 1, before[1], before[2])

    # A template whose document is gone from the store: 410, nothing created.
    async with transaction(context.sessions) as session:
        source_doc = await session.scalar(select(Document).where(Document.package_id == source_id))
        assert source_doc is not None
        sha256 = source_doc.current_sha256
    assert await context.blobs.delete(sha256)
    gone = await client.post(
        f"/v4/settings/templates/{template_id}/packages", json={}, headers=people.owner
    )
    assert gone.status_code == 410, gone.text
    assert gone.json()["Error"] == "template_document_gone"
    assert await counts(context) == (before[0] + 1, before[1], before[2])


async def test_list_read_rename_share_and_delete(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "eve")
    source_id, _ = await source_package(people)
    template_id = (await save(people, source_id))["template_id"]
    admin = await bearer(client, tenant, tenant.admin_email)
    twice = await client.post(
        "/v3/settings/templates",
        json={"package_id": source_id, "template_name": " Lease "},
        headers=people.owner,
    )
    assert (twice.status_code, twice.json()) == (
        409,
        {"Message": "A template named 'Lease' already exists"},
    )

    # Personal: another user of the enterprise sees nothing of it.
    eve = people["eve"]
    assert (await client.get("/v3/settings/templates/10/1", headers=eve)).json() == []
    hidden = await client.get(f"/v3/settings/templates/{template_id}", headers=eve)
    assert hidden.status_code == 404

    renamed = await client.put(
        f"/v3/settings/templates/{template_id}",
        json={"template_name": "Lease 2027"},
        headers=people.owner,
    )
    assert renamed.json()["template_name"] == "Lease 2027"
    # Sharing with the enterprise is an enterprise admin's call.
    refused = await client.put(
        f"/v3/settings/templates/{template_id}", json={"enterprise": True}, headers=people.owner
    )
    assert refused.status_code == 403
    shared = await client.put(
        f"/v3/settings/templates/{template_id}", json={"enterprise": True}, headers=admin
    )
    assert shared.json()["template_public"] is True
    seen = await client.get("/v3/settings/templates/10/1", headers=eve)
    assert [(t["template_name"], t["read_only"]) for t in seen.json()] == [("Lease 2027", True)]
    only_personal = await client.get(
        "/v3/settings/templates/10/1", headers=eve | {"x-enterprise": "false"}
    )
    assert only_personal.json() == []
    enterprise = await client.get("/v3/enterprise/templates/10/1", headers=admin)
    assert [t["template_id"] for t in enterprise.json()] == [template_id]
    assert (await client.get("/v3/enterprise/templates/10/1", headers=eve)).status_code == 403
    # Eve may apply a shared template, not change or delete it.
    assert (
        await client.delete(f"/v3/settings/templates/{template_id}", headers=eve)
    ).status_code == 403
    duplicate = await client.post(
        "/v3/settings/templates",
        json={"package_id": source_id, "template_name": "Lease 2027", "enterprise": True},
        headers=admin,
    )
    assert duplicate.status_code == 403  # the admin does not own the source package
    bad_page = await client.get("/v3/settings/templates/0/1", headers=eve)
    assert bad_page.status_code == 400

    deleted = await client.delete(f"/v3/settings/templates/{template_id}", headers=people.owner)
    assert deleted.status_code == 200
    assert (
        await client.get(f"/v3/settings/templates/{template_id}", headers=people.owner)
    ).status_code == 404
    async with transaction(context.sessions) as session:
        kept = await session.get_one(Template, template_id)
        assert kept.deleted_at is not None  # its versions stay: packages name them


async def test_a_library_document_joins_a_draft(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    source_id, _ = await source_package(people)
    await save(people, source_id)
    (item,) = (await client.get("/v3/settings/library/10/1", headers=people.owner)).json()
    package_id, _ = await new_package(people, name="Two documents")
    added = await client.post(
        f"/v3/packages/{package_id}/documents/library/{item['library_id']}",
        headers=people.owner,
    )
    assert added.status_code == 201, added.text
    details = await client.get(
        f"/v3/packages/{package_id}/documents/{added.json()['documentid']}/details",
        headers=people.owner,
    )
    assert (details.json()["document_name"], details.json()["document_order"]) == ("doc1.pdf", 2)
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    theirs = (await client.post("/v3/packages", json={}, headers=stranger)).json()["package_id"]
    refused = await client.post(
        f"/v3/packages/{theirs}/documents/library/{item['library_id']}", headers=stranger
    )
    assert (refused.status_code, refused.json()) == (404, {"Message": "Library document not found"})
