"""The ID token's checks: a token from the provider's keys, for this client, from this
issuer, in time and with this sign-in's nonce is read; any other is refused."""

from __future__ import annotations

import time
from typing import Any

import pytest
from authlib.jose import JsonWebKey, JsonWebToken

from signflow.accounts.oidc import ProviderError, verify_id_token

ISSUER = "https://idp.example.test"
CLIENT = "signflow"
NONCE = "the-nonce"


def _key(kid: str) -> Any:
    return JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": kid})


PROVIDER_KEY = _key("provider")
OTHER_KEY = _key("provider")  # same kid, other key: a forger's


def _token(key: Any = PROVIDER_KEY, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "person-1",
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
        "email": "ana@example.test",
        "email_verified": True,
        **changes,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    token: bytes = JsonWebToken(["RS256"]).encode({"alg": "RS256", "kid": "provider"}, claims, key)
    return token.decode()


def _keys() -> dict[str, Any]:
    return {"keys": [PROVIDER_KEY.as_dict(is_private=False)]}


def test_a_good_token_is_read() -> None:
    identity = verify_id_token(_token(), _keys(), ISSUER, CLIENT, NONCE)
    assert (identity.subject, identity.email, identity.email_verified) == (
        "person-1",
        "ana@example.test",
        True,
    )


def test_an_unverified_address_is_read_as_such() -> None:
    identity = verify_id_token(_token(email_verified="true"), _keys(), ISSUER, CLIENT, NONCE)
    assert identity.email_verified is False  # only a JSON true counts


@pytest.mark.parametrize(
    "token",
    [
        _token(key=OTHER_KEY),
        _token(iss="https://evil.test"),
        _token(aud="another-client"),
        _token(nonce="another-nonce"),
        _token(nonce=None),
        _token(exp=int(time.time()) - 3600),
        _token(sub=None),
        "not.a.token",
    ],
    ids=["forged", "issuer", "audience", "nonce", "no-nonce", "expired", "no-subject", "junk"],
)
def test_any_other_token_is_refused(token: str) -> None:
    with pytest.raises(ProviderError):
        verify_id_token(token, _keys(), ISSUER, CLIENT, NONCE)


def test_an_unsigned_token_is_refused() -> None:
    header = JsonWebToken(["none"]).encode({"alg": "none"}, {"iss": ISSUER}, None)
    with pytest.raises(ProviderError):
        verify_id_token(header.decode(), _keys(), ISSUER, CLIENT, NONCE)
