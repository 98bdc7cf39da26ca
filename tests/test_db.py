from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import event, select, text, update

from signflow import db
from signflow.context import AppContext
from signflow.db import (
    READ_ONLY,
    WriteInReadOnlyTransaction,
    any_of,
    read_transaction,
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
