from __future__ import annotations

import asyncio
import base64
import io
import zipfile

import httpx
import pytest
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import HistoryEntry, Package, Recipient
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.pdf.builders import make_pdf

NOT_FOUND = {"Message": "Document not found"}
NOT_YOURS = {"Message": "Document does not belong to user"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("version", ["v3", "v4"])
async def test_add_package_answers_its_id_and_workflow(
    client: httpx.AsyncClient, tenant: Tenant, version: str
):
    headers = await bearer(client, tenant, tenant.user_email)
    response = await client.post(
        f"/{version}/packages",
        json={"package_name": "Lease", "workflow_mode": "ONLY_OTHERS"},
        headers=headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"package_id", "workflow_mode", "workflow_type"}
    assert body["workflow_mode"] == "ONLY_OTHERS"
    assert body["workflow_type"] == "SERIAL"


async def test_default_name_is_untitled(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.user_email)
    response = await client.post("/v3/packages", json={}, headers=headers)
    listed = await client.get("/v3/packages/ALL/1/10", headers=headers)
    assert listed.json()[0]["package_id"] == response.json()["package_id"]
    assert listed.json()[0]["package_name"] == "Untitled"


async def test_bad_workflow_mode_is_a_400(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.user_email)
    response = await client.post(
        "/v3/packages", json={"workflow_mode": "EVERYONE"}, headers=headers
    )
    assert response.status_code == 400
    assert "workflow_mode" in response.json()["Message"]


async def test_rename_and_retag(client: httpx.AsyncClient, tenant: Tenant, context: AppContext):
    headers = await bearer(client, tenant, tenant.user_email)
    package_id = await create_package(client, headers)
    response = await client.put(
        f"/v3/packages/{package_id}",
        json={"package_name": "Renamed", "tags": ["hr", "2026"]},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.content == b""
    listed = (await client.get("/v3/packages/ALL/1/10", headers=headers)).json()
    assert listed[0]["package_name"] == "Renamed"
    assert listed[0]["tags"] == ["hr", "2026"]
    async with transaction(context.sessions) as session:
        actions = list(
            await session.scalars(
                select(HistoryEntry.action)
                .where(HistoryEntry.package_id == package_id)
                .order_by(HistoryEntry.sequence)
            )
        )
    assert actions == ["PACKAGE_CREATED", "PACKAGE_RENAMED"]


async def test_delete_hides_the_package_everywhere(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.user_email)
    package_id = await create_package(client, headers)
    assert (await client.delete(f"/v4/packages/{package_id}", headers=headers)).status_code == 200
    assert (await client.get("/v3/packages/ALL/1/10", headers=headers)).json() == []
    again = await client.delete(f"/v4/packages/{package_id}", headers=headers)
    assert again.status_code == 404
    assert again.json() == NOT_FOUND


async def test_change_owner_within_the_enterprise(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    user = await bearer(client, tenant, tenant.user_email)
    admin = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, user)
    outsider = await client.put(
        f"/v3/packages/{package_id}/owner", json={"owner": other_tenant.user_email}, headers=user
    )
    assert outsider.status_code == 400
    moved = await client.put(
        f"/v3/packages/{package_id}/owner", json={"owner": tenant.admin_email}, headers=user
    )
    assert moved.status_code == 200
    assert [
        p["package_id"] for p in (await client.get("/v3/packages/ALL/1/10", headers=admin)).json()
    ] == [package_id]
    assert (await client.get("/v3/packages/ALL/1/10", headers=user)).json() == []
    # The previous owner no longer owns it.
    rename = await client.put(
        f"/v3/packages/{package_id}", json={"package_name": "x"}, headers=user
    )
    assert rename.status_code == 403
    assert rename.json() == NOT_YOURS


async def test_download_one_document_is_the_pdf_and_several_a_zip(
    client: httpx.AsyncClient, tenant: Tenant
):
    headers = await bearer(client, tenant, tenant.user_email)
    package_id = await create_package(client, headers)
    first = make_pdf(texts=["first"])
    await upload_document(client, headers, package_id, first, "a.pdf")
    single = await client.get(f"/v3/packages/{package_id}", headers=headers)
    assert single.status_code == 200
    assert single.headers["content-type"] == "application/octet-stream"
    assert single.content == first

    second = make_pdf(texts=["second"])
    await upload_document(client, headers, package_id, second, "a.pdf")
    archive = await client.get(f"/v3/packages/{package_id}", headers=headers)
    assert archive.headers["content-type"] == "application/octet-stream"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert opened.namelist() == ["a.pdf", "a (2).pdf"]
        assert opened.read("a.pdf") == first
        assert opened.read("a (2).pdf") == second

    # ZIP dates count in two-second steps: a download 2.1 s later is in another step, and
    # still the same archive (entries are dated by the document, not the clock).
    await asyncio.sleep(2.1)
    encoded = await client.get(f"/v3/packages/{package_id}/base64", headers=headers)
    # The guide's answer is the file in base64 itself, not a JSON object.
    assert encoded.headers["content-type"] == "application/octet-stream"
    assert "Lease%202026.zip" in encoded.headers["content-disposition"]
    assert base64.b64decode(encoded.content, validate=True) == archive.content


async def test_download_of_an_empty_package_is_a_404(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.user_email)
    package_id = await create_package(client, headers)
    response = await client.get(f"/v3/packages/{package_id}", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"Message": "The package has no documents"}


async def test_listing_pages_counts_and_orders_newest_first(
    client: httpx.AsyncClient, tenant: Tenant
):
    headers = await bearer(client, tenant, tenant.user_email)
    ids = [await create_package(client, headers, f"Package {n}") for n in range(5)]
    first = await client.get("/v3/packages/ALL/1/2", headers=headers)
    assert first.status_code == 200
    assert first.headers["x-total-records"] == "5"
    assert [p["package_id"] for p in first.json()] == [ids[4], ids[3]]
    last = await client.get("/v3/packages/ALL/3/2", headers=headers)
    assert [p["package_id"] for p in last.json()] == [ids[0]]
    item = first.json()[0]
    assert set(item) == {
        "package_id",
        "package_name",
        "package_owner",
        "owner_name",
        "package_status",
        "folder",
        "unread",
        "next_signer",
        "next_signer_email",
        "uploaded_on",
        "modified_on",
        "tags",
    }
    assert item["package_owner"] == tenant.user_email
    assert item["package_status"] == "DRAFT"
    assert item["folder"] == "INBOX"


async def test_listing_filters_by_status_search_and_folder(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    headers = await bearer(client, tenant, tenant.user_email)
    draft = await create_package(client, headers, "Draft lease")
    shared = await create_package(client, headers, "Shared contract")
    old = await create_package(client, headers, "Old contract")
    async with transaction(context.sessions) as session:
        await session.execute(update(Package).where(Package.id == shared).values(status="SHARED"))
        await session.execute(
            update(Package)
            .where(Package.id == old)
            .values(status="COMPLETED", completed_at=utcnow().replace(year=2020))
        )

    async def ids(path: str, **extra: str) -> list[int]:
        response = await client.get(path, headers=headers | extra)
        assert response.status_code == 200, response.text
        return [p["package_id"] for p in response.json()]

    assert await ids("/v3/packages/DRAFT/1/10") == [draft]
    assert await ids("/v3/packages/INPROGRESS/1/10") == [shared]
    assert await ids("/v3/packages/COMPLETED/1/10") == []
    assert await ids("/v3/packages/COMPLETED/1/10", **{"x-folder": b64("ARCHIVE")}) == [old]
    assert await ids("/v3/packages/ALL/1/10", **{"x-search-text": b64("CONTRACT")}) == [shared]
    assert await ids("/v3/packages/PENDING/1/10") == []


@pytest.mark.parametrize(
    ("path", "headers", "message_part"),
    [
        ("/v3/packages/NOPE/1/10", {}, "Unknown status"),
        ("/v3/packages/ALL/0/10", {}, "page_no"),
        ("/v3/packages/ALL/1/101", {}, "records_per_page"),
        ("/v4/packages/ALL/1/10?sort-by=SIZE", {}, "sort_by"),
        ("/v4/packages/ALL/1/10?sort_order=UP", {}, "sort_order"),
        ("/v4/packages/ALL/1/10?from_date=yesterday", {}, "from_date"),
        ("/v3/packages/ALL/1/10", {"x-folder": b64("TRASH")}, "Unknown folder"),
        ("/v3/packages/ALL/1/10", {"x-folder": "TRASH"}, "Unknown folder"),
    ],
)
async def test_listing_bad_parameters(
    client: httpx.AsyncClient, tenant: Tenant, path: str, headers: dict[str, str], message_part: str
):
    auth = await bearer(client, tenant, tenant.user_email)
    response = await client.get(path, headers=auth | headers)
    assert response.status_code == 400
    assert message_part in response.json()["Message"]


async def test_a_recipient_lists_only_once_their_turn_opened(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    owner = await bearer(client, tenant, tenant.admin_email)
    signer = await bearer(client, tenant, tenant.user_email)
    package_id = await create_package(client, owner)
    async with transaction(context.sessions) as session:
        session.add(
            Recipient(
                public_id="r_test1",
                package_id=package_id,
                position=1,
                signing_order=1,
                email=tenant.user_email,
                name="Signer",
            )
        )
    assert (await client.get("/v3/packages/ALL/1/10", headers=signer)).json() == []
    hidden = await client.get(f"/v3/packages/{package_id}/base64", headers=signer)
    assert hidden.status_code == 403
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Recipient).values(turn_started_at=utcnow(), process_status="IN_PROGRESS")
        )
        await session.execute(update(Package).values(status="SHARED"))
    listed = (await client.get("/v3/packages/ALL/1/10", headers=signer)).json()
    assert [p["package_id"] for p in listed] == [package_id]
    assert listed[0]["package_status"] == "PENDING"
    assert listed[0]["unread"] is True
    assert listed[0]["next_signer_email"] == [
        {"user_email": tenant.user_email, "user_name": "Signer"}
    ]
    pending = await client.get("/v3/packages/PENDING/1/10", headers=signer)
    assert [p["package_id"] for p in pending.json()] == [package_id]
    # Recipients read, but may not change the package.
    rename = await client.put(
        f"/v3/packages/{package_id}", json={"package_name": "mine"}, headers=signer
    )
    assert rename.status_code == 403
    assert rename.json() == NOT_YOURS
    async with transaction(context.sessions) as session:
        await session.execute(update(Recipient).values(process_status="SKIPPED"))
    assert (await client.get("/v3/packages/ALL/1/10", headers=signer)).json() == []


async def test_packages_of_another_enterprise_do_not_exist(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    mine = await bearer(client, tenant, tenant.user_email)
    theirs = await bearer(client, other_tenant, other_tenant.user_email)
    package_id = await create_package(client, mine)
    await upload_document(client, mine, package_id, make_pdf())
    calls = [
        ("GET", f"/v3/packages/{package_id}", None),
        ("GET", f"/v3/packages/{package_id}/base64", None),
        ("PUT", f"/v3/packages/{package_id}", {"package_name": "stolen"}),
        ("DELETE", f"/v3/packages/{package_id}", None),
        ("PUT", f"/v3/packages/{package_id}/owner", {"owner": other_tenant.user_email}),
    ]
    for method, path, body in calls:
        response = await client.request(method, path, json=body, headers=theirs)
        assert response.status_code == 404, (method, path)
        assert response.json() == NOT_FOUND
    missing = await client.get("/v3/packages/999999", headers=theirs)
    assert missing.json() == NOT_FOUND
    assert (await client.get("/v3/packages/ALL/1/10", headers=theirs)).json() == []
    listed = (await client.get("/v3/packages/ALL/1/10", headers=mine)).json()
    assert listed[0]["package_name"] == "Lease 2026"


async def test_a_colleague_is_told_the_package_is_not_theirs(
    client: httpx.AsyncClient, tenant: Tenant
):
    owner = await bearer(client, tenant, tenant.user_email)
    colleague = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    response = await client.get(f"/v3/packages/{package_id}", headers=colleague)
    assert response.status_code == 403
    assert response.json() == NOT_YOURS


async def test_an_admin_acting_with_scope_works_as_the_owner(
    client: httpx.AsyncClient, tenant: Tenant
):
    owner = await bearer(client, tenant, tenant.user_email)
    package_id = await create_package(client, owner)
    tokens = (
        await client.post(
            "/authenticate",
            data={
                "grant_type": "password",
                "client_id": tenant.client_id,
                "client_secret": tenant.client_secret,
                "username": tenant.admin_email,
                "password": tenant.password,
                "scope": tenant.user_email,
            },
        )
    ).json()
    scoped = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = await client.put(
        f"/v3/packages/{package_id}", json={"package_name": "By admin"}, headers=scoped
    )
    assert response.status_code == 200


async def test_owned_and_received_packages_page_together_newest_first(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    me = await bearer(client, tenant, tenant.user_email)
    colleague = await bearer(client, tenant, tenant.admin_email)
    first = await create_package(client, me, "mine 1")
    received = await create_package(client, colleague, "sent to me")
    second = await create_package(client, me, "mine 2")
    async with transaction(context.sessions) as session:
        session.add(
            Recipient(
                public_id="r_page",
                package_id=received,
                position=1,
                signing_order=1,
                email=tenant.user_email,
                name="Me",
                turn_started_at=utcnow(),
                process_status="IN_PROGRESS",
            )
        )
        await session.execute(update(Package).where(Package.id == received).values(status="SHARED"))
    page1 = await client.get("/v3/packages/ALL/1/2", headers=me)
    page2 = await client.get("/v3/packages/ALL/2/2", headers=me)
    assert page1.headers["x-total-records"] == "3"
    assert [p["package_id"] for p in page1.json()] == [second, received]
    assert [p["package_id"] for p in page2.json()] == [first]
    assert page1.json()[1]["package_status"] == "PENDING"


async def test_listing_headers_as_plain_text_and_v4_filters(
    client: httpx.AsyncClient, tenant: Tenant
):
    headers = await bearer(client, tenant, tenant.user_email)
    zeta = await create_package(client, headers, "Zeta lease")
    alpha = await create_package(client, headers, "alpha lease")
    other = await create_package(client, headers, "Invoice")

    async def ids(path: str, **extra: str) -> list[int]:
        response = await client.get(path, headers=headers | extra)
        assert response.status_code == 200, response.text
        return [p["package_id"] for p in response.json()]

    # The guide's base64 headers, and the same words as plain text (as some clients send).
    assert await ids("/v3/packages/ALL/1/10", **{"x-folder": "INBOX"}) == [other, alpha, zeta]
    assert await ids("/v3/packages/ALL/1/10", **{"x-folder": "archive"}) == []
    assert await ids("/v3/packages/ALL/1/10", **{"x-search-text": "lease"}) == [alpha, zeta]
    assert await ids("/v3/packages/ALL/1/10", **{"x-search-text": b64("lease")}) == [alpha, zeta]
    # v4 query filters are applied, not ignored: name, sort, order and dates.
    assert await ids("/v4/packages/ALL/1/10?package-name=LEASE") == [alpha, zeta]
    assert await ids("/v4/packages/ALL/1/10?sort-by=NAME&sort-order=ASC") == [alpha, other, zeta]
    assert await ids("/v4/packages/ALL/1/10?sort_by=NAME") == [zeta, other, alpha]
    assert await ids("/v4/packages/ALL/1/2?sort_by=NAME&sort_order=ASC") == [alpha, other]
    assert await ids("/v4/packages/ALL/2/2?sort_by=NAME&sort_order=ASC") == [zeta]
    assert await ids("/v4/packages/DRAFT/1/10?from_date=2000-01-01&to_date=2000-12-31") == []
    response = await client.get(
        "/v4/packages/ALL/1/10?from_date=2000-01-01&package_name=lease", headers=headers
    )
    assert [p["package_id"] for p in response.json()] == [alpha, zeta]
    assert response.headers["x-total-records"] == "2"


@pytest.mark.parametrize(
    "path", ["/v4/packages/{pid}/nothing/here", "/v3/packages/{pid}/log/x", "/v4/packages/ALL/a/b"]
)
async def test_unknown_routes_under_a_package_answer_404(
    client: httpx.AsyncClient, tenant: Tenant, path: str
):
    headers = await bearer(client, tenant, tenant.user_email)
    package_id = await create_package(client, headers)
    response = await client.get(path.format(pid=package_id), headers=headers)
    assert response.status_code == 404, response.text
    assert response.json() == {"Message": "The requested resource was not found"}
