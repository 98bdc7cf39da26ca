"""An enterprise's single sign-on settings through the admin API, on SQLite and
PostgreSQL: admins only, their own enterprise only, the client secret sealed and never
answered, the issuer checked."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import EnterpriseSso
from tests.factories import Tenant, bearer

PATH = "/v4/enterprise/settings/sso"
BODY = {
    "issuer": "https://login.example.test/tenant/v2.0/",
    "client_id": "signflow",
    "client_secret": "the-provider-secret",
    "auto_create_users": True,
}


async def test_an_admin_sets_reads_and_clears_sso(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    assert (await client.get(PATH, headers=admin)).status_code == 404
    put = await client.put(PATH, json=BODY, headers=admin)
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["issuer"] == "https://login.example.test/tenant/v2.0"
    assert body["client_secret_set"] is True and body["auto_create_users"] is True
    assert body["signin_url"].startswith("http://testserver/app/sso/")
    assert body["redirect_uri"] == "http://testserver/app/sso/callback"
    got = await client.get(PATH, headers=admin)
    assert got.json() == body and "the-provider-secret" not in got.text
    async with transaction(context.sessions) as session:
        row = await session.scalar(select(EnterpriseSso))
        assert row is not None and b"the-provider-secret" not in row.client_secret_sealed
        sealed = row.client_secret_sealed
    # Without a new secret, the stored one stays.
    kept = await client.put(PATH, json={**BODY, "client_secret": None}, headers=admin)
    assert kept.status_code == 200 and kept.json()["signin_url"] == body["signin_url"]
    async with transaction(context.sessions) as session:
        assert await session.scalar(select(EnterpriseSso.client_secret_sealed)) == sealed
    assert (await client.delete(PATH, headers=admin)).status_code == 200
    assert (await client.get(PATH, headers=admin)).status_code == 404


async def test_bad_settings_are_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    for change in (
        {"issuer": "http://login.example.test"},
        {"issuer": "ftp://login.example.test"},
        {"issuer": "https://login.example.test/?x=1"},
        {"client_id": " "},
        {"client_secret": None},  # none stored yet
    ):
        answer = await client.put(PATH, json={**BODY, **change}, headers=admin)
        assert answer.status_code == 400, (change, answer.text)
        assert set(answer.json()) == {"Message"}


async def test_only_admins_of_the_enterprise(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    user = await bearer(client, tenant, tenant.user_email)
    for method in ("GET", "PUT", "DELETE"):
        answer = await client.request(
            method, PATH, json=BODY if method == "PUT" else None, headers=user
        )
        assert answer.status_code == 403, answer.text
    admin = await bearer(client, tenant, tenant.admin_email)
    assert (await client.put(PATH, json=BODY, headers=admin)).status_code == 200
    other_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    assert (await client.get(PATH, headers=other_admin)).status_code == 404
    assert (await client.delete(PATH, headers=other_admin)).status_code == 404
    assert (await client.get(PATH, headers=admin)).status_code == 200
