"""SigningHub's POST /authenticate/sso, on SQLite and PostgreSQL, against an identity
provider on loopback (a real HTTP server publishing its discovery document and keys):
an integration exchanges its user's ID token for that user's tokens; any other token,
method, user or enterprise is refused in the vendor's error shape."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from authlib.jose import JsonWebKey, JsonWebToken

from signflow.context import AppContext
from tests.factories import Tenant, bearer

CLIENT_ID = "signflow-integration"
KEY = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})
FORGER = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})


async def _discovery(request: web.Request) -> web.Response:
    url = str(request.url.origin())
    return web.json_response(
        {
            "issuer": url,
            "authorization_endpoint": f"{url}/auth",
            "token_endpoint": f"{url}/token",
            "jwks_uri": f"{url}/jwks",
        }
    )


async def _jwks(_: web.Request) -> web.Response:
    return web.json_response({"keys": [KEY.as_dict(is_private=False)]})


@pytest.fixture
async def issuer() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", _discovery)
    app.router.add_get("/jwks", _jwks)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def id_token(issuer: str, email: str, key: Any = KEY, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": CLIENT_ID,
        "sub": email,
        "iat": now,
        "exp": now + 300,
        "email": email,
        "email_verified": True,
        **changes,
    }
    token: bytes = JsonWebToken(["RS256"]).encode({"alg": "RS256", "kid": "k1"}, claims, key)
    return token.decode()


async def integration(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
    }
    answer = await client.post("/authenticate", data=form)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def set_up(client: httpx.AsyncClient, tenant: Tenant, issuer: str, create: bool) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    body = {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": "unused-here",
        "auto_create_users": create,
    }
    answer = await client.put("/v4/enterprise/settings/sso", json=body, headers=admin)
    assert answer.status_code == 200, answer.text


async def test_an_id_token_is_exchanged_for_its_users_tokens(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, issuer: str
) -> None:
    await set_up(client, tenant, issuer, create=False)
    app = await integration(client, tenant)
    body = {"token": id_token(issuer, tenant.user_email), "method": "Azure_Active_Directory"}
    answer = await client.post("/authenticate/sso", json=body, headers=app)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"]
    me = await client.get(
        "/v4/account", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200, me.text
    assert tenant.user_email in me.text


async def test_other_tokens_methods_and_users_are_refused(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    other_tenant: Tenant,
    issuer: str,
) -> None:
    await set_up(client, tenant, issuer, create=False)
    app = await integration(client, tenant)
    cases = [
        ({"token": id_token(issuer, tenant.user_email, key=FORGER)}, 400),
        ({"token": id_token(issuer, tenant.user_email, aud="someone-else")}, 400),
        ({"token": id_token(issuer, tenant.user_email, exp=int(time.time()) - 3600)}, 400),
        ({"token": id_token("https://evil.test", tenant.user_email)}, 400),
        ({"token": "junk"}, 400),
        ({"token": id_token(issuer, tenant.user_email), "method": "Kerberos"}, 400),
        ({"token": id_token(issuer, tenant.user_email, email_verified=False)}, 403),
        ({"token": id_token(issuer, "stranger@acme.test")}, 403),
        ({"token": id_token(issuer, other_tenant.user_email)}, 403),
    ]
    for change, status in cases:
        body = {"method": "Office_365", **change}
        answer = await client.post("/authenticate/sso", json=body, headers=app)
        assert answer.status_code == status, (change, answer.text)
        assert set(answer.json()) == {"Message"}
    # Another enterprise's integration: its enterprise has no SSO set up.
    other_app = await integration(client, other_tenant)
    body = {"token": id_token(issuer, tenant.user_email), "method": "Office_365"}
    answer = await client.post("/authenticate/sso", json=body, headers=other_app)
    assert answer.status_code == 400 and "not set up" in answer.json()["Message"]
    unauthenticated = await client.post("/authenticate/sso", json=body)
    assert unauthenticated.status_code == 401


async def test_a_first_sign_in_creates_the_user_when_allowed(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, issuer: str
) -> None:
    await set_up(client, tenant, issuer, create=True)
    app = await integration(client, tenant)
    body = {"token": id_token(issuer, "newcomer@acme.test"), "method": "OpenID_Connect"}
    answer = await client.post("/authenticate/sso", json=body, headers=app)
    assert answer.status_code == 200, answer.text
