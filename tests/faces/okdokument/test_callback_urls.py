"""Callback URLs of signature requests: sendInfoURL is fetched by the server, so a literal
forbidden address is refused when it is given (create and PATCH), as webhook endpoints
are; resulturl only redirects the signer's browser and needs http(s) only.

No allow-list here (the default): the module beside this one allow-lists 127.0.0.0/8
for its local receiver, and checks that the allow-list admits it."""

from __future__ import annotations

import base64

import httpx
import pytest
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import SignatureRequest
from tests.factories import Tenant
from tests.workflow.helpers import make_pdf

FORBIDDEN = [
    "http://127.0.0.1:8080/sendinfo",
    "http://10.0.0.5/sendinfo",
    "https://192.168.1.20/sendinfo",
    "http://[::1]/sendinfo",
    "http://169.254.169.254/latest/meta-data/",
    "http://0x7f.1/sendinfo",  # 127.0.0.1 in a spelling the resolver accepts
    "http://2130706433/sendinfo",  # likewise
    "http://[::ffff:127.0.0.1]/sendinfo",
    "http://0.0.0.0/sendinfo",
    "http://100.64.0.1/sendinfo",
]
REFUSED = {"message": "err.invalid.url", "value": "sendInfoURL"}


def key(tenant: Tenant) -> dict[str, str]:
    return {"x-api-key": tenant.api_key}


def body(**extra: object) -> dict[str, object]:
    return {
        "filedata": {"content": base64.b64encode(make_pdf()).decode()},
        "filename": "contract.pdf",
        **extra,
    }


async def stored_urls(context: AppContext) -> list[tuple[str | None, str | None]]:
    async with transaction(context.sessions) as session:
        rows = await session.execute(
            select(SignatureRequest.send_info_url, SignatureRequest.result_url)
        )
        return [(send_info, result) for send_info, result in rows]


@pytest.mark.parametrize("url", FORBIDDEN)
async def test_a_forbidden_send_info_url_is_refused_at_creation(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, url: str
):
    response = await client.post(
        "/JSON/signatureRequest", json=body(sendInfoURL=url), headers=key(tenant)
    )
    assert (response.status_code, response.json()) == (400, REFUSED)
    assert await stored_urls(context) == []
    listed = await client.get("/JSON/list/flat?state=*", headers=key(tenant))
    assert listed.json() == []


async def test_a_forbidden_send_info_url_is_refused_at_patch(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    public = "https://erp.example.com/sendinfo?id=7"
    created = await client.post(
        "/JSON/signatureRequest", json=body(sendInfoURL=public), headers=key(tenant)
    )
    assert created.status_code == 200, created.text
    request_id = created.json()["result"]
    for url in FORBIDDEN:
        for spelling in ("sendInfoURL", "sendInfoUrl"):
            response = await client.patch(
                "/JSON/signatureRequest",
                json={"signatureRequestId": request_id, spelling: url},
                headers=key(tenant),
            )
            assert (response.status_code, response.json()) == (400, REFUSED), url
    assert await stored_urls(context) == [(public, None)]


async def test_host_names_and_public_addresses_are_accepted(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    # A name is resolved (and its addresses checked) when the callback is delivered.
    for url in ("https://erp.example.com/sendinfo", "http://93.184.215.14/sendinfo"):
        response = await client.post(
            "/JSON/signatureRequest", json=body(sendInfoURL=url), headers=key(tenant)
        )
        assert response.status_code == 200, response.text


async def test_result_url_is_a_browser_redirect_checked_for_its_scheme_only(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    """The server never fetches resulturl: a page on the signer's own network (an intranet
    ERP) is a legitimate place to send them back to. Only http(s) is accepted, so it
    cannot be a javascript: or data: URL."""
    intranet = "http://10.0.0.5/erp/signed"
    response = await client.post(
        "/JSON/signatureRequest", json=body(resulturl=intranet), headers=key(tenant)
    )
    assert response.status_code == 200, response.text
    for bad in ("javascript:alert(1)", "data:text/html,hi", "ftp://10.0.0.5/x", "//evil.example"):
        refused = await client.post(
            "/JSON/signatureRequest", json=body(resulturl=bad), headers=key(tenant)
        )
        assert (refused.status_code, refused.json()) == (
            400,
            {"message": "err.invalid.url", "value": "resulturl"},
        ), bad
    assert await stored_urls(context) == [(None, intranet)]
