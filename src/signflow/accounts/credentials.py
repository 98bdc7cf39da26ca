"""Secrets handed out once and stored only as hashes.

Passwords are low-entropy, so they get argon2id. Tokens, client secrets and API
keys are 256-bit random values, for which a SHA-256 digest is as strong as any
slow hash and lets us look them up by value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum for argon2id: m=19 MiB, t=2, p=1.
_password_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# A real hash to verify against when the account does not exist, so that a
# wrong email costs as much time as a wrong password.
_DUMMY_HASH = _password_hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash or _DUMMY_HASH, password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def secret_matches(value: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(value), stored_hash)
