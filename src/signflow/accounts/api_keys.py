"""Enterprise API keys for the x-api-key face: shown once, stored hashed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.credentials import hash_secret, new_secret
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


async def resolve_api_key(session: AsyncSession, value: str | None) -> Enterprise:
    if not value:
        raise Unauthorized("An x-api-key header is required")
    key = await session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_secret(value), ApiKey.revoked_at.is_(None))
    )
    if key is None:
        raise Unauthorized("The API key is not valid")
    enterprise = await session.get_one(Enterprise, key.enterprise_id)
    if not enterprise.is_active:
        raise Forbidden(ACCOUNT_DISABLED)
    return enterprise
