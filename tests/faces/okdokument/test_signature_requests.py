"""Every /JSON call with the seed's bodies, field for field; sendInfo to a real receiver."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update
from standardwebhooks import Webhook

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, JobStatus
from signflow.outbox.worker import Worker
from signflow.signature_requests.service import (
    cancel_signature_request,
    signer_actor,
    submit_signature_request,
)
from signflow.workflow.sign import SignatureRequest as FieldSignature
from tests.factories import Tenant, bearer
from tests.webhooks.receiver import Receiver, Reply
from tests.workflow.helpers import event_statuses, listen, make_pdf

SEED_ID = "1d58a59e-e8f7-4d07-bb99-d3fa39cb58a8"
SEED_BAD_ID = "32f8628d-6658-443d-a2a0-f59d9d3752d222"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webhook_allowed_networks": "127.0.0.0/8", "webhook_timeout_seconds": 2.0}


def key(tenant: Tenant) -> dict[str, str]:
    return {"x-api-key": tenant.api_key}


async def create(client: httpx.AsyncClient, tenant: Tenant, **extra: object) -> dict[str, object]:
    body = {
        "filedata": {"content": base64.b64encode(make_pdf()).decode(), "state": "tosign"},
        "filename": "contract.pdf",
        **extra,
    }
    response = await client.post("/JSON/signatureRequest", json=body, headers=key(tenant))
    assert response.status_code == 200, response.text
    created: dict[str, object] = response.json()
    return created


async def test_create_patch_with_the_seed_bodies(client: httpx.AsyncClient, tenant: Tenant):
    created = await create(client, tenant, id=SEED_ID)
    assert created == {
        "message": "msg.signature.request.id.created",
        "result": SEED_ID,
        "url": f"http://testserver/openDocument/{SEED_ID}",
        "documentId": created["documentId"],
    }
    seed_body = {
        "signatureRequestId": SEED_ID,
        "sendInfoURL": "https://azure/sendInfo?arg=123456",
        "resulturl": "https://okdokument.com",
    }
    patched = await client.patch("/JSON/signatureRequest", json=seed_body, headers=key(tenant))
    assert (patched.status_code, patched.json()) == (
        200,
        {"message": "msg.updated", "result": SEED_ID, "url": f"http://testserver/{SEED_ID}"},
    )
    unknown = await client.patch(
        "/JSON/signatureRequest",
        json=seed_body | {"signatureRequestId": SEED_BAD_ID},
        headers=key(tenant),
    )
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"message": f"View ID does not exist: {SEED_BAD_ID}", "value": SEED_BAD_ID},
    )
    other_uuid = str(uuid.uuid4())
    missing = await client.patch(
        "/JSON/signatureRequest", json={"signatureRequestId": other_uuid}, headers=key(tenant)
    )
    assert missing.json() == {
        "message": f"View ID does not exist: {other_uuid}",
        "value": other_uuid,
    }


async def test_auth_and_another_enterprise(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    created = await create(client, tenant)
    request_id, document_id = created["result"], created["documentId"]
    no_key = await client.patch("/JSON/signatureRequest", json={"signatureRequestId": request_id})
    assert no_key.status_code == 401
    assert set(no_key.json()) == {"message", "value"}
    bad_key = await client.get("/JSON/list/flat", headers={"x-api-key": "sfk_nope"})
    assert bad_key.status_code == 401
    theirs = await client.patch(
        "/JSON/signatureRequest",
        json={"signatureRequestId": request_id, "resulturl": "https://evil.example"},
        headers=key(other_tenant),
    )
    assert (theirs.status_code, theirs.json()) == (
        403,
        {"message": "err.forbidden", "value": request_id},
    )
    deleted = await client.delete(f"/JSON/signatureRequest/{request_id}", headers=key(other_tenant))
    assert deleted.status_code == 403
    document = await client.get(f"/JSON/document/{document_id}", headers=key(other_tenant))
    assert (document.status_code, document.json()) == (
        404,
        {"message": "err.not.found", "value": str(document_id)},
    )
    assert (await client.get("/JSON/list/flat", headers=key(other_tenant))).json() == []


async def test_document_metadata_list_and_delete(client: httpx.AsyncClient, tenant: Tenant):
    pdf = make_pdf()
    created = await create(client, tenant)
    request_id, document_id = created["result"], created["documentId"]
    document = await client.get(f"/JSON/document/{document_id}", headers=key(tenant))
    assert (document.status_code, document.content) == (200, pdf)
    assert document.headers["content-type"] == "application/pdf"
    metadata = (
        await client.get(f"/JSON/document/metadata/{document_id}", headers=key(tenant))
    ).json()
    assert metadata == {
        "filename": "contract.pdf",
        "state": "tosign",
        "modification": metadata["modification"],
        "id": document_id,
        "date": metadata["date"],
    }
    assert isinstance(metadata["date"], int) and metadata["date"] > 1_600_000_000_000
    flat = (await client.get("/JSON/list/flat?state=*", headers=key(tenant))).json()
    assert flat == [metadata | {"url": f"http://testserver/openDocument/{request_id}"}]
    assert (await client.get("/JSON/list/flat?state=signed", headers=key(tenant))).json() == []
    bad_state = await client.get("/JSON/list/flat?state=lost", headers=key(tenant))
    assert bad_state.status_code == 400
    not_a_number = await client.get("/JSON/document/abc", headers=key(tenant))
    assert (not_a_number.status_code, not_a_number.json()) == (
        404,
        {"message": "err.not.found", "value": "abc"},
    )
    deleted = await client.delete(f"/JSON/signatureRequest/{request_id}", headers=key(tenant))
    assert (deleted.status_code, deleted.json()) == (
        200,
        {"message": "msg.deleted", "result": request_id},
    )
    again = await client.delete(f"/JSON/signatureRequest/{request_id}", headers=key(tenant))
    assert (again.status_code, again.json()) == (
        400,
        {"message": "err.signature.request.not.exist", "value": request_id},
    )
    gone = await client.get(f"/JSON/document/{document_id}", headers=key(tenant))
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"filedata": {"content": "@@not base64@@"}}, 400, "err.invalid.file"),
        ({"filedata": {"content": base64.b64encode(b"not a pdf").decode()}}, 400, None),
        ({"filedata": {"content": "QQ==", "state": "signed"}}, 400, "err.invalid.state"),
        ({"expirationTime": 1}, 400, "err.invalid.expiration.time"),
        ({"resulturl": "ftp://x"}, 400, "err.invalid.url"),
        ({"id": "not-a-uuid"}, 400, "err.invalid.id"),
        ({"filedata": None}, 400, None),
    ],
)
async def test_bad_create_bodies_are_400(
    client: httpx.AsyncClient,
    tenant: Tenant,
    change: dict[str, object],
    status: int,
    message: str | None,
):
    body = {"filedata": {"content": base64.b64encode(make_pdf()).decode()}} | change
    response = await client.post("/JSON/signatureRequest", json=body, headers=key(tenant))
    assert response.status_code == status, response.text
    assert set(response.json()) == {"message", "value"}
    if message:
        assert response.json()["message"] == message


async def test_submit_sends_info_redirects_and_signs(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, receiver: Receiver
):
    await listen(context, tenant.enterprise_id)
    created = await create(
        client,
        tenant,
        sendInfoURL=receiver.url("/first"),
        resulturl="https://erp.example/done?x=1",
    )
    request_id, document_id = str(created["result"]), created["documentId"]
    # PATCH with the other spelling; resulturl not given keeps its value.
    patched = await client.patch(
        "/JSON/signatureRequest",
        json={"signatureRequestId": request_id, "sendInfoUrl": receiver.url("/info")},
        headers=key(tenant),
    )
    assert patched.status_code == 200
    async with transaction(context.sessions) as session:
        target = await submit_signature_request(
            session,
            context,
            request_id,
            FieldSignature(field_name=""),
            signer_actor("127.0.0.1", None),
            "es",
        )
    assert target.url is not None
    parts = urlsplit(target.url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "erp.example", "/done")
    query = parse_qs(parts.query)
    assert {k: v for k, v in query.items() if k != "ts"} == {
        "x": ["1"],
        "name": ["contract"],
        "docid": [str(document_id)],
        "lang": ["es"],
        "result": ["success"],
    }
    assert int(query["ts"][0]) > 1_600_000_000_000
    closed = await client.patch(
        "/JSON/signatureRequest",
        json={"signatureRequestId": request_id, "resulturl": "https://x.example"},
        headers=key(tenant),
    )
    assert (closed.status_code, closed.json()) == (
        409,
        {"message": "err.signature.request.closed", "value": request_id},
    )
    await Worker(context).run_until_idle()
    [request] = [r for r in receiver.requests if r.path == "/info"]
    assert json.loads(request.body) == {
        "state": "signed",
        "id": document_id,
        "signatureRequestId": request_id,
    }
    admin = await bearer(client, tenant, tenant.admin_email)
    secret = (await client.get("/v3/enterprise/sendinfo/secret", headers=admin)).json()["secret"]
    assert Webhook(secret).verify(request.body, request.headers)
    metadata = (
        await client.get(f"/JSON/document/metadata/{document_id}", headers=key(tenant))
    ).json()
    assert metadata["state"] == "signed"
    signed = (await client.get(f"/JSON/document/{document_id}", headers=key(tenant))).content
    assert b"/ByteRange" in signed
    package_events = await event_statuses(context, int(str(await _package_of(context, request_id))))
    assert package_events[0] == "CREATE" and package_events[-1] == "SIGNED_PACKAGE"


async def _package_of(context: AppContext, request_id: str) -> int:
    from signflow.models import SignatureRequest

    async with transaction(context.sessions) as session:
        return (await session.get_one(SignatureRequest, request_id)).package_id


async def test_cancel_and_errorsendinfo_after_the_last_retry(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, receiver: Receiver
):
    receiver.replies["/info"] = Reply(status=500)
    created = await create(
        client, tenant, sendInfoURL=receiver.url("/info"), resulturl="https://erp.example/r"
    )
    request_id, document_id = str(created["result"]), created["documentId"]
    async with transaction(context.sessions) as session:
        target = await cancel_signature_request(
            session, context, request_id, signer_actor(None, None)
        )
    assert target.url is not None and parse_qs(urlsplit(target.url).query)["result"] == ["close"]
    worker = Worker(context)
    for _ in range(10):
        await worker.run_until_idle()
        async with transaction(context.sessions) as session:
            await session.execute(
                update(Job).where(Job.status == JobStatus.PENDING.value).values(due_at=utcnow())
            )
    sent = [r for r in receiver.requests if r.path == "/info"]
    assert len(sent) == 8  # the first try and seven retries
    assert {r.headers["webhook-id"] for r in sent} == {sent[0].headers["webhook-id"]}
    assert json.loads(sent[0].body) == {
        "state": "canceled",
        "id": document_id,
        "signatureRequestId": request_id,
    }
    metadata = (
        await client.get(f"/JSON/document/metadata/{document_id}", headers=key(tenant))
    ).json()
    assert metadata["state"] == "errorsendinfo"


async def test_the_allow_list_admits_a_private_send_info_url_and_only_its_networks(
    client: httpx.AsyncClient, tenant: Tenant
):
    """This module allow-lists 127.0.0.0/8 (SIGNFLOW_WEBHOOK_ALLOWED_NETWORKS) for its
    local receiver; other private networks stay refused when the URL is given."""
    admitted = await create(client, tenant, sendInfoURL="http://127.0.0.1:9/sendinfo")
    refused = await client.post(
        "/JSON/signatureRequest",
        json={
            "filedata": {"content": base64.b64encode(make_pdf()).decode()},
            "sendInfoURL": "http://10.0.0.5/sendinfo",
        },
        headers=key(tenant),
    )
    assert admitted["message"] == "msg.signature.request.id.created"
    assert (refused.status_code, refused.json()) == (
        400,
        {"message": "err.invalid.url", "value": "sendInfoURL"},
    )
