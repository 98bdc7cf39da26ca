"""The production signing service's flow, clean-room: every call as the kanselarij
signinghub-api-client makes it (paths, headers, bodies), with a reviewer who approves
and never calls `finish`, then the signer.

Written from reading how that client calls, not from its code: a `requests`-style
session with `Accept: application/json` on every call, `Content-Type: application/json`
set even on calls without a body, client-credentials sign-in followed by a v4 scope
switch, raw-body upload with its three x- headers, and the octet-stream download.
"""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant, add_user, bearer
from tests.signing.checks import assert_pdfsig_valid
from tests.workflow.helpers import make_pdf


async def client_session(client: httpx.AsyncClient, tenant: Tenant, scope: str) -> dict[str, str]:
    """authenticate(client_id, client_secret, scope=...) as the client does it."""
    form = {
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        "grant_type": "client_credentials",
    }
    signed_in = await client.post(
        "/authenticate", data=form, headers={"Accept": "application/json"}
    )
    assert signed_in.status_code == 200, signed_in.text
    assert {"access_token", "expires_in"} <= set(signed_in.json())
    headers = {
        "Accept": "application/json",
        "Authorization": f"Bearer {signed_in.json()['access_token']}",
    }
    scoped = await client.post(
        "/v4/authenticate/scope", json={"user_email": scope}, headers=headers
    )
    assert scoped.status_code == 200, scoped.text
    headers["Authorization"] = f"Bearer {scoped.json()['access_token']}"
    return headers


async def test_reviewer_then_signer_without_a_reviewer_finish(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner_email = tenant.user_email
    reviewer = await add_user(context, tenant, "approver@acme.test", "Approver")
    signer = await add_user(context, tenant, "minister@acme.test", "Minister")
    session = await client_session(client, tenant, owner_email)

    profile = await client.get("/v4/settings/profile", headers=session)
    assert profile.json()["general"]["user_email"] == owner_email

    package = await client.post(
        "/v4/packages", json={"package_name": "Beslissing 2026"}, headers=session
    )
    assert package.status_code == 200, package.text
    package_id = package.json()["package_id"]

    pdf = make_pdf(1, ["Handtekening:"])
    uploaded = await client.post(
        f"/v4/packages/{package_id}/documents",
        content=pdf,
        headers=session
        | {"x-file-name": "beslissing.pdf", "x-convert-document": "false", "x-source": "API"},
    )
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["documentid"]

    users = [
        {"user_email": reviewer, "user_name": "Approver", "role": "REVIEWER"},
        {"user_email": signer, "user_name": "Minister", "role": "SIGNER"},
    ]
    added = await client.post(
        f"/v4/packages/{package_id}/workflow/users", json=users, headers=session
    )
    assert added.status_code == 200, added.text

    field = {
        "order": 2,
        "page_no": 1,
        "field_name": "Minister",
        "dimensions": {"x": 72, "y": 600, "width": 180, "height": 60},
    }
    placed = await client.post(
        f"/v4/packages/{package_id}/documents/{document_id}/fields/signature",
        json=field,
        headers=session,
    )
    assert placed.status_code == 200, placed.text

    # The client puts a JSON Content-Type on GETs and on the bodiless share.
    with_type = session | {"Content-Type": "application/json"}
    fields = await client.get(
        f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=with_type
    )
    assert [f["field_name"] for f in fields.json()["signature"]] == ["Minister"]
    updated = await client.put(
        f"/v4/packages/{package_id}/workflow",
        json={"workflow_type": "SERIAL", "message": "Ter ondertekening"},
        headers=session,
    )
    assert updated.status_code == 200, updated.text
    shared = await client.post(f"/v4/packages/{package_id}/workflow", headers=with_type)
    assert shared.status_code == 200, shared.text

    link = await client.post(
        "/v4/links/integration",
        json={"package_id": package_id, "user_email": reviewer, "language": "nl"},
        headers=session,
    )
    assert link.status_code == 200, link.text
    assert link.json()["url"].startswith("http")

    async def user_statuses() -> list[str]:
        details = await client.get(f"/v4/packages/{package_id}/workflow", headers=with_type)
        assert details.status_code == 200, details.text
        return [u["process_status"] for u in details.json()["users"]]

    assert await user_statuses() == ["IN_PROGRESS", "UN_PROCESSED"]

    # The reviewer approves: no finish follows, and the signer's turn opens all the same.
    as_reviewer = await bearer(client, tenant, reviewer)
    opened = await client.get(f"/v4/packages/{package_id}/open", headers=as_reviewer)
    assert opened.status_code == 200, opened.text
    approved = await client.post(
        f"/v4/packages/{package_id}/approve", json={"reason": "Akkoord"}, headers=as_reviewer
    )
    assert approved.status_code == 200, approved.text
    assert await user_statuses() == ["REVIEWED", "IN_PROGRESS"]
    details = (await client.get(f"/v4/packages/{package_id}/workflow", headers=with_type)).json()
    assert details["next_signer_email"] == [{"user_email": signer, "user_name": "Minister"}]

    as_signer = await bearer(client, tenant, signer)
    inbox = await client.get("/v4/packages/PENDING/1/10", headers=as_signer)
    assert [p["package_id"] for p in inbox.json()] == [package_id]
    assert (
        await client.get(f"/v4/packages/{package_id}/open", headers=as_signer)
    ).status_code == 200
    signed = await client.post(
        f"/v4/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "Minister", "signing_reason": "Goedgekeurd"},
        headers=as_signer,
    )
    assert signed.status_code == 200, signed.text
    finished = await client.post(f"/v4/packages/{package_id}/finish", headers=as_signer)
    assert finished.status_code == 200, finished.text
    details = (await client.get(f"/v4/packages/{package_id}/workflow", headers=with_type)).json()
    assert details["workflow"]["workflow_status"] == "COMPLETED"
    assert [u["process_status"] for u in details["users"]] == ["REVIEWED", "SIGNED"]

    # download_document sets Accept: application/octet-stream and takes the bytes.
    download = await client.get(
        f"/v4/packages/{package_id}/documents/{document_id}",
        headers=session | {"Accept": "application/octet-stream"},
    )
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/octet-stream"
    assert_pdfsig_valid(download.content, 1)
