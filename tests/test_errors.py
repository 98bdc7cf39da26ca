from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter

from signflow.app import create_app
from signflow.context import AppContext
from tests.factories import Tenant, bearer


async def test_an_unexpected_error_is_a_generic_500_without_a_trace(context: AppContext):
    app = create_app(context=context)
    router = APIRouter()

    @router.get("/v3/explode")
    async def explode() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    app.include_router(router)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/v3/explode")
    assert response.status_code == 500
    assert response.json() == {
        "Message": "An internal server error occurred while processing the request"
    }
    assert "passwd" not in response.text


async def test_bodies_over_the_cap_are_refused_with_413(context: AppContext, tenant: Tenant):
    app = create_app(context=context)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    too_big = b"x" * (context.settings.max_upload_bytes * 2)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        owner = await bearer(client, tenant, tenant.admin_email)
        declared = await client.post("/v3/enterprise/users", content=too_big, headers=owner)

        async def chunks():  # no Content-Length: counted while streaming
            for _ in range(80):
                yield b"x" * (1024 * 1024)

        streamed = await client.post("/v3/enterprise/users", content=chunks(), headers=owner)
    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert declared.json() == {"Message": "The request body is too large"}
    assert streamed.json() == {"Message": "The request body is larger than the limit of 1 MB"}


async def test_a_client_that_stalls_mid_body_gets_408(context: AppContext, tenant: Tenant):
    context.settings.body_read_timeout_seconds = 0.3
    app = create_app(context=context)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async def stalling():
        yield b'{"user_email": '
        await asyncio.sleep(1.0)
        yield b'"x@y.z"}'

    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        owner = await bearer(client, tenant, tenant.admin_email)
        response = await client.post("/v3/enterprise/users", content=stalling(), headers=owner)
    assert response.status_code == 408
    assert response.json() == {"Message": "The request body arrived too slowly"}
