"""Secrets handed out once and stored only as hashes.

Passwords are low-entropy, so they get argon2id. Tokens, client secrets and API
keys are 256-bit random values, for which a SHA-256 digest is as strong as any
slow hash and lets us look them up by value.

argon2 costs tens of milliseconds of CPU and 19 MiB per call: requests hash and
verify passwords with the `*_off_loop` functions, in a few threads of their own (the
library releases the GIL), so the event loop keeps serving while they run, and a
flood of sign-ins queues for those threads instead of taking every core and gigabytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

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


# One thread per core: more would only share the cores and multiply the memory.
_password_threads = ThreadPoolExecutor(
    max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="signflow-argon2"
)


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_password_threads, verify_password, password_hash, password)


async def hash_password_off_loop(password: str) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_password_threads, hash_password, password)


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def secret_matches(value: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(value), stored_hash)
