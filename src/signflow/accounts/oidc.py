"""OpenID Connect with an enterprise's provider (Authlib): discovery, the authorization
code flow with PKCE (S256), and the ID token's checks (signature against the provider's
published keys, issuer, audience, expiry, nonce)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from signflow.accounts.sso import Identity
from signflow.errors import BadRequest

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

# Authlib is imported where a sign-in through a provider uses it, not with every API
# process: most deployments never configure single sign-on.

SCOPE = "openid email profile"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
TIMEOUT_SECONDS = 10
LEEWAY_SECONDS = 60
PROVIDER_FAILED = "sso.provider"


class ProviderError(BadRequest):
    """The provider could not be reached, or answered something that does not hold."""

    default_message = PROVIDER_FAILED


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None


@dataclass(frozen=True)
class Started:
    url: str
    state: str
    nonce: str
    code_verifier: str


async def _get_json(url: str, access_token: str | None = None) -> dict[str, Any]:
    headers = {"accept": "application/json"}
    if access_token:
        headers["authorization"] = f"Bearer {access_token}"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
            response = await http.get(url, headers=headers)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderError() from exc
    if not isinstance(body, dict):
        raise ProviderError()
    return body


async def provider_keys(provider: Provider) -> dict[str, Any]:
    return await _get_json(provider.jwks_uri)


async def discover(issuer: str) -> Provider:
    """The provider's endpoints from its discovery document, which must name `issuer`."""
    meta = await _get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
    endpoints = [meta.get(k) for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")]
    if meta.get("issuer") != issuer or not all(isinstance(e, str) and e for e in endpoints):
        raise ProviderError()
    userinfo = meta.get("userinfo_endpoint")
    authorization, token, jwks = (str(e) for e in endpoints)
    return Provider(
        issuer, authorization, token, jwks, userinfo if isinstance(userinfo, str) else None
    )


def _client(client_id: str, client_secret: str, redirect_uri: str) -> AsyncOAuth2Client:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    return AsyncOAuth2Client(
        client_id=client_id,
        client_secret=client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT_SECONDS,
    )


def start(provider: Provider, client_id: str, redirect_uri: str) -> Started:
    """Where to send the browser, and the state, nonce and PKCE verifier to keep."""
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    client = _client(client_id, "", redirect_uri)
    url, _ = client.create_authorization_url(
        provider.authorization_endpoint, state=state, nonce=nonce, code_verifier=verifier
    )
    return Started(url, state, nonce, verifier)


async def finish(
    provider: Provider,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    nonce: str,
) -> Identity:
    """Exchange the code for tokens, and read the person from the checked ID token."""
    from authlib.oauth2 import OAuth2Error

    async with _client(client_id, client_secret, redirect_uri) as client:
        try:
            token = await client.fetch_token(
                provider.token_endpoint, code=code, code_verifier=code_verifier
            )
        except (OAuth2Error, httpx.HTTPError, ValueError) as exc:
            raise ProviderError() from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise ProviderError()
    keys = await _get_json(provider.jwks_uri)
    identity = verify_id_token(id_token, keys, provider.issuer, client_id, nonce)
    access_token = token.get("access_token")
    if identity.email is None and provider.userinfo_endpoint and isinstance(access_token, str):
        # Providers that keep the ID token minimal give the address at userinfo.
        info = await _get_json(provider.userinfo_endpoint, access_token)
        if info.get("sub") != identity.subject:
            raise ProviderError()
        identity = _identity(identity.subject, info)
    return identity


def _identity(subject: str, claims: Mapping[str, Any]) -> Identity:
    email, name = claims.get("email"), claims.get("name")
    return Identity(
        subject=subject,
        email=email if isinstance(email, str) else None,
        email_verified=claims.get("email_verified") is True,
        name=name if isinstance(name, str) else None,
    )


def verify_id_token(
    id_token: str, keys: dict[str, Any], issuer: str, client_id: str, nonce: str | None
) -> Identity:
    """The person an ID token names, once every check holds; `nonce` None for a token
    handed over by an integration (`POST /authenticate/sso`), which has no sign-in of
    ours to bind it to."""
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import JoseError

    options: dict[str, dict[str, Any]] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    try:
        claims = JsonWebToken(ALGORITHMS).decode(
            id_token, JsonWebKey.import_key_set(keys), claims_options=options
        )
        claims.validate(leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError) as exc:
        raise ProviderError() from exc
    return _identity(str(claims["sub"]), claims)
