"""The status of a signature field and filling initials (SigningHub's field status and
fill initials calls)."""

from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image

from signflow.audit.verification import audit_package
from signflow.context import AppContext
from signflow.db import transaction
from tests.faces.signinghub.test_workflow_reads import statements
from tests.factories import Tenant, bearer
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    event_statuses,
    history_actions,
    new_package,
    share,
    statuses,
)


async def test_a_signature_field_reports_pending_signed_and_declined(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER", 1), ("ben", "SIGNER", 1)])
    fields = f"/v3/packages/{package_id}/documents/{document_id}/fields"
    for order, name, y in ((1, "AnaSigns", 72), (2, "BenSigns", 200)):
        placed = await client.post(
            f"{fields}/digital_signature",
            json={
                "order": order,
                "page_no": 1,
                "field_name": name,
                "dimensions": {"x": 72, "y": y, "width": 150, "height": 50},
            },
            headers=people.owner,
        )
        assert placed.status_code == 200, placed.text
    text = await client.post(
        f"{fields}/text",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "Note",
            "required": False,
            "dimensions": {"x": 72, "y": 400, "width": 150, "height": 20},
        },
        headers=people.owner,
    )
    assert text.status_code == 200, text.text
    await share(people, package_id)
    status_url = f"/v4/packages/{package_id}/documents/{document_id}/field/status"

    async def status(name: str, headers: dict[str, str]) -> httpx.Response:
        return await client.post(status_url, json={"field_name": name}, headers=headers)

    assert (await status("AnaSigns", people.owner)).json() == {"status": "PENDING"}
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "AnaSigns"},
        headers=people["ana"],
    )
    assert signed.status_code == 200, signed.text
    assert (await status("AnaSigns", people["ana"])).json() == {"status": "SIGNED"}
    assert (await status("BenSigns", people.owner)).json() == {"status": "PENDING"}
    declined = await act(people, "ben", package_id, "decline", {"reason": "Wrong rent"})
    assert declined.status_code == 200, declined.text
    assert (await status("BenSigns", people.owner)).json() == {"status": "DECLINED"}

    for name in ("NoSuchField", "Note"):
        missing = await status(name, people.owner)
        assert (missing.status_code, missing.json()) == (404, {"Message": "Field not found"})
    empty = await client.post(status_url, json={}, headers=people.owner)
    assert empty.status_code == 400
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    hidden = await status("AnaSigns", stranger)
    assert (hidden.status_code, hidden.json()) == (404, {"Message": "Document not found"})


def png_base64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "white").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


async def test_fill_initials_signs_one_or_all_of_the_callers_initials(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    fields = f"/v3/packages/{package_id}/documents/{document_id}/fields"
    placed = [
        ("initials", "AnaInitials1", 1, 72),
        ("initials", "AnaInitials2", 2, 72),
        ("initials", "AnaInitials3", 2, 200),
        ("digital_signature", "AnaSigns", 1, 300),
    ]
    for kind, name, page, y in placed:
        response = await client.post(
            f"{fields}/{kind}",
            json={
                "order": 1,
                "page_no": page,
                "field_name": name,
                "dimensions": {"x": 72, "y": y, "width": 120, "height": 40},
            },
            headers=people.owner,
        )
        assert response.status_code == 200, response.text
    await share(people, package_id)
    initial = f"/v4/packages/{package_id}/documents/{document_id}/initial"
    status_url = f"/v4/packages/{package_id}/documents/{document_id}/field/status"

    async def status(name: str) -> str:
        response = await client.post(status_url, json={"field_name": name}, headers=people.owner)
        return str(response.json()["status"])

    wrong_kind = await client.post(
        initial, json={"field_name": "AnaSigns", "image": png_base64()}, headers=people["ana"]
    )
    assert wrong_kind.status_code == 400
    assert "not an initials field" in wrong_kind.json()["Message"]
    missing = await client.post(initial, json={"field_name": "Nope"}, headers=people["ana"])
    assert (missing.status_code, missing.json()["Message"]) == (404, "Field not found")
    not_hers = await client.post(initial, json={"field_name": "AnaInitials1"}, headers=people.owner)
    assert not_hers.status_code == 403

    one = await client.post(
        initial, json={"field_name": "AnaInitials1", "image": png_base64()}, headers=people["ana"]
    )
    assert one.status_code == 200, one.text
    assert [await status(n) for n in ("AnaInitials1", "AnaInitials2", "AnaInitials3")] == [
        "SIGNED",
        "PENDING",
        "PENDING",
    ]
    rest = await client.post(
        initial,
        json={"field_name": "AnaInitials2", "image": png_base64(), "apply_to_all": True},
        headers=people["ana"],
    )
    assert rest.status_code == 200, rest.text
    assert [await status(n) for n in ("AnaInitials2", "AnaInitials3", "AnaSigns")] == [
        "SIGNED",
        "SIGNED",
        "PENDING",
    ]
    pdf = (await client.get(f"/v3/packages/{package_id}", headers=people.owner)).content
    assert pdf.count(b"/ByteRange") >= 3


async def test_an_approval_ends_the_turn_in_one_change_and_one_history_write(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
):
    people = await People(client, context, tenant).start("rita", "ron")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("rita", "REVIEWER"), ("ron", "REVIEWER")])
    await share(people, package_id)
    before = await history_actions(context, package_id)

    with statements(context, monkeypatch) as seen:
        approved = await act(people, "rita", package_id, "approve", {"reason": "Fine by me"})
    assert approved.status_code == 200, approved.text
    # Her entry changes once (approved and finished: one compare-and-set), her two history
    # entries go in one INSERT (the step opened for Ron in another); a reviewer's fields
    # are not read.
    changes = [s for s in seen if s.startswith("UPDATE recipients") and "finished_at IS" in s]
    assert len(changes) == 1, seen
    assert len([s for s in seen if s.startswith("INSERT INTO history_entries")]) == 2, seen
    assert not [s for s in seen if "FROM fields" in s], seen
    assert (await history_actions(context, package_id))[len(before) :] == [
        "DOCUMENT_APPROVED",
        "PROCESSING_FINISHED",
        "STEP_OPENED",
    ]
    assert await statuses(people, package_id) == ("SHARED", ["REVIEWED", "IN_PROGRESS"])
    users = (
        await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    ).json()
    assert users[0]["reason"] == "Fine by me"
    assert users[0]["processed_on"] is not None
    assert (await event_statuses(context, package_id))[-1] == "NOTIFICATION"
    async with transaction(context.sessions) as session:
        assert (await audit_package(session, package_id)).ok

    again = await act(people, "rita", package_id, "approve")
    assert again.status_code == 200, again.text  # approving twice is harmless
    assert (await history_actions(context, package_id))[len(before) :] == [
        "DOCUMENT_APPROVED",
        "PROCESSING_FINISHED",
        "STEP_OPENED",
    ]


async def test_an_editor_with_a_required_field_left_cannot_submit_and_nothing_is_written(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("eddie", "ana")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("eddie", "EDITOR"), ("ana", "SIGNER")])
    placed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/text",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "Rent",
            "required": True,
            "dimensions": {"x": 72, "y": 600, "width": 150, "height": 30},
        },
        headers=people.owner,
    )
    assert placed.status_code == 200, placed.text
    await share(people, package_id)
    before = await history_actions(context, package_id)

    refused = await act(people, "eddie", package_id, "submit")
    assert refused.status_code == 400, refused.text
    assert refused.json()["Message"] == (
        "Fill in every required field and sign every signature field before finishing: Rent"
    )
    assert await statuses(people, package_id) == ("SHARED", ["IN_PROGRESS", "UN_PROCESSED"])
    assert await history_actions(context, package_id) == before
