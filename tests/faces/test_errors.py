"""Errors every face shares: rendered in the dialect's shape, never a 500 for the client's
own mistakes."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from signflow.app import create_app
from signflow.context import AppContext
from signflow.faces.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    DATABASE_UNAVAILABLE_TEXT,
    OUT_OF_RANGE_TEXT,
)
from tests.conftest import make_settings
from tests.factories import Tenant, bearer

UNAVAILABLE = DATABASE_UNAVAILABLE_TEXT

HUGE = 2**70  # past any 64-bit column


@pytest.mark.parametrize(
    "path",
    [
        f"/v3/packages/{HUGE}/workflow",
        f"/v4/packages/{HUGE}/documents/1/details",
        f"/v3/webhooks/{HUGE}",
    ],
)
async def test_an_id_past_64_bits_is_a_400_not_a_500(
    client: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    """Found by the OpenAPI fuzz test: such ids reached the database and answered 500."""
    headers = await bearer(client, tenant, tenant.admin_email)
    response = await client.get(path, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json() == {"Message": OUT_OF_RANGE_TEXT}


async def test_a_pki_key_of_any_length_is_a_404_not_a_500(client: httpx.AsyncClient) -> None:
    """/pki takes the enterprise's random key, not an id: a number, however large, or a
    long string names nothing."""
    for key in (str(HUGE), "x" * 5000, "%00"):
        response = await client.get(f"/pki/{key}/ca.crt")
        assert response.status_code == 404, response.text
        assert response.json() == {"Message": "No certificate authority for this enterprise"}


async def test_an_offset_past_64_bits_is_a_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(
        f"/v3/webhooks/{HUGE}/deliveries?offset={HUGE}",
        headers=await bearer(client, tenant, tenant.admin_email),
    )
    assert response.status_code == 400, response.text
    assert response.json() == {"Message": OUT_OF_RANGE_TEXT}


@pytest.fixture
async def database_away(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app over a PostgreSQL that does not answer: nothing listens on the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = make_settings(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/none", tmp_path)
    context = AppContext.create(settings)
    app = create_app(context=context)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        await context.close()


@pytest.mark.parametrize(
    ("path", "headers", "body"),
    [
        ("/v3/packages/1/workflow", {"Authorization": "Bearer sfa_x"}, {"Message": UNAVAILABLE}),
        ("/JSON/list/flat", {"x-api-key": "sfk_x"}, None),
    ],
)
async def test_a_database_that_does_not_answer_is_a_503_with_retry_after(
    database_away: httpx.AsyncClient, path: str, headers: dict[str, str], body: object
) -> None:
    response = await database_away.get(path, headers=headers)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(DATABASE_RETRY_AFTER_SECONDS)
    if body is not None:
        assert response.json() == body
    else:
        assert UNAVAILABLE in response.text
