"""The compatibility rules real SigningHub client libraries depend on."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Tenant, bearer


@pytest.mark.parametrize("version", ["v3", "v4"])
async def test_about_needs_no_token(client: httpx.AsyncClient, version: str):
    response = await client.get(f"/{version}/about")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"installation_name", "version", "build"}


async def test_json_answers_even_when_the_client_asks_for_octet_stream(
    client: httpx.AsyncClient, tenant: Tenant
):
    headers = await bearer(client, tenant, tenant.user_email)
    headers["Accept"] = "application/octet-stream"
    response = await client.get("/v4/settings/profile", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["general"]["user_email"] == tenant.user_email


async def test_stray_upload_headers_are_ignored(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.user_email)
    headers |= {"x-file-name": "a.pdf", "x-source": "API", "x-convert-document": "true"}
    response = await client.get("/v3/settings/profile", headers=headers)
    assert response.status_code == 200


async def test_json_body_labelled_octet_stream_is_read_as_json(
    client: httpx.AsyncClient, tenant: Tenant
):
    headers = await bearer(client, tenant, tenant.admin_email)
    headers["Content-Type"] = "application/octet-stream"
    response = await client.post(
        "/v3/enterprise/users",
        content=b'{"user_email": "o@acme.test", "user_name": "O"}',
        headers=headers,
    )
    assert response.status_code == 201, response.text


async def test_malformed_json_is_a_400_in_vendor_shape(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.admin_email)
    response = await client.post(
        "/v3/enterprise/users",
        content=b'{"user_email": ',
        headers=headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"Message": "The request body is not valid JSON"}


async def test_missing_body_is_a_400_in_vendor_shape(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.admin_email)
    response = await client.post("/v3/enterprise/users", headers=headers)
    assert response.status_code == 400
    assert response.json() == {"Message": "The request body is required"}


async def test_unknown_paths_and_methods_answer_json(client: httpx.AsyncClient):
    missing = await client.get("/v3/no/such/thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert "Message" in missing.json()
    wrong_method = await client.delete("/v3/about")
    assert wrong_method.status_code == 405
    assert "Message" in wrong_method.json()


async def test_a_request_id_is_returned_and_echoed(client: httpx.AsyncClient):
    response = await client.get("/v3/about", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = await client.get("/v3/about")
    assert len(generated.headers["x-request-id"]) == 16


async def test_healthz_is_liveness_and_readyz_checks_the_database(client: httpx.AsyncClient):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    ready = await client.get("/readyz")  # no worker runs here: tests/operations/test_health
    assert ready.json()["database"] == "ok"


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient):
    spec = await client.get("/openapi.json")
    assert spec.status_code == 200
    assert "/authenticate" in spec.json()["paths"]
    assert "/v4/settings/profile" in spec.json()["paths"]
    docs = await client.get("/docs")
    assert docs.status_code == 200
