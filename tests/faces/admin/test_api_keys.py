"""Enterprise API keys: admins create (shown once), list and revoke; a revoked key is refused."""

from __future__ import annotations

import httpx

from tests.factories import Tenant, bearer


async def test_api_keys_lifecycle(client: httpx.AsyncClient, tenant: Tenant):
    admin = await bearer(client, tenant, tenant.admin_email)
    user = await bearer(client, tenant, tenant.user_email)
    refused = await client.post("/v3/enterprise/apikeys", json={"name": "erp"}, headers=user)
    assert refused.status_code == 403
    created = await client.post("/v3/enterprise/apikeys", json={"name": "erp"}, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("sfk_") and body["key"].startswith(body["prefix"])
    listed = (await client.get("/v3/enterprise/apikeys", headers=admin)).json()
    assert [k["name"] for k in listed] == ["bootstrap", "erp"]
    assert all("key" not in k for k in listed)
    works = await client.get("/JSON/list/flat", headers={"x-api-key": body["key"]})
    assert works.status_code == 200
    revoked = await client.delete(f"/v3/enterprise/apikeys/{body['id']}", headers=admin)
    assert (revoked.status_code, revoked.content) == (200, b"")
    refused_key = await client.get("/JSON/list/flat", headers={"x-api-key": body["key"]})
    assert refused_key.status_code == 401
    missing = await client.delete("/v3/enterprise/apikeys/99999", headers=admin)
    assert missing.status_code == 404
    bad = await client.post("/v3/enterprise/apikeys", json={}, headers=admin)
    assert bad.status_code == 400
