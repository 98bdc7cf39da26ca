"""Integration applications' embedding, for admins: list, set origins and callback."""

from __future__ import annotations

import httpx

from tests.factories import Tenant, bearer


async def application_id(client: httpx.AsyncClient, admin: dict[str, str], tenant: Tenant) -> int:
    listed = await client.get("/v4/enterprise/applications", headers=admin)
    assert listed.status_code == 200, listed.text
    assert listed.headers["x-total-records"] == str(len(listed.json()))
    (application,) = [a for a in listed.json() if a["client_id"] == tenant.client_id]
    found: int = application["id"]
    return found


async def test_an_admin_sets_the_origins_and_the_callback(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    app_id = await application_id(client, admin, tenant)
    path = f"/v3/enterprise/applications/{app_id}/embedding"
    response = await client.put(
        path,
        json={
            "allowed_origins": ["https://ERP.example.com:443/", "http://localhost:8080"],
            "callback_url": "https://erp.example.com/signed?x=1",
        },
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": app_id,
        "client_id": tenant.client_id,
        "allowed_origins": ["https://erp.example.com", "http://localhost:8080"],
        "callback_url": "https://erp.example.com/signed?x=1",
    }
    listed = await client.get("/v4/enterprise/applications", headers=admin)
    assert listed.json()[0]["allowed_origins"] == [
        "https://erp.example.com",
        "http://localhost:8080",
    ]
    cleared = await client.put(path, json={"allowed_origins": []}, headers=admin)
    assert cleared.json()["allowed_origins"] == [] and cleared.json()["callback_url"] is None


async def test_bad_origins_and_callbacks_are_refused_in_the_vendor_shape(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    path = f"/v4/enterprise/applications/{await application_id(client, admin, tenant)}/embedding"
    cases = [
        ({"allowed_origins": ["http://erp.example.com"]}, "must be an https origin"),
        ({"allowed_origins": ["https://erp.example.com/path"]}, "is not an origin"),
        ({"allowed_origins": ["https://*.example.com"]}, "is not an origin"),
        ({"allowed_origins": ["erp.example.com"]}, "is not an origin"),
        ({"allowed_origins": ["https://u:p@erp.example.com"]}, "user name or password"),
        (
            {"allowed_origins": ["https://erp.example.com"], "callback_url": "https://x.test/"},
            "on the host of one of the allowed origins",
        ),
        (
            {"allowed_origins": [], "callback_url": "http://erp.example.com/back"},
            "callback_url must be an https URL",
        ),
        ({"allowed_origins": ["https://a.test"] * 21}, None),
        ({}, None),
    ]
    for body, message in cases:
        response = await client.put(path, json=body, headers=admin)
        assert response.status_code == 400, (body, response.text)
        assert set(response.json()) == {"Message"}, response.text
        if message:
            assert message in response.json()["Message"], response.text


async def test_only_an_admin_of_the_enterprise_may(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    app_id = await application_id(client, admin, tenant)
    body = {"allowed_origins": ["https://erp.example.com"]}
    user = await bearer(client, tenant, tenant.user_email)
    path = f"/v4/enterprise/applications/{app_id}/embedding"
    assert (await client.put(path, json=body, headers=user)).status_code == 403
    assert (await client.get("/v4/enterprise/applications", headers=user)).status_code == 403
    assert (await client.put(path, json=body)).status_code == 401
    other_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    theirs = await client.put(path, json=body, headers=other_admin)
    assert theirs.status_code == 404, theirs.text
    listed = await client.get("/v4/enterprise/applications", headers=other_admin)
    assert app_id not in [a["id"] for a in listed.json()]
    unchanged = await client.get("/v4/enterprise/applications", headers=admin)
    assert unchanged.json()[0]["allowed_origins"] == []
