"""Enterprise API keys for the x-api-key face: shown once, stored hashed."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from signflow.accounts.credentials import hash_secret, new_secret
from signflow.accounts.principal import ApiKeyPrincipal
from signflow.accounts.principal_cache import (
    PRINCIPAL_CACHE_INFO,
    PrincipalCache,
    principal_cache_of,
)
from signflow.accounts.principal_watch import BEGIN_WORD
from signflow.accounts.tokens import ACCOUNT_DISABLED
from signflow.db import utcnow
from signflow.errors import Forbidden, NotFound, Unauthorized
from signflow.models import ApiKey, Enterprise

API_KEY_PREFIX = "sfk_"


async def create_api_key(
    session: AsyncSession, enterprise_id: int, name: str
) -> tuple[ApiKey, str]:
    value = new_secret(API_KEY_PREFIX)
    key = ApiKey(
        enterprise_id=enterprise_id, key_hash=hash_secret(value), prefix=value[:12], name=name
    )
    session.add(key)
    await session.flush()
    return key, value


async def list_api_keys(session: AsyncSession, enterprise_id: int) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.enterprise_id == enterprise_id).order_by(ApiKey.id)
    )
    return list(rows)


async def revoke_api_key(session: AsyncSession, enterprise_id: int, key_id: int) -> None:
    key = await session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.enterprise_id == enterprise_id)
    )
    if key is None:
        raise NotFound("API key not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()


# One round trip for the key and its enterprise. Built once, as the token's statement.
_KEY_WITH_ENTERPRISE = (
    select(ApiKey.id, ApiKey.prefix, ApiKey.revoked_at, Enterprise)
    .join(Enterprise, Enterprise.id == ApiKey.enterprise_id)
    .where(ApiKey.key_hash == bindparam("key_hash"))
)


def cached_api_key(
    sessions: async_sessionmaker[AsyncSession], value: str | None
) -> ApiKeyPrincipal | None:
    """The key's holder from the process's cache, without a transaction (None when it is
    not there): its enterprise comes detached, as from a transaction that has ended."""
    cache: PrincipalCache | None = sessions.kw["info"].get(PRINCIPAL_CACHE_INFO)
    if cache is None or not value:
        return None
    with Session() as scratch:
        return cache.get_api_key(hash_secret(value), scratch)


async def resolve_api_key(session: AsyncSession, value: str | None) -> ApiKeyPrincipal:
    """The key's holder: 401 for a missing, unknown or revoked key, 403 when its
    enterprise is disabled. Served from the principal cache when it holds the key (see
    docs/accounts.md, "The principal cache"), else read in one statement and kept."""
    if not value:
        raise Unauthorized("An x-api-key header is required")
    key_hash = hash_secret(value)
    cache = principal_cache_of(session)
    if cache is not None:
        cached = cache.get_api_key(key_hash, session.sync_session)
        if cached is not None:
            return cached
    row = (await session.execute(_KEY_WITH_ENTERPRISE, {"key_hash": key_hash})).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("The API key is not valid")
    enterprise: Enterprise = row.Enterprise
    if not enterprise.is_active:
        raise Forbidden(ACCOUNT_DISABLED)
    holder = ApiKeyPrincipal(enterprise=enterprise, key_id=row.id, key_prefix=row.prefix)
    if cache is not None:
        # The clock as it was when this transaction began, before any of its statements.
        began_at = session.sync_session.connection().info.get(BEGIN_WORD)
        if began_at is not None:
            cache.put_api_key(key_hash, began_at, holder)
    return holder
