"""SQLite statements in one trip to aiosqlite's thread instead of four.

aiosqlite runs each call on its connection's own thread, and SQLAlchemy's adapter makes
four such calls per statement: open a cursor, execute, fetch the rows, close the cursor.
Each trip hands the call to the thread through a queue and the result back through the
event loop's wake-up pipe, about 20 us of CPU: 70 us for a one-row SELECT that costs 7 us
in sqlite3 itself, and 1 to 2 ms for a write request of twenty statements. The cursor here
does all four in one call on the thread and keeps what SQLAlchemy asks of it afterwards
(the description, the row count, the last row id, the rows): nothing else changes (the
same connection, thread, transactions, errors and, through `execute_mutex`, ordering).

It reaches into aiosqlite's `Connection._execute` and `_conn`, which every aiosqlite
release in the range `pyproject.toml` allows has (`tests/test_sqlite_driver.py` would fail
on one that had not).
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

Outcome = tuple[Any, int, int | None, list[Any] | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """On aiosqlite's thread: the statement and everything SQLAlchemy reads of it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No cursor on the thread yet: `_run` makes one per statement.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # DB-API: None before an INSERT

    async def _async_soft_close(self) -> None:
        """Nothing to close: the statement's cursor was closed on the thread."""

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._one_trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._one_trip(operation, seq_of_parameters, many=True)

    async def _one_trip(self, operation: str, parameters: Any, *, many: bool) -> None:
        connection: Any = self._connection  # aiosqlite's Connection; `_execute` is untyped
        async with self._adapt_connection._execute_mutex:
            outcome: Outcome = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows or ())


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the declared


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DB-API module, with connections whose cursors make one trip."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> OneTripDBAPI:
    """For `create_async_engine(..., module=one_trip_dbapi())` on a `sqlite+aiosqlite` URL."""
    return OneTripDBAPI(aiosqlite, sqlite3)
