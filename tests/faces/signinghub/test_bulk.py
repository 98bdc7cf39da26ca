"""Bulk send over the SigningHub face: a template applied to the rows of a CSV or JSON
body, one shared package per row made by the worker, each row's result in the run's
status; a bulk-made package sends the webhooks a hand-made one sends; bad input is
refused before anything is made, and a bad row fails alone."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import (
    BulkRow,
    BulkRun,
    Document,
    Field,
    HistoryEntry,
    Package,
    Recipient,
)
from signflow.outbox.worker import Worker
from signflow.templates.bulk_input import MAX_BODY_BYTES, MAX_ROWS
from tests.faces.signinghub.test_templates import save, source_package
from tests.factories import Tenant, bearer
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_notifications import register
from tests.workflow.helpers import (
    People,
    add_users,
    history_actions,
    new_package,
    package_row,
    share,
    statuses,
)

CSV = "text/csv"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webhook_allowed_networks": "127.0.0.0/8"}


async def bulk(
    people: People, template_id: int, body: str | bytes, content_type: str = CSV
) -> httpx.Response:
    return await people.client.post(
        f"/v4/settings/templates/{template_id}/bulk",
        content=body.encode() if isinstance(body, str) else body,
        headers=people.owner | {"content-type": content_type},
    )


async def status(people: People, template_id: int, bulk_id: int) -> dict[str, Any]:
    response = await people.client.get(
        f"/v4/settings/templates/{template_id}/bulk/{bulk_id}", headers=people.owner
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def counts(context: AppContext) -> tuple[int, int, int]:
    async with transaction(context.sessions) as session:
        runs = await session.scalar(select(func.count()).select_from(BulkRun))
        rows = await session.scalar(select(func.count()).select_from(BulkRow))
        packages = await session.scalar(select(func.count()).select_from(Package))
    return int(runs or 0), int(rows or 0), int(packages or 0)


async def field_values(context: AppContext, package_id: int) -> dict[str, str | None]:
    async with transaction(context.sessions) as session:
        rows = await session.execute(
            select(Field.name, Field.value)
            .join(Document, Document.id == Field.document_id)
            .where(Document.package_id == package_id)
        )
        return dict(rows.all())


async def recipients(context: AppContext, package_id: int) -> list[tuple[str, str, str | None]]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(Recipient).where(Recipient.package_id == package_id).order_by(Recipient.position)
        )
        return [(r.email, r.name, r.placeholder) for r in rows]


async def applied_details(context: AppContext, package_id: int) -> dict[str, Any]:
    async with transaction(context.sessions) as session:
        details = await session.scalar(
            select(HistoryEntry.details).where(
                HistoryEntry.package_id == package_id, HistoryEntry.action == "TEMPLATE_APPLIED"
            )
        )
    assert isinstance(details, dict)
    return details


async def test_a_csv_makes_one_shared_package_per_row_and_a_bad_row_fails_alone(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    source_id, _ = await source_package(people)
    template_id = (await save(people, source_id))["template_id"]
    body = (
        "Tenant email,Tenant name,Landlord email,Rent,package_name\n"
        "cy@example.com,Cy,dee@example.com,1200,Flat 1\n"
        "nobody,No One,dee@example.com,900,Flat 2\n"
        '"eve@example.com","Eve, Jr.",dee@example.com,,\n'
    )
    started = await bulk(people, template_id, body)
    assert started.status_code == 201, started.text
    run = started.json()
    assert (run["status"], run["total_rows"], run["pending"], run["failed"]) == (
        "QUEUED",
        3,
        2,
        1,
    )
    assert run["errors"] == [
        {
            "row": 2,
            "status": "FAILED",
            "package_id": None,
            "error": "Row 2: 'nobody' is not a valid email address",
        }
    ]
    assert await counts(context) == (1, 3, 1)  # only the source package so far

    await Worker(context).run_until_idle()
    done = await status(people, template_id, run["bulk_id"])
    assert (done["status"], done["sent"], done["failed"], done["pending"]) == (
        "COMPLETED",
        2,
        1,
        0,
    )
    assert done["finished_on"] is not None
    first, bad, third = done["rows"]
    assert (first["status"], third["status"], bad["status"]) == ("SENT", "SENT", "FAILED")
    assert bad["package_id"] is None and first["error"] is None

    package = await package_row(context, first["package_id"])
    assert (package.name, package.status, package.template_id) == ("Flat 1", "SHARED", template_id)
    assert await recipients(context, package.id) == [
        ("cy@example.com", "Cy", "Tenant"),
        ("dee@example.com", "dee", "Landlord"),
    ]
    assert (await field_values(context, package.id))["Rent"] == "1200"
    other = await package_row(context, third["package_id"])
    assert other.name == "Lease"  # no package_name: the template's name
    assert (await recipients(context, other.id))[0][:2] == ("eve@example.com", "Eve, Jr.")
    assert (await field_values(context, other.id))["Rent"] is None
    assert await statuses(people, package.id) == ("SHARED", ["IN_PROGRESS", "UN_PROCESSED"])
    assert (await history_actions(context, package.id))[:3] == [
        "PACKAGE_CREATED",
        "TEMPLATE_APPLIED",
        "PACKAGE_SHARED",
    ]
    assert (await applied_details(context, package.id)) | {"documents": None, "users": None} == {
        "bulk_id": run["bulk_id"],
        "row": 1,
        "prefilled": ["Rent"],
        "template_id": template_id,
        "template_name": "Lease",
        "version": 1,
        "documents": None,
        "users": None,
    }
    # The guide's status call shows the same run; an enterprise admin reads it too.
    guide = await client.post(
        "/v4/packages/SEND/status",
        json={"transaction_id": str(run["bulk_id"])},
        headers=people.owner,
    )
    assert guide.status_code == 200, guide.text
    assert guide.json()["status"] == "COMPLETED"
    assert [(p["id"], p["status"], p["percentage"]) for p in guide.json()["packages"]] == [
        (first["package_id"], "SENT", 100),
        (None, "FAILED", 100),
        (third["package_id"], "SENT", 100),
    ]
    admin = await bearer(client, tenant, tenant.admin_email)
    by_admin = await client.get(
        f"/v4/settings/templates/{template_id}/bulk/{run['bulk_id']}", headers=admin
    )
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["sent"] == 2
    # Running the worker again sends nothing more.
    await Worker(context).run_until_idle()
    assert await counts(context) == (1, 3, 3)


async def test_a_json_body_with_the_same_columns(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    source_id, _ = await source_package(people)
    template_id = (await save(people, source_id))["template_id"]
    rows = [
        {"Tenant email": f"t{n}@example.com", "Landlord email": "dee@example.com", "Rent": n}
        for n in range(1, 4)
    ]
    rows[1]["Landlord email"] = ""
    started = await bulk(people, template_id, json.dumps({"rows": rows}), "application/json")
    assert started.status_code == 201, started.text
    await Worker(context).run_until_idle()
    done = await status(people, template_id, started.json()["bulk_id"])
    assert [r["status"] for r in done["rows"]] == ["SENT", "FAILED", "SENT"]
    assert done["errors"][0]["error"] == "Row 2: 'Landlord email' is empty"
    third = done["rows"][2]["package_id"]
    assert (await field_values(context, third))["Rent"] == "3"


async def test_a_bulk_made_package_sends_the_webhooks_of_a_hand_made_one(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, receiver: Receiver
):
    people = await People(client, context, tenant).start("ana", "ben")
    admin = await bearer(client, tenant, tenant.admin_email)
    await register(client, admin, receiver.url())
    source_id, _ = await source_package(people)
    template_id = (await save(people, source_id))["template_id"]
    made = await client.post(
        f"/v4/settings/templates/{template_id}/packages",
        json={
            "package_name": "By hand",
            "placeholders": [
                {"placeholder": "Tenant", "user_email": "cy@example.com"},
                {"placeholder": "Landlord", "user_email": "dee@example.com"},
            ],
        },
        headers=people.owner,
    )
    assert made.status_code == 200, made.text
    by_hand = made.json()["package_id"]
    await share(people, by_hand)
    started = await bulk(
        people,
        template_id,
        "Tenant email,Landlord email,package_name\ncy@example.com,dee@example.com,By bulk\n",
    )
    assert started.status_code == 201, started.text
    await Worker(context).run_until_idle()
    by_bulk = (await status(people, template_id, started.json()["bulk_id"]))["rows"][0][
        "package_id"
    ]
    assert by_bulk is not None

    def received(package_id: int) -> list[dict[str, Any]]:
        bodies = [json.loads(r.body) for r in receiver.requests]
        return [b for b in bodies if b.get("package") == str(package_id)]

    hand_events, bulk_events = received(by_hand), received(by_bulk)
    assert hand_events, "the hand-made package sent no webhook"

    def shape(body: dict[str, Any]) -> dict[str, Any]:
        documents = [{"name": d["name"], "status": d["status"]} for d in body["documents"]]
        ignored = {"package", "name", "documents"}
        return {**{k: v for k, v in body.items() if k not in ignored}, "documents": documents}

    assert [shape(b) for b in bulk_events] == [shape(b) for b in hand_events]
    # The history is the hand-made one's; its TEMPLATE_APPLIED entry names the run and row.
    assert await history_actions(context, by_bulk) == await history_actions(context, by_hand)
    assert (await applied_details(context, by_bulk))["row"] == 1
    assert "bulk_id" not in await applied_details(context, by_hand)


async def test_bad_input_is_refused_before_anything_is_made(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    source_id, _ = await source_package(people)
    template_id = (await save(people, source_id))["template_id"]
    before = await counts(context)

    async def refused(body: str | bytes, content_type: str = CSV) -> tuple[int, Any]:
        response = await bulk(people, template_id, body, content_type)
        assert await counts(context) == before
        return response.status_code, response.json()

    assert await refused("Tenant email,Rent\ncy@example.com,1\n") == (
        400,
        {
            "Message": "The column 'Landlord email' is missing: every placeholder of the "
            "template (Tenant, Landlord) needs its email column",
            "Error": "bulk_column_missing",
        },
    )
    code, body = await refused("Tenant email,Landlord email,Deposit\na@x.test,b@x.test,1\n")
    assert (code, body["Error"]) == (400, "bulk_column_unknown")
    assert body["Message"].startswith("Unknown column 'Deposit'")
    code, body = await refused("Tenant email,Landlord email,TenantSigns\na@x.test,b@x.test,yes\n")
    assert (code, body["Message"]) == (
        400,
        "Column 'TenantSigns' names a digital_signature field, which cannot be prefilled",
    )
    assert await refused("Tenant email,Landlord email,Tenant email\n") == (
        400,
        {"Message": "Column 'Tenant email' appears twice"},
    )
    assert await refused("Tenant email,Landlord email\n") == (
        400,
        {"Message": "The bulk send has no row"},
    )
    assert await refused("") == (400, {"Message": "The CSV body has no header line"})
    assert (await refused(b"\xff\xfe,", CSV))[0] == 400
    assert await refused("[1]", "application/json") == (
        400,
        {"Message": 'The JSON body must be {"rows": [{column: value, ...}, ...]}'},
    )
    assert (await refused("{", "application/json"))[0] == 400
    too_many = "Tenant email,Landlord email\n" + "a@x.test,b@x.test\n" * (MAX_ROWS + 1)
    assert await refused(too_many) == (
        400,
        {"Message": f"A bulk send holds at most {MAX_ROWS} rows; this one has {MAX_ROWS + 1}"},
    )
    oversized = "Tenant email,Landlord email\n" + "a" * (MAX_BODY_BYTES + 1)
    assert await refused(oversized) == (
        413,
        {"Message": "The request body is larger than the limit of 5 MB"},
    )

    # Another enterprise's template is not found, and neither is its run.
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    response = await client.post(
        f"/v4/settings/templates/{template_id}/bulk",
        content=b"Tenant email,Landlord email\na@x.test,b@x.test\n",
        headers=stranger | {"content-type": CSV},
    )
    assert (response.status_code, response.json()) == (404, {"Message": "Template not found"})
    assert await counts(context) == before
    started = await bulk(people, template_id, "Tenant email,Landlord email\na@x.test,b@x.test\n")
    assert started.status_code == 201, started.text
    bulk_id = started.json()["bulk_id"]
    for path in (
        f"/v4/settings/templates/{template_id}/bulk/{bulk_id}",
        f"/v4/settings/templates/{template_id + 1}/bulk/{bulk_id}",
    ):
        response = await client.get(path, headers=stranger)
        assert (response.status_code, response.json()) == (404, {"Message": "Bulk run not found"})
    mismatch = await client.get(
        f"/v4/settings/templates/{template_id + 1}/bulk/{bulk_id}", headers=people.owner
    )
    assert (mismatch.status_code, mismatch.json()) == (404, {"Message": "Bulk run not found"})
    colleague = await client.get(
        f"/v4/settings/templates/{template_id}/bulk/{bulk_id}", headers=people["ana"]
    )
    assert colleague.status_code == 404

    # A template whose document is gone: 410 before anything is made; rows already
    # queued fail one by one with the same reason.
    before = await counts(context)
    async with transaction(context.sessions) as session:
        sha256 = await session.scalar(
            select(Document.current_sha256).where(Document.package_id == source_id)
        )
    assert sha256 is not None and await context.blobs.delete(sha256)
    code, body = await refused("Tenant email,Landlord email\na@x.test,b@x.test\n")
    assert (code, body["Error"]) == (410, "template_document_gone")
    await Worker(context).run_until_idle()
    done = await status(people, template_id, bulk_id)
    assert done["status"] == "COMPLETED"
    assert done["rows"][0]["error"].startswith("Row 1: The template's document 'doc1.pdf'")
    assert await counts(context) == before


async def test_the_guides_bulk_share_shares_each_draft_and_reports_each_package(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    drafts = []
    for name in ("One", "Two", "Three"):
        package_id, _ = await new_package(people, name=name)
        await add_users(people, package_id, [("ana", "SIGNER")])
        drafts.append(package_id)
    await share(people, drafts[2])  # no longer a draft: that package's error

    started = await client.post("/v4/packages/SHARE", json={"ids": drafts}, headers=people.owner)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "QUEUED"
    transaction_id = started.json()["transaction_id"]
    await Worker(context).run_until_idle()
    status = await client.post(
        "/v4/packages/SHARE/status", json={"transaction_id": transaction_id}, headers=people.owner
    )
    assert status.status_code == 200, status.text
    assert status.json() == {
        "status": "COMPLETED",
        "packages": [
            {
                "id": drafts[0],
                "name": "One",
                "status": "SENT",
                "percentage": 100,
                "error": None,
                "action": None,
            },
            {
                "id": drafts[1],
                "name": "Two",
                "status": "SENT",
                "percentage": 100,
                "error": None,
                "action": None,
            },
            {
                "id": drafts[2],
                "name": "Three",
                "status": "FAILED",
                "percentage": 100,
                "error": "Row 3: Document is no longer in draft state",
                "action": None,
            },
        ],
    }
    for package_id in drafts[:2]:
        assert (await package_row(context, package_id)).status == "SHARED"
        assert (await history_actions(context, package_id)).count("PACKAGE_SHARED") == 1

    # Bad input: nothing queued.
    before = await counts(context)
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    own_draft, _ = await new_package(people, name="Four")
    before = await counts(context)
    for path, body, headers, expected in (
        ("/v4/packages/SHARE", {"ids": [own_draft]}, stranger, (404, "Document not found")),
        (
            "/v4/packages/SHARE",
            {"ids": []},
            people.owner,
            (400, "ids must name at least one package"),
        ),
        (
            "/v4/packages/SHARE",
            {"ids": [own_draft, own_draft]},
            people.owner,
            (400, "ids names a package twice"),
        ),
        (
            "/v4/packages/SHARE",
            {"ids": [own_draft, 10**9]},
            people.owner,
            (404, "Document not found"),
        ),
        (
            "/v4/packages/BURN",
            {"ids": [own_draft]},
            people.owner,
            (400, "bulk_action must be SHARE or SIGN"),
        ),
        (
            "/v4/packages/SHARE/status",
            {"transaction_id": transaction_id},
            stranger,
            (404, "Bulk run not found"),
        ),
        (
            "/v4/packages/SEND/status",
            {"transaction_id": transaction_id},
            people.owner,
            (404, "Bulk run not found"),
        ),
        (
            "/v4/packages/SHARE/status",
            {"transaction_id": "x1"},
            people.owner,
            (404, "Bulk run not found"),
        ),
    ):
        response = await client.post(path, json=body, headers=headers)
        assert (response.status_code, response.json()["Message"]) == expected, path
    sign = await client.post("/v4/packages/SIGN", json={"ids": [own_draft]}, headers=people.owner)
    assert sign.status_code == 400
    assert sign.json()["Error"] == "bulk_sign_unsupported"
    assert await counts(context) == before
