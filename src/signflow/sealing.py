"""Secrets at rest and signed links, both keyed from SECRET_KEY.

`seal`/`unseal`: AES-256-GCM under a key derived (HKDF-SHA256) for one purpose, for
secrets that must be used again (webhook signing secrets), so they cannot be hashed.
`sign_token`/`read_token`: an expiring, tamper-proof token for links that work
without a bearer token (document downloads in notifications).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from signflow.errors import SignflowError

_SALT_LEN = 16
_NONCE_LEN = 12
_VERSION = b"S1"


class UnsealError(SignflowError):
    default_message = "A stored secret cannot be decrypted with the configured SECRET_KEY"


class InvalidToken(Exception):
    """A link token that is malformed, forged or expired."""


class ExpiredToken(InvalidToken):
    """A link token whose signature is right but whose time is up."""


def derive_key(secret_key: str, purpose: str, salt: bytes = b"") -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt or None, info=purpose.encode())
    return hkdf.derive(secret_key.encode())


def seal(data: bytes, secret_key: str, purpose: str) -> bytes:
    salt, nonce = os.urandom(_SALT_LEN), os.urandom(_NONCE_LEN)
    aad = _VERSION + purpose.encode()
    sealed = AESGCM(derive_key(secret_key, purpose, salt)).encrypt(nonce, data, aad)
    return _VERSION + salt + nonce + sealed


def unseal(blob: bytes, secret_key: str, purpose: str) -> bytes:
    header = len(_VERSION) + _SALT_LEN + _NONCE_LEN
    if not blob.startswith(_VERSION) or len(blob) <= header:
        raise UnsealError("A stored secret is not in a known format")
    salt = blob[len(_VERSION) : len(_VERSION) + _SALT_LEN]
    nonce = blob[len(_VERSION) + _SALT_LEN : header]
    try:
        return AESGCM(derive_key(secret_key, purpose, salt)).decrypt(
            nonce, blob[header:], _VERSION + purpose.encode()
        )
    except InvalidTag as exc:
        raise UnsealError() from exc


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_token(secret_key: str, purpose: str, payload: dict[str, Any], ttl_seconds: int) -> str:
    body = dict(payload, exp=int(time.time()) + ttl_seconds)
    encoded = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(derive_key(secret_key, purpose), encoded.encode(), hashlib.sha256).digest()
    return f"{encoded}.{_b64(mac)}"


def read_token(secret_key: str, purpose: str, token: str) -> dict[str, Any]:
    encoded, _, signature = token.partition(".")
    try:
        expected = hmac.new(
            derive_key(secret_key, purpose), encoded.encode(), hashlib.sha256
        ).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise InvalidToken("the link signature does not match")
        payload = json.loads(_unb64(encoded))
    except (ValueError, TypeError) as exc:
        raise InvalidToken("the link is malformed") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        raise InvalidToken("the link is malformed")
    if payload["exp"] < time.time():
        raise ExpiredToken("the link has expired")
    return payload
