"""The SQLite writers of one process take turns in asyncio, never in the busy handler."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from signflow import sqlite_gate
from signflow.db import create_engine, read_transaction, transaction


def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    # A writer that met another's lock would fail at once instead of sleeping: every
    # write below succeeds only if the gate kept the writers apart.
    dbapi_connection.execute("PRAGMA busy_timeout=0")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    event.listen(engine.sync_engine, "connect", _no_busy_wait)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE log (writer INTEGER, step INTEGER)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine)


async def _write(sessions: async_sessionmaker[AsyncSession], writer: int) -> None:
    async with transaction(sessions) as session:
        await session.execute(text("INSERT INTO log VALUES (:w, 1)"), {"w": writer})
        await asyncio.sleep(0.005)  # other writers arrive while this one holds the lock
        await session.execute(text("INSERT INTO log VALUES (:w, 2)"), {"w": writer})


async def _hold_the_lock(
    sessions: async_sessionmaker[AsyncSession], holding: asyncio.Event, release: asyncio.Event
) -> None:
    """Writer 0: writes, says so, and keeps its transaction open until released."""
    async with transaction(sessions) as session:
        await session.execute(text("INSERT INTO log VALUES (0, 1)"))
        holding.set()
        await release.wait()


async def test_concurrent_writers_take_turns(sessions: async_sessionmaker[AsyncSession]):
    await asyncio.gather(*(_write(sessions, writer) for writer in range(12)))
    async with read_transaction(sessions) as session:
        rows = (await session.execute(text("SELECT writer, step FROM log ORDER BY rowid"))).all()
    # Every writer got through, and each one's two rows are together: one at a time.
    order = [row.writer for row in rows[::2]]
    assert sorted(order) == list(range(12))
    assert [tuple(row) for row in rows] == [(w, s) for w in order for s in (1, 2)]


async def test_a_reader_does_not_wait_for_the_writer(sessions: async_sessionmaker[AsyncSession]):
    holding, release = asyncio.Event(), asyncio.Event()
    long_writer = partial(_hold_the_lock, sessions, holding, release)
    writer = asyncio.create_task(long_writer())
    await holding.wait()
    async with asyncio.timeout(2):
        async with read_transaction(sessions) as session:
            assert await session.scalar(text("SELECT count(*) FROM log")) == 0
    release.set()
    await writer


async def test_a_writer_kept_waiting_too_long_fails_clearly_and_the_line_moves_on(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setattr(sqlite_gate, "WAIT_SECONDS", 0.2)
    short = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    short_sessions = async_sessionmaker(short)
    try:
        async with transaction(short_sessions) as session:
            await session.execute(text("INSERT INTO log VALUES (0, 1)"))
            with pytest.raises(OperationalError, match="another write transaction"):
                # A write transaction of the same task, while the first is open.
                async with transaction(short_sessions) as nested:
                    await nested.execute(text("INSERT INTO log VALUES (1, 1)"))
        await _write(short_sessions, 2)
    finally:
        await short.dispose()


async def test_a_writer_cancelled_while_waiting_leaves_the_line_working(
    sessions: async_sessionmaker[AsyncSession],
):
    holding, release = asyncio.Event(), asyncio.Event()
    long_writer = partial(_hold_the_lock, sessions, holding, release)
    first = asyncio.create_task(long_writer())
    await holding.wait()
    waiting = asyncio.create_task(_write(sessions, 1))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await first
    async with asyncio.timeout(2):
        await _write(sessions, 2)
    async with read_transaction(sessions) as session:
        writers = set(await session.scalars(text("SELECT writer FROM log")))
    assert writers == {0, 2}


def _other_process_holds_the_lock(database: Path) -> sqlite3.Connection:
    """A writer the gate does not know of (as another process's would be)."""
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO log VALUES (9, 1)")
    return other


async def test_a_writer_waits_for_another_process_within_the_busy_timeout(
    tmp_path: Path,
):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE log (writer INTEGER, step INTEGER)"))
    other = _other_process_holds_the_lock(tmp_path / "other.db")
    try:
        writer = asyncio.create_task(_write(async_sessionmaker(engine), 1))
        await asyncio.sleep(0.05)
        assert not writer.done()  # still retrying its BEGIN
        other.execute("COMMIT")
        async with asyncio.timeout(5):
            await writer
        async with read_transaction(async_sessionmaker(engine)) as session:
            rows = (await session.execute(text("SELECT writer, step FROM log"))).all()
        assert [tuple(row) for row in rows] == [(9, 1), (1, 1), (1, 2)]
    finally:
        other.close()
        await engine.dispose()


async def test_a_writer_past_the_busy_timeout_fails_and_the_connection_keeps_it(
    tmp_path: Path,
):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    event.listen(engine.sync_engine, "connect", _short_busy_timeout)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE log (writer INTEGER, step INTEGER)"))
    other = _other_process_holds_the_lock(tmp_path / "other.db")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            await _write(async_sessionmaker(engine), 1)
        other.execute("COMMIT")
        async with engine.connect() as connection:
            # The BEGIN's retries turned the busy handler off only for themselves.
            timeout = await connection.scalar(text("PRAGMA busy_timeout"))
        assert timeout == 50
        await _write(async_sessionmaker(engine), 2)
    finally:
        other.close()
        await engine.dispose()


def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=50")
