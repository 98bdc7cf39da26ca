from __future__ import annotations

import httpx
import pytest

from tests.factories import Tenant, bearer


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"enterprise_rate_per_second": 0.5, "enterprise_rate_burst": 3}


async def test_one_enterprise_flooding_does_not_starve_another(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    flooding = await bearer(client, tenant, tenant.user_email)
    calm = await bearer(client, other_tenant, other_tenant.user_email)
    answers = [
        (await client.get("/v3/settings/profile", headers=flooding)).status_code for _ in range(5)
    ]
    assert answers[:3] == [200, 200, 200]
    assert answers[3:] == [429, 429]
    limited = await client.get("/v3/settings/profile", headers=flooding)
    assert limited.json()["Message"] == "Too many requests for this enterprise; slow down"
    assert 1 <= int(limited.headers["retry-after"]) <= 3
    assert (await client.get("/v3/settings/profile", headers=calm)).status_code == 200


async def test_the_api_key_face_is_limited_too(client: httpx.AsyncClient, tenant: Tenant):
    headers = {"x-api-key": tenant.api_key}
    answers = [
        (await client.get("/JSON/list/flat?state=*", headers=headers)).status_code for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]
