from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4, letter
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import DocumentVersion, RenderedPage
from signflow.pdf.attachments import embedded_file_names
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.pdf import builders

NOT_DRAFT = {"Message": "Document is no longer in draft state"}


@pytest.fixture
async def owner(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    return await bearer(client, tenant, tenant.user_email)


@pytest.mark.parametrize("content_type", [None, "application/json", "application/pdf"])
async def test_upload_accepts_a_pdf_whatever_its_content_type(
    client: httpx.AsyncClient, owner: dict[str, str], content_type: str | None
):
    package_id = await create_package(client, owner)
    headers = owner | {"x-file-name": "lease.pdf"}
    if content_type:
        headers["Content-Type"] = content_type
    response = await client.post(
        f"/v3/packages/{package_id}/documents", content=builders.make_pdf(), headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"documentid"}


async def test_details_list_pages_sizes_and_policy(
    client: httpx.AsyncClient, owner: dict[str, str]
):
    package_id = await create_package(client, owner)
    pdf = builders.make_pdf(pages=[A4, letter])
    document_id = await upload_document(client, owner, package_id, pdf, "Contrato%20firmado.pdf")
    response = await client.get(
        f"/v4/packages/{package_id}/documents/{document_id}/details", headers=owner
    )
    assert response.status_code == 200
    body = response.json()
    assert body["document_id"] == document_id
    assert body["document_name"] == "Contrato firmado.pdf"
    assert body["page_count"] == 2
    assert body["pages"] == [
        {"page_no": 1, "width": pytest.approx(A4[0]), "height": pytest.approx(A4[1])},
        {"page_no": 2, "width": pytest.approx(letter[0]), "height": pytest.approx(letter[1])},
    ]
    assert body["file_size"] == len(pdf)
    assert body["certify"] == {"enabled": False, "permission": "NO_CHANGES_ALLOWED"}
    assert body["fields"] == []


async def test_download_binary_and_base64(client: httpx.AsyncClient, owner: dict[str, str]):
    package_id = await create_package(client, owner)
    pdf = builders.make_pdf(texts=["hello"])
    document_id = await upload_document(client, owner, package_id, pdf)
    binary = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}",
        headers=owner | {"Accept": "application/json"},
    )
    assert binary.headers["content-type"] == "application/octet-stream"
    assert binary.content == pdf
    encoded = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}/base64",
        headers=owner | {"Accept": "application/octet-stream"},
    )
    # The guide's answer is the file in base64 itself, not a JSON object.
    assert encoded.status_code == 200
    assert encoded.headers["content-type"] == "application/octet-stream"
    assert base64.b64decode(encoded.content, validate=True) == pdf


async def test_page_images_have_the_requested_size_and_are_cached(
    client: httpx.AsyncClient, owner: dict[str, str], context: AppContext
):
    package_id = await create_package(client, owner)
    document_id = await upload_document(
        client, owner, package_id, builders.make_pdf(pages=[A4, letter])
    )
    path = f"/v3/packages/{package_id}/documents/{document_id}/images/2/72"
    first = await client.get(path, headers=owner)
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(first.content))
    assert image.format == "PNG"
    assert image.size == (round(letter[0]), round(letter[1]))
    second = await client.get(path, headers=owner)
    assert second.content == first.content
    async with transaction(context.sessions) as session:
        rows = await session.scalar(select(func.count()).select_from(RenderedPage))
    assert rows == 1
    encoded = await client.get(path + "/base64", headers=owner)
    assert base64.b64decode(encoded.json()["image_base64"]) == first.content
    high = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}/images/1/144", headers=owner
    )
    assert Image.open(io.BytesIO(high.content)).size == (round(A4[0] * 2), round(A4[1] * 2))


@pytest.mark.parametrize(
    ("page", "resolution", "status"),
    [(3, "72", 404), (0, "72", 404), (1, "9000", 400), (1, "x", 400)],
)
async def test_page_image_errors(
    client: httpx.AsyncClient, owner: dict[str, str], page: int, resolution: str, status: int
):
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, builders.make_pdf())
    response = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}/images/{page}/{resolution}",
        headers=owner,
    )
    assert response.status_code == status
    assert response.json()["Message"]


async def test_rename_delete_and_reorder(client: httpx.AsyncClient, owner: dict[str, str]):
    package_id = await create_package(client, owner)
    a = await upload_document(client, owner, package_id, builders.make_pdf(texts=["a"]), "a.pdf")
    b = await upload_document(client, owner, package_id, builders.make_pdf(texts=["b"]), "b.pdf")
    c = await upload_document(client, owner, package_id, builders.make_pdf(texts=["c"]), "c.pdf")

    async def order() -> list[str]:
        names = []
        for document_id in (a, b, c):
            response = await client.get(
                f"/v3/packages/{package_id}/documents/{document_id}/details", headers=owner
            )
            if response.status_code == 200:
                names.append((response.json()["document_order"], response.json()["document_name"]))
        return [name for _, name in sorted(names)]

    reorder = await client.put(
        f"/v3/packages/{package_id}/documents/{c}/reorder", json={"order": 1}, headers=owner
    )
    assert reorder.status_code == 200
    assert await order() == ["c.pdf", "a.pdf", "b.pdf"]
    rename = await client.put(
        f"/v3/packages/{package_id}/documents/{a}", json={"document_name": "A.pdf"}, headers=owner
    )
    assert rename.status_code == 200
    delete = await client.delete(f"/v3/packages/{package_id}/documents/{c}", headers=owner)
    assert delete.status_code == 200
    assert await order() == ["A.pdf", "b.pdf"]
    bad = await client.put(
        f"/v3/packages/{package_id}/documents/{a}/reorder", json={"order": 5}, headers=owner
    )
    assert bad.status_code == 400
    gone = await client.get(f"/v3/packages/{package_id}/documents/{c}/details", headers=owner)
    assert gone.status_code == 404
    assert gone.json() == {"Message": "Document not found"}


async def test_certify_policy_round_trip(client: httpx.AsyncClient, owner: dict[str, str]):
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, builders.make_pdf())
    path = f"/v3/packages/{package_id}/documents/{document_id}/certify"
    policy = {"certify": {"enabled": True, "permission": "FORM_FILLING"}, "lock_form_fields": True}
    assert (await client.put(path, json=policy, headers=owner)).status_code == 200
    assert (await client.get(path, headers=owner)).json() == policy
    bad = await client.put(
        path, json={"certify": {"enabled": True, "permission": "ANYTHING"}}, headers=owner
    )
    assert bad.status_code == 400


async def test_attachments_travel_with_the_document(
    client: httpx.AsyncClient, owner: dict[str, str]
):
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, builders.make_pdf())
    response = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/attachments",
        content=b"col1,col2\n1,2\n",
        headers=owner | {"x-file-name": "annex.csv", "Content-Type": "text/csv"},
    )
    assert response.status_code == 201
    assert response.content == b""
    details = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}/details", headers=owner
    )
    [attachment] = details.json()["attachments"]
    assert attachment["file_name"] == "annex.csv"
    assert attachment["size"] == 14
    pdf = await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=owner)
    assert embedded_file_names(pdf.content) == ["annex.csv"]
    assert details.json()["file_size"] == len(pdf.content)


async def test_deleting_an_attachment_takes_it_out_of_the_pdf(
    client: httpx.AsyncClient, owner: dict[str, str]
):
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, builders.make_pdf())
    base = f"/v3/packages/{package_id}/documents/{document_id}/attachments"
    for name, data in (("annex.csv", b"a,b\n1,2\n"), ("notes.txt", b"some notes")):
        added = await client.post(
            base, content=data, headers=owner | {"x-file-name": name, "Content-Type": "text/plain"}
        )
        assert added.status_code == 201, added.text
    listed = (await client.get(base, headers=owner)).json()
    annex_id = next(a["attachment_id"] for a in listed if a["file_name"] == "annex.csv")

    deleted = await client.delete(f"{base}/{annex_id}", headers=owner)

    assert deleted.status_code == 200, deleted.text
    assert [a["file_name"] for a in (await client.get(base, headers=owner)).json()] == ["notes.txt"]
    pdf = await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=owner)
    assert embedded_file_names(pdf.content) == ["notes.txt"]
    assert (await client.get(f"{base}/{annex_id}", headers=owner)).status_code == 404
    again = await client.delete(f"{base}/{annex_id}", headers=owner)
    assert again.status_code == 404
    assert again.json() == {"Message": "Attachment not found"}
    log = (await client.get(f"/v3/packages/{package_id}/log", headers=owner)).json()["actions"]
    assert "ATTACHMENT_DELETED" in {entry["action_type"] for entry in log}


async def test_a_document_keeps_its_original_version(
    client: httpx.AsyncClient, owner: dict[str, str], context: AppContext
):
    package_id = await create_package(client, owner)
    pdf = builders.make_pdf()
    document_id = await upload_document(client, owner, package_id, pdf)
    async with transaction(context.sessions) as session:
        [version] = list(
            await session.scalars(
                select(DocumentVersion).where(DocumentVersion.document_id == document_id)
            )
        )
    assert version.kind == "ORIGINAL"
    assert await context.blobs.get(version.sha256) == pdf


async def test_documents_cannot_change_once_shared(
    client: httpx.AsyncClient, owner: dict[str, str], context: AppContext
):
    from sqlalchemy import update

    from signflow.models import Package

    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, builders.make_pdf())
    async with transaction(context.sessions) as session:
        await session.execute(update(Package).values(status="SHARED"))
    upload = await client.post(
        f"/v3/packages/{package_id}/documents", content=builders.make_pdf(), headers=owner
    )
    delete = await client.delete(
        f"/v3/packages/{package_id}/documents/{document_id}", headers=owner
    )
    certify = await client.put(
        f"/v3/packages/{package_id}/documents/{document_id}/certify",
        json={"certify": {"enabled": True}},
        headers=owner,
    )
    for response in (upload, delete, certify):
        assert response.status_code == 403
        assert response.json() == NOT_DRAFT


BAD_INPUTS = {
    "zero bytes": (lambda: b"", 400, "Request does not contain document"),
    "truncated": (builders.truncated_pdf, 400, None),
    "not a pdf": (builders.png_bytes, 400, None),
    "plain text": (lambda: b"just some words", 400, None),
    "encrypted": (builders.encrypted_pdf, 400, "ncrypt"),
    "decompression bomb": (builders.flate_bomb, 400, None),
    "reference loop": (builders.page_tree_loop, 400, None),
    "self reference": (builders.self_referencing_object, 400, None),
    "too many pages": (lambda: builders.many_pages(12), 413, "pages"),
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"max_pdf_pages": 10, "max_upload_bytes": 3 * 1024 * 1024}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
async def test_bad_uploads_are_refused_with_a_message(
    client: httpx.AsyncClient, owner: dict[str, str], case: str
):
    make, status, message_part = BAD_INPUTS[case]
    package_id = await create_package(client, owner)
    response = await client.post(
        f"/v3/packages/{package_id}/documents", content=make(), headers=owner
    )
    assert response.status_code == status, response.text
    message = response.json()["Message"]
    assert message
    if message_part:
        assert message_part in message
    listed = await client.get(f"/v3/packages/{package_id}", headers=owner)
    assert listed.status_code == 404  # nothing was stored


async def test_over_the_size_limit_is_a_413(client: httpx.AsyncClient, owner: dict[str, str]):
    package_id = await create_package(client, owner)
    response = await client.post(
        f"/v3/packages/{package_id}/documents",
        content=b"%PDF-" + b"0" * (4 * 1024 * 1024),
        headers=owner,
    )
    assert response.status_code == 413
    assert "limit" in response.json()["Message"]


async def test_images_are_converted_on_request(client: httpx.AsyncClient, owner: dict[str, str]):
    package_id = await create_package(client, owner)
    refused = await client.post(
        f"/v3/packages/{package_id}/documents",
        content=builders.png_bytes(),
        headers=owner | {"x-file-name": "scan.png"},
    )
    assert refused.status_code == 400
    converted = await client.post(
        f"/v3/packages/{package_id}/documents",
        content=builders.png_bytes(),
        headers=owner | {"x-file-name": "scan.png", "x-convert-document": "true"},
    )
    assert converted.status_code == 201, converted.text
    details = await client.get(
        f"/v3/packages/{package_id}/documents/{converted.json()['documentid']}/details",
        headers=owner,
    )
    assert details.json()["document_name"] == "scan.pdf"
    assert details.json()["page_count"] == 1


async def test_word_documents_without_libreoffice_say_what_to_install(
    client: httpx.AsyncClient, owner: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    from signflow.pdf import convert

    # CI installs LibreOffice; this is the server where it is not.
    monkeypatch.setattr(convert, "find_libreoffice", lambda: None)
    package_id = await create_package(client, owner)
    response = await client.post(
        f"/v3/packages/{package_id}/documents",
        content=b"{\\rtf1\\ansi Hello}",
        headers=owner | {"x-file-name": "letter.rtf", "x-convert-document": "true"},
    )
    assert response.status_code == 400
    assert "LibreOffice" in response.json()["Message"]


async def test_documents_of_another_enterprise_do_not_exist(
    client: httpx.AsyncClient, owner: dict[str, str], other_tenant: Tenant
):
    theirs = await bearer(client, other_tenant, other_tenant.user_email)
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, builders.make_pdf())
    base = f"/v3/packages/{package_id}/documents/{document_id}"
    for method, path, body in [
        ("GET", f"{base}/details", None),
        ("GET", base, None),
        ("GET", f"{base}/base64", None),
        ("GET", f"{base}/images/1/72", None),
        ("GET", f"{base}/certify", None),
        ("PUT", base, {"document_name": "x.pdf"}),
        ("DELETE", base, None),
        ("PUT", f"{base}/reorder", {"order": 1}),
    ]:
        response = await client.request(method, path, json=body, headers=theirs)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"Message": "Document not found"}
    upload = await client.post(
        f"/v3/packages/{package_id}/documents", content=builders.make_pdf(), headers=theirs
    )
    assert upload.status_code == 404


async def test_a_slow_upload_does_not_hold_other_writers_up(
    client: httpx.AsyncClient, owner: dict[str, str], database_url: str
):
    import asyncio
    import time

    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock that this guards against is SQLite's")
    package_id = await create_package(client, owner)
    pdf = builders.make_pdf()

    async def slow_body():
        yield pdf[: len(pdf) // 2]
        await asyncio.sleep(2.0)
        yield pdf[len(pdf) // 2 :]

    upload = asyncio.create_task(
        client.post(f"/v3/packages/{package_id}/documents", content=slow_body(), headers=owner)
    )
    await asyncio.sleep(0.3)
    started = time.monotonic()
    other = await client.post("/v3/packages", json={"package_name": "meanwhile"}, headers=owner)
    waited = time.monotonic() - started
    assert other.status_code == 200
    assert waited < 1.5, f"another writer waited {waited:.1f} s for the upload"
    assert (await upload).status_code == 201


async def test_multipart_form_uploads_as_a_browser_sends_them(
    client: httpx.AsyncClient, owner: dict[str, str]
):
    package_id = await create_package(client, owner)
    pdf = builders.make_pdf(texts=["from a form"])
    # httpx builds the same multipart/form-data body a browser's FormData does.
    response = await client.post(
        f"/v4/packages/{package_id}/documents",
        files={"file": ("contract form.pdf", pdf, "application/pdf")},
        headers=owner,
    )
    assert response.status_code == 201, response.text
    document_id = response.json()["documentid"]
    details = (
        await client.get(
            f"/v4/packages/{package_id}/documents/{document_id}/details", headers=owner
        )
    ).json()
    assert details["document_name"] == "contract form.pdf"
    assert details["file_size"] == len(pdf)
    download = await client.get(f"/v4/packages/{package_id}/documents/{document_id}", headers=owner)
    assert download.content == pdf
    attached = await client.post(
        f"/v4/packages/{package_id}/documents/{document_id}/attachments",
        files={"attachment": ("notes.txt", b"some notes", "text/plain")},
        headers=owner,
    )
    assert attached.status_code == 201, attached.text
    details = (
        await client.get(
            f"/v4/packages/{package_id}/documents/{document_id}/details", headers=owner
        )
    ).json()
    assert [(a["file_name"], a["size"]) for a in details["attachments"]] == [("notes.txt", 10)]
    base = f"/v4/packages/{package_id}/documents/{document_id}/attachments"
    listed = (await client.get(base, headers=owner)).json()
    assert [(a["file_name"], a["size"]) for a in listed] == [("notes.txt", 10)]
    attachment_id = listed[0]["attachment_id"]
    fetched = await client.get(f"{base}/{attachment_id}", headers=owner)
    assert fetched.status_code == 200
    assert fetched.content == b"some notes"
    assert (await client.get(f"{base}/{attachment_id + 99}", headers=owner)).status_code == 404
    # A form without a file part is a clear 400.
    empty = await client.post(
        f"/v4/packages/{package_id}/documents",
        content=b"--xyz--\r\n",
        headers=owner | {"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert empty.status_code == 400
    assert empty.json() == {"Message": "The form has no file part"}
