"""SIGNFLOW_PDF_ACTIVE_CONTENT through both faces that take documents: the SigningHub
upload and OKdokument's /JSON/signatureRequest. strip (default) stores a rewritten PDF
without the active content and says so in the package history; reject answers 400 in the
dialect's error shape and stores nothing; keep stores the file as sent, noted in the
history. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import httpx
import pytest
from cryptography import x509
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Document, HistoryEntry, SignatureRequest
from signflow.pdf.intake import inspect_pdf
from tests.factories import Tenant, bearer, create_package
from tests.pdf import active_pdfs
from tests.signing.checks import assert_everywhere_valid, assert_qpdf_clean
from tests.signing.pki import make_pki
from tests.signing.test_service import add_signer_and_fields, pki_key_of, sign

STRIP = {"pdf_active_content": "strip"}
REJECT = {"pdf_active_content": "reject"}
KEEP = {"pdf_active_content": "keep"}


async def post_document(
    client: httpx.AsyncClient, owner: dict[str, str], package_id: int, pdf: bytes
) -> httpx.Response:
    return await client.post(
        f"/v3/packages/{package_id}/documents",
        content=pdf,
        headers=owner | {"x-file-name": "active.pdf"},
    )


async def post_signature_request(
    client: httpx.AsyncClient, tenant: Tenant, pdf: bytes
) -> httpx.Response:
    body = {"filedata": {"content": base64.b64encode(pdf).decode()}, "filename": "active.pdf"}
    return await client.post(
        "/JSON/signatureRequest", json=body, headers={"x-api-key": tenant.api_key}
    )


async def history(context: AppContext, package_id: int) -> list[HistoryEntry]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.package_id == package_id)
            .order_by(HistoryEntry.sequence)
        )
        return list(rows)


async def stored_document(context: AppContext, document_id: int) -> bytes:
    async with transaction(context.sessions) as session:
        document = await session.get_one(Document, document_id)
    return await context.blobs.get(document.current_sha256)


async def document_count(context: AppContext) -> int:
    async with transaction(context.sessions) as session:
        return await session.scalar(select(func.count()).select_from(Document)) or 0


def entry(entries: list[HistoryEntry], action: str) -> HistoryEntry:
    [found] = [e for e in entries if e.action == action]
    return found


async def assert_stripped(stored: bytes) -> None:
    info = await inspect_pdf(stored)
    assert info.active_content == ()
    assert active_pdfs.MARKER.encode() not in stored
    assert active_pdfs.uri_targets(stored) == [active_pdfs.KEPT_LINK]
    await asyncio.to_thread(assert_qpdf_clean, stored)


@pytest.mark.parametrize("settings_overrides", [{}, STRIP], ids=["default", "strip"])
async def test_signinghub_upload_strips_and_records_it(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    sent = active_pdfs.everything()
    response = await post_document(client, owner, package_id, sent)
    assert response.status_code == 201, response.text
    document_id = response.json()["documentid"]

    stored = await stored_document(context, document_id)
    await assert_stripped(stored)
    entries = await history(context, package_id)
    uploaded, removed = (
        entry(entries, "DOCUMENT_UPLOADED"),
        entry(entries, "ACTIVE_CONTENT_REMOVED"),
    )
    assert removed.sequence == uploaded.sequence + 1
    assert removed.details == {
        "document_id": document_id,
        "active_content": list(active_pdfs.EVERYTHING),
        "policy": "strip",
        "received_sha256": hashlib.sha256(sent).hexdigest(),
        "sha256": hashlib.sha256(stored).hexdigest(),
    }
    assert uploaded.details["sha256"] == hashlib.sha256(stored).hexdigest()
    # The owner sees it in the package log, with what was removed.
    log = (await client.get(f"/v3/packages/{package_id}/log", headers=owner)).json()
    assert "ACTIVE_CONTENT_REMOVED" in [action["action_type"] for action in log["actions"]]
    details = await client.get(f"/v3/packages/{package_id}/log/{removed.id}/details", headers=owner)
    assert "/JavaScript" in details.text and "/Launch" in details.text


async def test_a_stripped_document_signs_and_stays_clean(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    """The finding: JavaScript, /OpenAction and /Launch were kept through signing."""
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    response = await post_document(client, owner, package_id, active_pdfs.everything())
    document_id = response.json()["documentid"]
    await add_signer_and_fields(
        context, package_id, document_id, [("ana@example.com", "Ana Ruiz", "digital_signature")]
    )
    await sign(context, package_id, 1)
    signed = (
        await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=owner)
    ).content
    assert (await inspect_pdf(signed)).active_content == ()
    assert active_pdfs.MARKER.encode() not in signed
    pki_key = await pki_key_of(context, package_id)
    root = x509.load_der_x509_certificate((await client.get(f"/pki/{pki_key}/ca.crt")).content)
    await asyncio.to_thread(assert_everywhere_valid, signed, root)


@pytest.mark.parametrize("settings_overrides", [STRIP], ids=["strip"])
async def test_okdokument_signature_request_strips_and_records_it(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    sent = active_pdfs.everything()
    response = await post_signature_request(client, tenant, sent)
    assert response.status_code == 200, response.text
    document_id = response.json()["documentId"]
    served = await client.get(
        f"/JSON/document/{document_id}", headers={"x-api-key": tenant.api_key}
    )
    assert served.status_code == 200
    await assert_stripped(served.content)
    async with transaction(context.sessions) as session:
        request = await session.scalar(select(SignatureRequest))
        assert request is not None
    removed = entry(await history(context, request.package_id), "ACTIVE_CONTENT_REMOVED")
    assert removed.details["active_content"] == list(active_pdfs.EVERYTHING)
    assert removed.details["received_sha256"] == hashlib.sha256(sent).hexdigest()


@pytest.mark.parametrize("settings_overrides", [REJECT], ids=["reject"])
@pytest.mark.parametrize(
    ("name", "case"),
    list(active_pdfs.ACTIVE.items())[:4],
    ids=list(active_pdfs.ACTIVE)[:4],
)
async def test_reject_mode_refuses_with_each_dialects_400(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    name: str,
    case: tuple[object, tuple[str, ...]],
):
    build, expected = case
    assert callable(build)
    pdf = build()
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)

    signinghub = await post_document(client, owner, package_id, pdf)
    assert signinghub.status_code == 400
    assert set(signinghub.json()) == {"Message", "Error"}
    assert signinghub.json()["Error"] == "pdf_active_content"
    message = signinghub.json()["Message"]
    assert "active content" in message and all(kind in message for kind in expected)

    okdokument = await post_signature_request(client, tenant, pdf)
    assert okdokument.status_code == 400
    body = okdokument.json()
    assert set(body) == {"message", "value"}
    assert body["value"] == "filedata.content"
    assert "active content" in body["message"]

    assert await document_count(context) == 0
    listed = await client.get("/JSON/list/flat?state=*", headers={"x-api-key": tenant.api_key})
    assert listed.json() == []


@pytest.mark.parametrize("settings_overrides", [REJECT], ids=["reject"])
async def test_reject_mode_accepts_a_pdf_without_active_content(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    harmless = active_pdfs.harmless_navigation()
    response = await post_document(client, owner, package_id, harmless)
    assert response.status_code == 201, response.text
    assert await stored_document(context, response.json()["documentid"]) == harmless
    actions = [e.action for e in await history(context, package_id)]
    assert "ACTIVE_CONTENT_REMOVED" not in actions and "ACTIVE_CONTENT_KEPT" not in actions


@pytest.mark.parametrize("settings_overrides", [KEEP], ids=["keep"])
async def test_keep_mode_stores_the_file_as_sent_and_records_it(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    sent = active_pdfs.everything()
    response = await post_document(client, owner, package_id, sent)
    assert response.status_code == 201, response.text
    assert await stored_document(context, response.json()["documentid"]) == sent
    kept = entry(await history(context, package_id), "ACTIVE_CONTENT_KEPT")
    assert kept.details["active_content"] == list(active_pdfs.EVERYTHING)
    assert kept.details["policy"] == "keep"
    assert kept.details["sha256"] == kept.details["received_sha256"]


async def test_a_signed_pdf_with_active_content_is_refused_rather_than_broken(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    """Rewriting a signed PDF would invalidate its signatures: strip refuses it instead."""
    from signflow.signing.signer import SignRequest

    signer = make_pki().signer("Earlier Signer", "earlier@example.com")
    signed = await asyncio.to_thread(
        signer.sign, active_pdfs.open_action_javascript(), SignRequest(field_name="Earlier")
    )
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    response = await post_document(client, owner, package_id, signed)
    assert response.status_code == 400
    assert "signed" in response.json()["Message"]
    assert "/OpenAction" in response.json()["Message"]
    assert await document_count(context) == 0
