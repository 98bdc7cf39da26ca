"""The app's documents home, viewer and prepare-and-send pages over HTTP, on SQLite and
PostgreSQL: the whole preparation through the forms, the folders and counts, CSRF on
every form, other people's and other enterprises' ids, and bad uploads."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from signflow.context import AppContext
from tests.factories import Tenant
from tests.web.app.documents_helpers import app_signed_in, form_token, page_token
from tests.workflow.helpers import People, make_pdf, statuses

PDF = make_pdf(2, ["Lease agreement between the parties.", "Second page."])


@asynccontextmanager
async def browser_of(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own (its own cookies) on the same app."""
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as other:
        yield other


async def upload(
    client: httpx.AsyncClient, files: list[tuple[str, bytes, str]], token: str, name: str = ""
) -> httpx.Response:
    return await client.post(
        "/app/new",
        data={"csrf": token, "package_name": name},
        files=[("files", item) for item in files],
    )


def package_id_of(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/app/new/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


async def prepared(client: httpx.AsyncClient, people: People) -> tuple[int, int]:
    """A draft made through the forms: one PDF, Ana and Ben, a field for each."""
    token = await page_token(client, "/app/new")
    package_id = package_id_of(
        await upload(client, [("lease.pdf", PDF, "application/pdf")], token, "Lease 2026")
    )
    for name, order in (("ana", 1), ("ben", 2)):
        answer = await client.post(
            f"/app/new/{package_id}/recipients",
            data={
                "csrf": token,
                "name": name.title(),
                "email": people.email(name),
                "role": "SIGNER",
                "signing_order": str(order),
            },
        )
        assert answer.status_code == 303, answer.text
    page = await client.get(f"/app/new/{package_id}")
    document_id = int(re.search(r'name="document_id"><option value="(\d+)"', page.text).group(1))
    for kind, order, y in (("digital_signature", 1, 600), ("text", 2, 400)):
        answer = await client.post(
            f"/app/new/{package_id}/fields",
            data={
                "csrf": token,
                "kind": kind,
                "order": str(order),
                "document_id": str(document_id),
                "page_no": "1",
                "x": "72",
                "y": str(y),
                "width": "180",
                "height": "50",
                "required": "true",
            },
        )
        assert answer.status_code == 303, answer.text
    return package_id, document_id


async def test_prepare_and_send_through_the_forms(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana", "ben")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, document_id = await prepared(client, people)

    fields = await client.get(
        f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=people.owner
    )
    assert fields.status_code == 200, fields.text
    body = fields.json()
    assert [f["order"] for f in body["digital_signature"]] == [1]
    assert body["digital_signature"][0]["dimensions"] == {
        "x": 72.0,
        "y": 600.0,
        "width": 180.0,
        "height": 50.0,
    }
    assert [f["order"] for f in body["text"]] == [2]

    # Moved and given to Ben, no longer required: the field's own form.
    page = await client.get(f"/app/new/{package_id}")
    name = body["digital_signature"][0]["field_name"]
    assert f'id="placed-{document_id}-{name}"' in page.text
    token = form_token(page.text)
    moved = await client.post(
        f"/app/new/{package_id}/fields/{document_id}/{name}",
        data={
            "csrf": token,
            "kind": "digital_signature",
            "order": "2",
            "x": "100",
            "y": "500",
            "width": "200",
            "height": "60",
        },
    )
    assert moved.status_code == 303, moved.text
    fields = (
        await client.get(
            f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=people.owner
        )
    ).json()
    signature = fields["digital_signature"][0]
    assert signature["order"] == 2
    assert signature["dimensions"] == {"x": 100.0, "y": 500.0, "width": 200.0, "height": 60.0}
    moved = await client.post(
        f"/app/new/{package_id}/fields/{document_id}/{name}",
        data={
            "csrf": token,
            "kind": "digital_signature",
            "order": "1",
            "x": "72",
            "y": "600",
            "width": "180",
            "height": "50",
            "required": "true",
        },
    )
    assert moved.status_code == 303, moved.text

    sent = await client.post(
        f"/app/new/{package_id}/send", data={"csrf": token, "message": "Please sign."}
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/app/viewer/{package_id}"
    assert (await statuses(people, package_id))[0] == "SHARED"
    # A shared package is no longer prepared here: to its viewer.
    again = await client.get(f"/app/new/{package_id}")
    assert again.status_code == 303
    assert again.headers["location"] == f"/app/viewer/{package_id}"

    viewer = await client.get(f"/app/viewer/{package_id}")
    assert viewer.status_code == 200, viewer.text
    assert "Lease 2026" in viewer.text
    assert 'id="next-summary"' in viewer.text and "Ana" in viewer.text
    assert f"/app/viewer/{package_id}/documents/{document_id}/pages/1.png" in viewer.text
    image = await client.get(f"/app/viewer/{package_id}/documents/{document_id}/pages/1.png")
    assert image.status_code == 200
    assert image.content.startswith(b"\x89PNG")
    download = await client.get(f"/app/viewer/{package_id}/download")
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    # The report exists once the package is completed: a refusal, not a failure.
    report = await client.get(f"/app/viewer/{package_id}/report")
    assert report.status_code == 400

    # The owner's folders: in progress, counted; nothing waits for the owner.
    home = await client.get("/app/", params={"folder": "in-progress"})
    assert home.status_code == 200, home.text
    assert f'href="/app/viewer/{package_id}"' in home.text
    assert re.search(r'id="folder-in-progress"[^>]*>.*?class="count">1<', home.text)
    assert re.search(r'id="folder-drafts"[^>]*>.*?class="count">0<', home.text)
    assert 'id="waiting"' not in home.text
    drafts = await client.get("/app/", params={"folder": "drafts"})
    assert f'href="/app/viewer/{package_id}"' not in drafts.text

    # Ana: waiting for her on top, and her viewer offers the signer pages.
    async with browser_of(client) as ana:
        await app_signed_in(ana, tenant, people.email("ana"))
        home = await ana.get("/app/")
        waiting = home.text.split('id="waiting"', 1)[1].split("</section>", 1)[0]
        assert f'href="/app/viewer/{package_id}"' in waiting
        viewer = await ana.get(f"/app/viewer/{package_id}")
        assert viewer.status_code == 200
        act = await ana.post(
            f"/app/viewer/{package_id}/act", data={"csrf": form_token(viewer.text)}
        )
        assert act.status_code == 303, act.text
        assert act.headers["location"] == "/web/package"
        signer = await ana.get("/web/package")
        assert signer.status_code == 200, signer.text
        assert "Lease 2026" in signer.text
    # Ben's turn has not come: the package is not his to see yet (the core shows a
    # recipient a package from their turn on), so nothing waits and his viewer is 404.
    async with browser_of(client) as ben:
        await app_signed_in(ben, tenant, people.email("ben"))
        home = await ben.get("/app/")
        assert 'id="waiting"' not in home.text
        token = await page_token(ben, "/app/new")
        act = await ben.post(f"/app/viewer/{package_id}/act", data={"csrf": token})
        assert act.status_code == 404, act.text
        assert (await ben.get(f"/app/viewer/{package_id}")).status_code == 404


async def test_search_and_paging(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    await People(client, context, tenant).start()
    await app_signed_in(client, tenant, tenant.user_email)
    token = await page_token(client, "/app/new")
    for number in range(22):
        name = f"Contract {number:02d}" if number != 7 else "Lease of the barn"
        answer = await upload(client, [("a.pdf", PDF, "application/pdf")], token, name)
        assert answer.status_code == 303, answer.text
    first = await client.get("/app/", params={"folder": "drafts"})
    assert first.text.count('class="package-link"') == 20
    assert "Page 1 of 2" in first.text
    second = await client.get("/app/", params={"folder": "drafts", "page": "2"})
    assert second.text.count('class="package-link"') == 2
    found = await client.get("/app/", params={"folder": "drafts", "q": "barn"})
    assert found.text.count('class="package-link"') == 1
    assert "Lease of the barn" in found.text
    assert (await client.get("/app/", params={"folder": "nowhere"})).status_code == 404
    spanish = await client.get("/app/", params={"lang": "es", "folder": "drafts"})
    assert "Borradores" in spanish.text


async def test_every_form_refuses_a_missing_or_wrong_token(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana", "ben")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, document_id = await prepared(client, people)
    fields = (
        await client.get(
            f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=people.owner
        )
    ).json()
    name = fields["text"][0]["field_name"]
    forms: list[tuple[str, dict[str, str]]] = [
        (f"/app/new/{package_id}/recipients", {"name": "Cy", "email": "cy@example.com"}),
        (f"/app/new/{package_id}/recipients/2/delete", {}),
        (
            f"/app/new/{package_id}/fields",
            {"kind": "text", "document_id": str(document_id), "page_no": "1"},
        ),
        (
            f"/app/new/{package_id}/fields/{document_id}/{name}",
            {"kind": "text", "x": "1", "y": "1", "width": "9", "height": "9"},
        ),
        (f"/app/new/{package_id}/fields/{document_id}/{name}/delete", {}),
        (f"/app/new/{package_id}/send", {"message": "Sign"}),
        (f"/app/viewer/{package_id}/act", {}),
    ]
    for path, data in forms:
        for token in (None, "forged"):
            sent = data if token is None else {**data, "csrf": token}
            answer = await client.post(path, data=sent)
            assert answer.status_code == 403, (path, token, answer.text)
    for token in (None, "forged"):
        values = {"package_name": "Forged"} | ({} if token is None else {"csrf": token})
        for path in ("/app/new", f"/app/new/{package_id}/documents"):
            answer = await client.post(
                path, data=values, files=[("files", ("x.pdf", PDF, "application/pdf"))]
            )
            assert answer.status_code == 403, (path, token, answer.text)
    # Nothing changed.
    workflow = await client.get(f"/v4/packages/{package_id}/workflow", headers=people.owner)
    assert [u["user_email"] for u in workflow.json()["users"]] == [
        people.email("ana"),
        people.email("ben"),
    ]
    assert workflow.json()["workflow"]["workflow_status"] == "DRAFT"
    listed = await client.get("/v4/packages/ALL/1/50", headers=people.owner)
    assert [p["package_name"] for p in listed.json()] == ["Lease 2026"]


async def test_other_people_and_other_enterprises_get_404(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana", "ben", "carl")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, document_id = await prepared(client, people)
    token = await page_token(client, "/app/new")
    outsiders = [(tenant, people.email("carl"))]
    others = await People(client, context, other_tenant).start()
    outsiders.append((other_tenant, others.tenant.user_email))
    base = f"/app/viewer/{package_id}"
    placed = await client.get(
        f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=people.owner
    )
    field = placed.json()["text"][0]["field_name"]
    move = {"x": "1", "y": "1", "width": "9", "height": "9"}
    reads = [
        base,
        f"{base}/documents/{document_id}/pages/1.png",
        f"{base}/documents/{document_id}/file",
        f"{base}/download",
        f"{base}/report",
        f"/app/new/{package_id}",
    ]
    for outsider_tenant, email in outsiders:
        async with browser_of(client) as outsider:
            await app_signed_in(outsider, outsider_tenant, email)
            mine = await page_token(outsider, "/app/new")
            for path in reads:
                answer = await outsider.get(path)
                assert answer.status_code == 404, (email, path, answer.status_code)
                assert "Lease 2026" not in answer.text
            posts = [
                (f"/app/new/{package_id}/recipients", {"email": "x@example.com"}),
                (
                    f"/app/new/{package_id}/fields",
                    {"kind": "text", "document_id": str(document_id), "page_no": "1"},
                ),
                (f"/app/new/{package_id}/send", {}),
                (f"/app/new/{package_id}/recipients/1/delete", {}),
                (f"/app/new/{package_id}/fields/{document_id}/{field}", {**move, "kind": "text"}),
                (f"/app/new/{package_id}/fields/{document_id}/{field}/delete", {}),
                (f"{base}/act", {}),
            ]
            for path, data in posts:
                answer = await outsider.post(path, data={**data, "csrf": mine})
                assert answer.status_code == 404, (email, path, answer.text)
            answer = await outsider.post(
                f"/app/new/{package_id}/documents",
                data={"csrf": mine},
                files=[("files", ("x.pdf", PDF, "application/pdf"))],
            )
            assert answer.status_code == 404, answer.text
    # A recipient may read but not prepare.
    async with browser_of(client) as ana:
        await app_signed_in(ana, tenant, people.email("ana"))
        assert (await ana.get(f"/app/new/{package_id}")).status_code == 404
    workflow = await client.get(f"/v4/packages/{package_id}/workflow", headers=people.owner)
    assert len(workflow.json()["users"]) == 2
    after = await client.get(
        f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=people.owner
    )
    assert after.json() == placed.json()
    assert token


async def test_bad_uploads_are_refused(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start()
    await app_signed_in(client, tenant, tenant.user_email)
    token = await page_token(client, "/app/new")
    not_pdf = await upload(client, [("lease.pdf", b"not a pdf at all", "application/pdf")], token)
    assert not_pdf.status_code == 400, not_pdf.text
    no_file = await client.post("/app/new", data={"csrf": token, "package_name": "x"})
    assert no_file.status_code == 400, no_file.text
    empty = await upload(client, [("empty.pdf", b"", "application/pdf")], token)
    assert empty.status_code == 400, empty.text
    plain = await client.post(
        "/app/new",
        content=b"csrf=" + token.encode(),
        headers={"content-type": "text/plain"},
    )
    assert plain.status_code == 400, plain.text
    too_many = await upload(client, [("a.pdf", PDF, "application/pdf")] * 21, token)
    assert too_many.status_code == 400, too_many.text
    executable = await upload(
        client, [("run.exe", b"MZ\x90\x00" * 10, "application/x-msdownload")], token
    )
    assert 400 <= executable.status_code < 500, executable.text
    # Nothing was made by any of them.
    listed = await client.get("/v4/packages/ALL/1/50", headers=people.owner)
    assert listed.json() == []


@pytest.mark.parametrize("limit", [64 * 1024])
async def test_an_upload_over_the_limit_is_413(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, limit: int
) -> None:
    del limit
    await People(client, context, tenant).start()
    await app_signed_in(client, tenant, tenant.user_email)
    token = await page_token(client, "/app/new")
    large = PDF + b"%" * (context.settings.max_upload_bytes * 4)
    answer = await upload(client, [("big.pdf", large, "application/pdf")], token)
    assert answer.status_code == 413, answer.text[:200]


async def test_the_signinghub_web_address_reads_the_hash(client: httpx.AsyncClient) -> None:
    page = await client.get("/Web")
    assert page.status_code == 200
    assert "/web/static/app/hash-route.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text


async def test_a_text_file_is_converted_as_the_api_converts_it(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start()
    await app_signed_in(client, tenant, tenant.user_email)
    token = await page_token(client, "/app/new")
    files = [
        ("notes.txt", b"Terms of the lease.\n", "text/plain"),
        ("lease.pdf", PDF, "application/pdf"),
    ]
    package_id = package_id_of(await upload(client, files, token))
    workflow = await client.get(f"/v4/packages/{package_id}/workflow", headers=people.owner)
    documents = workflow.json()["documents"]
    assert [d["document_name"] for d in documents] == ["notes.pdf", "lease.pdf"]
    listed = await client.get("/v4/packages/ALL/1/50", headers=people.owner)
    assert [p["package_name"] for p in listed.json()] == ["notes"]


async def test_sending_without_a_signer_is_the_cores_refusal_in_the_page_language(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start()
    await app_signed_in(client, tenant, tenant.user_email)
    token = await page_token(client, "/app/new")
    package_id = package_id_of(await upload(client, [("lease.pdf", PDF, "application/pdf")], token))
    token = await page_token(client, f"/app/new/{package_id}")
    refused = await client.post(f"/app/new/{package_id}/send", data={"csrf": token})
    assert refused.status_code == 404
    assert "Add a recipient before sending." in refused.text
    workflow = await client.get(f"/v4/packages/{package_id}/workflow", headers=people.owner)
    assert workflow.json()["workflow"]["workflow_status"] == "DRAFT"


async def test_a_recipient_from_the_contacts(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start()
    made = await client.post(
        "/v4/settings/contacts",
        json={"user_email": "zoe@example.com", "user_name": "Zoe Zimmer"},
        headers=people.owner,
    )
    assert made.status_code == 200, made.text
    await app_signed_in(client, tenant, tenant.user_email)
    token = await page_token(client, "/app/new")
    package_id = package_id_of(await upload(client, [("a.pdf", PDF, "application/pdf")], token))
    page = await client.get(f"/app/new/{package_id}")
    found = re.search(
        r'name="contact_id" value="(\d+)" form="add-recipient"><label for="contact-\d+">Zoe Zimmer',
        page.text,
    )
    assert found, page.text
    added = await client.post(
        f"/app/new/{package_id}/recipients",
        data={"csrf": token, "contact_id": found.group(1), "role": "SIGNER"},
    )
    assert added.status_code == 303, added.text
    users = (
        await client.get(f"/v4/packages/{package_id}/workflow/users", headers=people.owner)
    ).json()
    assert [(u["user_email"], u["user_name"]) for u in users] == [("zoe@example.com", "Zoe Zimmer")]
    # Another enterprise's contact is not one of yours: refused, nothing added.
    others = await People(client, context, other_tenant).start()
    theirs = await client.post(
        "/v4/settings/contacts",
        json={"user_email": "x@example.com", "user_name": "X"},
        headers=others.owner,
    )
    assert theirs.status_code == 200, theirs.text
    their_id = theirs.json()["contact_id"]
    refused = await client.post(
        f"/app/new/{package_id}/recipients",
        data={"csrf": token, "contact_id": str(their_id), "role": "SIGNER"},
    )
    assert refused.status_code == 404, refused.text
    users = (
        await client.get(f"/v4/packages/{package_id}/workflow/users", headers=people.owner)
    ).json()
    assert len(users) == 1
