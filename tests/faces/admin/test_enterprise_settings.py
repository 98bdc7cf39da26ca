"""An enterprise's branding and default language, set by its admins; SigningHub's
GET enterprise/branding reads the branding; the pages serve its logo and accent."""

from __future__ import annotations

import base64
import hashlib

import httpx

from tests.branding.test_checks import image
from tests.factories import Tenant, bearer

BRANDING = "/v4/enterprise/settings/branding"
LANGUAGE = "/v3/enterprise/settings/language"


async def test_an_admin_brands_the_enterprise_and_clients_read_it(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    empty = await client.get(BRANDING, headers=admin)
    assert empty.json() == {
        "display_name": None,
        "accent_color": None,
        "logo": None,
        "logo_type": None,
    }
    logo = image("PNG")
    body = {
        "display_name": " Acme Leasing ",
        "accent_color": "#7A1F5C",
        "logo": base64.b64encode(logo).decode(),
    }
    response = await client.put(BRANDING, json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "display_name": "Acme Leasing",
        "accent_color": "#7a1f5c",
        "logo": body["logo"],
        "logo_type": "image/png",
    }
    assert (await client.get(BRANDING, headers=admin)).json() == response.json()

    # Any user of the enterprise reads it the SigningHub way.
    user = await bearer(client, tenant, tenant.user_email)
    digest = hashlib.sha256(logo).hexdigest()
    for version in ("v3", "v4"):
        seen = await client.get(
            f"/{version}/enterprise/branding", headers={**user, "x-base64": "True"}
        )
        assert seen.status_code == 200, seen.text
        data = seen.json()
        assert set(data) == {"logo", "logo_url", "favicon", "favicon_url", "colors"}
        assert base64.b64decode(data["logo"]) == logo
        assert data["logo_url"].endswith(f"/web/brand/logo/{digest}")
        assert data["favicon"] is None and data["favicon_url"] is None
        assert list(data["colors"]) == [f"level_{n}" for n in range(1, 14)]
        assert data["colors"]["level_1"] == "#7a1f5c"
    without_base64 = (await client.get("/v4/enterprise/branding", headers=user)).json()
    assert without_base64["logo"] is None and without_base64["logo_url"] == data["logo_url"]

    # The page files: the logo by its digest, the accent's stylesheet by its colour.
    served = await client.get(f"/web/brand/logo/{digest}")
    assert served.status_code == 200 and served.content == logo
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    css = await client.get("/web/brand/accent/7a1f5c.css")
    assert css.status_code == 200 and "--brand: #7a1f5c" in css.text
    assert css.headers["content-type"].startswith("text/css")
    assert (await client.get(f"/web/brand/logo/{'0' * 64}")).status_code == 404
    assert (await client.get("/web/brand/logo/../../etc")).status_code == 404
    assert (await client.get("/web/brand/accent/ffcc00.css")).status_code == 404

    # Null clears each one.
    cleared = await client.put(BRANDING, json={}, headers=admin)
    assert cleared.json() == empty.json()
    assert (await client.get(f"/web/brand/logo/{digest}")).status_code == 404
    defaults = (await client.get("/v4/enterprise/branding", headers=user)).json()
    assert defaults["logo_url"] is None and defaults["colors"]["level_1"] == "#0b57d0"


async def test_bad_branding_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    good = {"display_name": "Acme", "accent_color": "#0b57d0"}
    assert (await client.put(BRANDING, json=good, headers=admin)).status_code == 200
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    cases = [
        ({"accent_color": "#ffcc00"}, "contrast of 1.51:1 with white"),
        ({"accent_color": "#777777"}, "at least 4.5:1 (WCAG AA)"),
        ({"accent_color": "blue"}, "#rrggbb"),
        ({"logo": base64.b64encode(svg).decode()}, "SVG"),
        ({"logo": "not base64!"}, "base64"),
        ({"logo": base64.b64encode(image("GIF")).decode()}, "PNG or JPEG"),
        ({"display_name": "x" * 201}, None),
    ]
    for body, message in cases:
        response = await client.put(
            BRANDING, json={"display_name": "Changed", **body}, headers=admin
        )
        assert response.status_code == 400, (body, response.text)
        if message:
            assert message in response.json()["Message"], response.text
    kept = (await client.get(BRANDING, headers=admin)).json()
    assert (kept["display_name"], kept["accent_color"]) == ("Acme", "#0b57d0")


async def test_only_the_enterprise_admin_sets_them(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    user = await bearer(client, tenant, tenant.user_email)
    body = {"display_name": "Mine"}
    for path, payload in ((BRANDING, body), (LANGUAGE, {"default_language": "de"})):
        assert (await client.put(path, json=payload, headers=user)).status_code == 403
        assert (await client.get(path, headers=user)).status_code == 403
        assert (await client.put(path, json=payload)).status_code == 401
    other_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    assert (await client.put(BRANDING, json=body, headers=other_admin)).status_code == 200
    assert (
        await client.put(LANGUAGE, json={"default_language": "fr"}, headers=other_admin)
    ).status_code == 200
    # Each admin changed their own enterprise only.
    assert (await client.get(BRANDING, headers=admin)).json()["display_name"] is None
    assert (await client.get(LANGUAGE, headers=admin)).json()["default_language"] is None


async def test_the_default_language(client: httpx.AsyncClient, tenant: Tenant) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    first = await client.get(LANGUAGE, headers=admin)
    assert first.json()["default_language"] is None
    assert {"en", "es", "de", "fr", "nl", "pt"} <= set(first.json()["languages"])
    set_ = await client.put(LANGUAGE, json={"default_language": "de-AT"}, headers=admin)
    assert set_.status_code == 200 and set_.json()["default_language"] == "de"
    refused = await client.put(LANGUAGE, json={"default_language": "tlh"}, headers=admin)
    assert refused.status_code == 400
    assert refused.json()["Message"].startswith("Language 'tlh' is not supported")
    assert (await client.get(LANGUAGE, headers=admin)).json()["default_language"] == "de"
    cleared = await client.put(LANGUAGE, json={"default_language": None}, headers=admin)
    assert cleared.json()["default_language"] is None


async def test_a_body_larger_than_any_logo_is_refused_early(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    body = {"display_name": "Big", "logo": "A" * (400 * 1024)}
    response = await client.put(BRANDING, json=body, headers=admin)
    assert response.status_code == 413, response.text
    assert (await client.get(BRANDING, headers=admin)).json()["display_name"] is None
    just_over = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * (257 * 1024)).decode()
    refused = await client.put(BRANDING, json={"logo": just_over}, headers=admin)
    assert refused.status_code == 400 and "256 KB" in refused.json()["Message"]
