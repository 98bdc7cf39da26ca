from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import BigInteger, Boolean, bindparam, event, func, literal, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from signflow import db
from signflow.context import AppContext
from signflow.db import (
    READ_ONLY,
    WriteInReadOnlyTransaction,
    any_of,
    read_only_connection,
    read_transaction,
    sqlite_file,
    statements,
    transaction,
)
from signflow.models import Enterprise
from tests.conftest import make_settings
from tests.factories import Tenant


async def test_a_read_only_transaction_reads_and_refuses_writes(
    context: AppContext, tenant: Tenant
) -> None:
    async with transaction(context.sessions) as session:
        await session.connection(execution_options={READ_ONLY: True})
        name = await session.scalar(
            select(Enterprise.name).where(Enterprise.id == tenant.enterprise_id)
        )
        assert name == tenant.name
        with pytest.raises(WriteInReadOnlyTransaction, match="UPDATE"):
            await session.execute(
                update(Enterprise).where(Enterprise.id == tenant.enterprise_id).values(name="x")
            )
    async with transaction(context.sessions) as session:
        name = await session.scalar(
            select(Enterprise.name).where(Enterprise.id == tenant.enterprise_id)
        )
    assert name == tenant.name


@pytest.mark.parametrize("how_many", [0, 1, 3])
async def test_any_of_matches_a_set_of_any_size(
    context: AppContext, tenant: Tenant, how_many: int
) -> None:
    wanted = [tenant.enterprise_id, -1, -2][:how_many]
    async with read_transaction(context.sessions) as session:
        found = list(
            await session.scalars(
                select(Enterprise.id).where(any_of(session, Enterprise.id, wanted))
            )
        )
    assert found == ([tenant.enterprise_id] if how_many else [])


async def test_statements_read_only_refuses_writes_and_reads(
    context: AppContext, tenant: Tenant
) -> None:
    async with statements(context.sessions, read_only=True) as session:
        name = await session.scalar(
            select(Enterprise.name).where(Enterprise.id == tenant.enterprise_id)
        )
        assert name == tenant.name
        with pytest.raises(WriteInReadOnlyTransaction):
            await session.execute(update(Enterprise).values(name="x"))


async def test_statements_commit_each_statement_on_postgresql(
    context: AppContext, tenant: Tenant
) -> None:
    async with statements(context.sessions) as session:
        await session.execute(
            update(Enterprise).where(Enterprise.id == tenant.enterprise_id).values(name="Renamed")
        )
        if context.engine.dialect.name == "postgresql":
            # Autocommit: another connection sees the change before the block ends.
            async with transaction(context.sessions) as other:
                seen = await other.scalar(
                    select(Enterprise.name).where(Enterprise.id == tenant.enterprise_id)
                )
            assert seen == "Renamed"
    async with transaction(context.sessions) as session:
        name = await session.scalar(
            select(Enterprise.name).where(Enterprise.id == tenant.enterprise_id)
        )
    assert name == "Renamed"


async def test_a_read_only_transaction_takes_no_begin_on_postgresql(
    context: AppContext, tenant: Tenant
) -> None:
    """At READ COMMITTED a transaction gives its reads no common snapshot: on PostgreSQL
    a read-only one runs without BEGIN and COMMIT (each statement its own, so each has
    its own `now()`, where a transaction has one throughout)."""
    async with read_transaction(context.sessions) as session:
        first = await session.scalar(text("SELECT CURRENT_TIMESTAMP"))
        await asyncio.sleep(0.05)
        second = await session.scalar(text("SELECT CURRENT_TIMESTAMP"))
        with pytest.raises(WriteInReadOnlyTransaction):
            await session.execute(update(Enterprise).values(name="x"))
    if context.engine.dialect.name == "postgresql":
        assert first != second


async def test_each_statement_of_a_read_only_transaction_reads_the_last_commit(
    context: AppContext, tenant: Tenant
) -> None:
    """No snapshot is held between the statements of a read-only transaction, on either
    database: on SQLite it runs without BEGIN (saving its hops to aiosqlite's thread), as
    on PostgreSQL in autocommit. A BEGIN would pin the first read's snapshot (WAL)."""
    where = Enterprise.id == tenant.enterprise_id
    async with read_transaction(context.sessions) as session:
        before = await session.scalar(select(Enterprise.name).where(where))
        async with transaction(context.sessions) as other:
            await other.execute(update(Enterprise).where(where).values(name="Renamed"))
        after = await session.scalar(select(Enterprise.name).where(where))
    assert (before, after) == (tenant.name, "Renamed")


async def test_a_pooled_connection_the_server_dropped_is_replaced_before_use(
    postgres_url: str, tmp_path: Path
) -> None:
    """The ping at checkout (one round trip) finds the dead connection, and the pool
    hands out a new one: the caller never sees the drop."""
    context = AppContext.create(make_settings(postgres_url, tmp_path))
    try:
        async with read_transaction(context.sessions) as session:
            backend = await session.scalar(text("SELECT pg_backend_pid()"))
        killer = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", backend)
        finally:
            await killer.close()
        await asyncio.sleep(0.1)
        async with read_transaction(context.sessions) as session:
            replaced = await session.scalar(text("SELECT pg_backend_pid()"))
        assert replaced != backend
    finally:
        await context.close()


@pytest.mark.parametrize("idle_limit", [0.0, 3600.0])
async def test_only_a_connection_idle_past_the_limit_is_pinged_before_use(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, idle_limit: float
) -> None:
    """The ping (`;`) is the backend's last statement after a checkout exactly when the
    connection had been idle longer than `PING_AFTER_IDLE_S`; otherwise the last one is
    still the pool's reset at the previous return."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", idle_limit)
    context = AppContext.create(make_settings(postgres_url, tmp_path))
    observer = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))
    try:
        async with context.engine.connect() as conn:
            backend = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with context.engine.connect():
            last = await observer.fetchval(
                "SELECT query FROM pg_stat_activity WHERE pid = $1", backend
            )
        assert last == (";" if idle_limit == 0.0 else "ROLLBACK;")
    finally:
        await observer.close()
        await context.close()


# Typed columns and parameters both ways: a UTC timestamp, a boolean, a parameter of the
# caller's whose type comes from its column, a value built into the statement.
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


async def test_sqlite_keeps_a_connection_per_request_in_flight(tmp_path: Path):
    """A burst of concurrent reads opens its connections once: later bursts reuse them
    (SQLAlchemy's default pool closed all but five on their return)."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda *_: opened.append(object()))
    in_flight = db.SQLITE_POOL_SIZE

    async def read(barrier: asyncio.Barrier) -> None:
        async with engine.connect() as connection:
            await barrier.wait()  # every read holds its connection at once
            await connection.execute(text("SELECT 1"))

    try:
        for _ in range(3):
            barrier = asyncio.Barrier(in_flight)
            await asyncio.gather(*(read(barrier) for _ in range(in_flight)))
        assert len(opened) == in_flight
    finally:
        await engine.dispose()
