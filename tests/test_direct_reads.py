"""Reads without a session (`direct_reads`): what SQLAlchemy would give, the last commit,
the pooled connection back however the block ends, no write lock on SQLite."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, Boolean, bindparam, event, func, literal, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from signflow.context import AppContext
from signflow.db import sqlite_file, transaction
from signflow.direct_reads import read_only_connection
from signflow.models import Enterprise
from tests.conftest import make_settings
from tests.factories import Tenant

_ENTERPRISE = select(
    Enterprise.id,
    Enterprise.name,
    Enterprise.is_active,
    Enterprise.created_at,
    bindparam("flag", type_=Boolean).label("flag"),
    literal("built in").label("constant"),
).where(
    Enterprise.id == bindparam("id"),
    Enterprise.created_at <= bindparam("now"),
    Enterprise.name != "nobody",
)
_OVERFLOW = select(func.abs(bindparam("value", type_=BigInteger)).label("value"))


def _enterprise(tenant: Tenant, **overrides: object) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return {"id": tenant.enterprise_id, "now": now, "flag": True} | overrides


async def test_a_read_without_a_session_gives_what_sqlalchemy_gives(
    context: AppContext, tenant: Tenant
) -> None:
    for parameters in (_enterprise(tenant), _enterprise(tenant, flag=False)):
        async with context.engine.connect() as conn:
            expected = (await conn.execute(_ENTERPRISE, parameters)).first()
        async with read_only_connection(context.engine) as connection:
            row = await connection.first(_ENTERPRISE, parameters)
        assert expected is not None and row is not None
        assert row == tuple(expected)
        assert row._fields == tuple(expected._mapping.keys())
        assert row.created_at.tzinfo is dt.UTC and row.constant == "built in"
    async with read_only_connection(context.engine) as connection:
        assert await connection.first(_ENTERPRISE, _enterprise(tenant, id=-1)) is None


async def test_each_read_without_a_session_reads_the_last_commit(
    context: AppContext, tenant: Tenant
) -> None:
    where = Enterprise.id == tenant.enterprise_id
    async with read_only_connection(context.engine) as connection:
        before = await connection.first(_ENTERPRISE, _enterprise(tenant))
        async with transaction(context.sessions) as session:
            await session.execute(update(Enterprise).where(where).values(name="Renamed"))
        after = await connection.first(_ENTERPRISE, _enterprise(tenant))
    assert before is not None and after is not None
    assert (before.name, after.name) == (tenant.name, "Renamed")


async def test_the_connection_goes_back_to_the_pool_however_the_block_ends(
    context: AppContext, tenant: Tenant
) -> None:
    pool: Any = context.engine.pool
    resets: list[bool] = []

    def on_reset(_dbapi_connection: Any, _record: Any, state: Any) -> None:
        resets.append(state.transaction_was_reset)

    event.listen(context.engine.sync_engine.pool, "reset", on_reset)
    try:
        out = pool.checkedout()
        async with read_only_connection(context.engine) as connection:
            await connection.first(_ENTERPRISE, _enterprise(tenant))
        # No transaction was begun: the pool's ROLLBACK is skipped.
        assert (pool.checkedout(), resets) == (out, [True])

        with pytest.raises(LookupError):
            async with read_only_connection(context.engine) as connection:
                await connection.first(_ENTERPRISE, _enterprise(tenant))
                raise LookupError
        assert pool.checkedout() == out

        # The driver fails mid-statement (an integer overflow on both databases): that
        # connection is closed, and the next read has a sound one.
        with pytest.raises(Exception, match=r"(?i)overflow|out of range"):
            async with read_only_connection(context.engine) as connection:
                await connection.first(_OVERFLOW, {"value": -(2**63)})
        assert pool.checkedout() == out

        # A connection somebody left in a transaction is not handed out again.
        async with read_only_connection(context.engine) as connection:
            await connection._driver.execute("BEGIN")
        assert pool.checkedout() == out
        async with read_only_connection(context.engine) as connection:
            assert not connection._transaction_open()
            row = await connection.first(_ENTERPRISE, _enterprise(tenant))
        assert row is not None and row.name == tenant.name
        assert pool.checkedout() == out
    finally:
        event.remove(context.engine.sync_engine.pool, "reset", on_reset)


async def test_a_read_without_a_session_takes_no_write_lock_on_sqlite(
    sqlite_url: str, tmp_path: Path
) -> None:
    """While a read's connection is held, another process may begin a write at once."""
    context = AppContext.create(make_settings(sqlite_url, tmp_path))
    path = sqlite_file(sqlite_url)
    assert path is not None
    try:
        async with read_only_connection(context.engine) as connection:
            row = await connection.first(
                _ENTERPRISE, {"id": -1, "now": dt.datetime.now(dt.UTC), "flag": True}
            )
            assert row is None
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            finally:
                other.close()
    finally:
        await context.close()


async def test_a_connection_returned_to_a_full_pool_is_closed_cleanly(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Past the pool's size, a returned connection is closed, which awaits the driver."""
    engine = create_async_engine(database_url, pool_size=1, max_overflow=1)
    try:
        async with AsyncExitStack() as stack:
            for _ in range(2):
                connection = await stack.enter_async_context(read_only_connection(engine))
                assert await connection.first(_OVERFLOW, {"value": 7}) == (7,)
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        await engine.dispose()
