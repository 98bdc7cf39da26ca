"""The caller's profile: the guide's full shape, and the general and locale updates."""

from __future__ import annotations

import httpx

from tests.factories import Tenant, bearer


async def test_profile_has_the_guides_shape_and_updates(client: httpx.AsyncClient, tenant: Tenant):
    headers = await bearer(client, tenant, tenant.user_email)
    profile = (await client.get("/v4/settings/profile", headers=headers)).json()
    # Every key the erwinmintiens client's User class reads.
    general = profile["general"]
    for key in (
        "user_email",
        "user_name",
        "job_title",
        "company_name",
        "mobile_number",
        "enterprise_role",
        "ra_userid",
        "user_national_id",
    ):
        assert key in general
    assert profile["security"] == {"question": None}
    assert profile["locale"] == {"country": None, "timezone": None, "language": None}
    assert profile["enterprise"] == {
        "enterprise_name": "Acme",
        "owner": profile["enterprise"]["owner"],
        "owner_email": tenant.admin_email,
        "mobile_number": None,
    }

    update = {
        "user_name": "Ann Other",
        "job_title": "Notary",
        "company_name": "Acme NV",
        "mobile_number": "+32470000000",
        "country": "Belgium",
        "time_zone": "Europe/Brussels",
        "language": "nl-BE",
    }
    response = await client.put("/v4/settings/profile/general", json=update, headers=headers)
    assert response.status_code == 200, response.text
    assert response.content == b""
    locale = await client.put(
        "/v3/settings/profile/locale", json={"language": "fr-BE"}, headers=headers
    )
    assert locale.status_code == 200, locale.text
    profile = (await client.get("/v4/settings/profile", headers=headers)).json()
    assert profile["general"]["user_name"] == "Ann Other"
    assert profile["general"]["job_title"] == "Notary"
    assert profile["general"]["company_name"] == "Acme NV"
    assert profile["general"]["mobile_number"] == "+32470000000"
    assert profile["locale"] == {
        "country": "Belgium",
        "timezone": "Europe/Brussels",
        "language": "fr-BE",
    }
    # Only what is sent changes; an empty name is refused.
    partial = await client.put(
        "/v4/settings/profile/general", json={"job_title": ""}, headers=headers
    )
    assert partial.status_code == 200
    after = (await client.get("/v4/settings/profile", headers=headers)).json()["general"]
    assert (after["job_title"], after["company_name"]) == (None, "Acme NV")
    empty = await client.put(
        "/v4/settings/profile/general", json={"user_name": " "}, headers=headers
    )
    assert empty.status_code == 400
    assert empty.json() == {"Message": "user_name cannot be empty"}


async def test_no_device_is_registered_for_remote_signing(
    client: httpx.AsyncClient, tenant: Tenant
):
    headers = await bearer(client, tenant, tenant.user_email)
    response = await client.get("/v3/authorization/devices", headers=headers)
    assert response.status_code == 200
    assert response.json() == []
    assert (await client.get("/v4/authorization/devices")).status_code == 401


async def test_login_otp_is_refused_as_for_an_account_without_it(
    client: httpx.AsyncClient, tenant: Tenant
):
    headers = await bearer(client, tenant, tenant.user_email)
    for body in ({"mobile_number": "+32470123456"}, {}):
        response = await client.post("/v4/authentication/otp", json=body, headers=headers)
        assert (response.status_code, response.json()) == (
            403,
            {"Message": "You are not authorized to perform the requested operation"},
        )
    assert (await client.post("/v3/authentication/otp", json={})).status_code == 401
