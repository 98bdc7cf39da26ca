"""Errors every face shares: rendered in the dialect's shape, never a 500 for the client's
own mistakes."""

from __future__ import annotations

import httpx
import pytest

from signflow.faces.errors import OUT_OF_RANGE_TEXT
from tests.factories import Tenant, bearer

HUGE = 2**70  # past any 64-bit column


@pytest.mark.parametrize(
    "path",
    [
        f"/v3/packages/{HUGE}/workflow",
        f"/v4/packages/{HUGE}/documents/1/details",
        f"/v3/webhooks/{HUGE}",
        f"/pki/{HUGE}/ca.crt",
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


async def test_an_offset_past_64_bits_is_a_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(
        f"/v3/webhooks/{HUGE}/deliveries?offset={HUGE}",
        headers=await bearer(client, tenant, tenant.admin_email),
    )
    assert response.status_code == 400, response.text
    assert response.json() == {"Message": OUT_OF_RANGE_TEXT}
