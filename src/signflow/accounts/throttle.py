"""Throttling of failed sign-ins, per account and per client address.

Failures are counted in their own committed transaction: the request that
failed rolls back, but its failure must still count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import case, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signflow.config import Settings
from signflow.db import UTCDateTime, dialect_insert, transaction, utcnow
from signflow.errors import TooManyRequests
from signflow.models import AuthFailure


def throttle_keys(*, account: str | None, address: str | None) -> list[str]:
    keys = []
    if account:
        keys.append(f"account:{account.strip().lower()}")
    if address:
        keys.append(f"address:{address}")
    return keys


async def ensure_not_throttled(
    session: AsyncSession, settings: Settings, keys: Sequence[str]
) -> None:
    if not keys:
        return
    rows = await session.scalars(select(AuthFailure).where(AuthFailure.key.in_(keys)))
    now = utcnow()
    window = dt.timedelta(seconds=settings.signin_window_seconds)
    waits = [
        (row.window_started_at + window - now).total_seconds()
        for row in rows
        if row.count >= settings.signin_max_failures and row.window_started_at + window > now
    ]
    if waits:
        raise TooManyRequests(
            "Too many failed sign-in attempts; try again later", retry_after=int(max(waits)) + 1
        )


async def record_failure(
    factory: async_sessionmaker[AsyncSession], settings: Settings, keys: Sequence[str]
) -> None:
    now = literal(utcnow(), UTCDateTime())
    cutoff = literal(utcnow() - dt.timedelta(seconds=settings.signin_window_seconds), UTCDateTime())
    async with transaction(factory) as session:
        insert = dialect_insert(session)
        expired = AuthFailure.window_started_at < cutoff
        for key in keys:
            statement = insert(AuthFailure).values(key=key, count=1, window_started_at=now)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[AuthFailure.key],
                    set_={
                        "count": case((expired, 1), else_=AuthFailure.count + 1),
                        "window_started_at": case(
                            (expired, now), else_=AuthFailure.window_started_at
                        ),
                    },
                )
            )


async def clear_failures(session: AsyncSession, account: str) -> None:
    row = await session.get(AuthFailure, throttle_keys(account=account, address=None)[0])
    if row is not None:
        await session.delete(row)
