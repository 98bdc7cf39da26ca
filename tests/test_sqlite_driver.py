"""SQLite statements make one trip to aiosqlite's thread, and SQLAlchemy reads of them
what it read before: rows, description, row counts, last row ids, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from signflow.db import create_engine
from signflow.sqlite_driver import OneTripCursor


async def _trips_counted(connection: Any) -> list[str]:
    """Counts the calls the connection's aiosqlite thread runs from now on."""
    raw = await connection.get_raw_connection()
    aiosqlite_connection = raw.driver_connection
    trips: list[str] = []
    real = aiosqlite_connection._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await real(fn, *args, **kwargs)

    aiosqlite_connection._execute = counted
    return trips


async def test_each_statement_is_one_trip_with_everything_sqlalchemy_reads(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INT)")
            )
            raw = await connection.get_raw_connection()
            assert isinstance(raw.dbapi_connection.cursor(), OneTripCursor)
            trips = await _trips_counted(connection)

            inserted = await connection.execute(
                text("INSERT INTO t (name, n) VALUES (:name, :n)"), {"name": "a", "n": 1}
            )
            assert inserted.lastrowid == 1
            many = await connection.execute(
                text("INSERT INTO t (name, n) VALUES (:name, :n)"),
                [{"name": "b", "n": 2}, {"name": "c", "n": 3}],
            )
            assert many.rowcount == 2
            returned = await connection.execute(
                text("INSERT INTO t (name, n) VALUES ('d', 4) RETURNING id, name")
            )
            assert [tuple(row) for row in returned] == [(4, "d")]
            updated = await connection.execute(text("UPDATE t SET n = n * 10 WHERE n >= 2"))
            assert updated.rowcount == 3
            result = await connection.execute(text("SELECT name, n FROM t ORDER BY id"))
            assert list(result.keys()) == ["name", "n"]
            assert [tuple(row) for row in result] == [("a", 1), ("b", 20), ("c", 30), ("d", 40)]
            assert trips == ["_run"] * 5
    finally:
        await engine.dispose()


async def test_errors_and_rollbacks_are_as_before(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'two.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (name TEXT UNIQUE)"))
            await connection.execute(text("INSERT INTO t VALUES ('a')"))
        with pytest.raises(IntegrityError, match="UNIQUE"):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES ('b')"))
                await connection.execute(text("INSERT INTO t VALUES ('a')"))
        async with engine.connect() as connection:
            names = (await connection.execute(text("SELECT name FROM t"))).scalars().all()
            assert names == ["a"]  # the failed transaction's first insert was rolled back
            empty = await connection.execute(text("SELECT name FROM t WHERE name = 'z'"))
            assert empty.first() is None
    finally:
        await engine.dispose()
