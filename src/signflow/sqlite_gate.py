"""One SQLite writer at a time in this process, the others waiting in line in asyncio.

SQLite has one write lock per database file. A connection that finds it taken sleeps
in SQLite's busy handler and tries again: after 1, 2, 5, 10, ... up to 100 ms per
try, with no order among the waiters. With the API's requests and the embedded worker
writing from one process, those sleeps were most of the time spent in SQLite (a
py-spy profile of the whole-workflow benchmark: 56% of the samples in `usleep`). So
each write transaction of the process first takes this gate, first come first served,
and is handed it the moment the previous writer's connection is returned; the busy
handler would only still wait for writers of other processes (a CLI command, a
separate worker, another API process); for those, `begin_immediate` retries the BEGIN
itself every fraction of a millisecond instead of sleeping SQLite's 1, 2, 5, ... ms
steps (a claim of the worker that lost the lock to another process by a hair had
waited up to 100 ms: most of the SQLite notification latency's tail).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.util import await_only

# The longest a writer waits in line, as long as SQLite's own busy timeout: a writer
# waiting for a transaction of its own task (a programming error) fails, not hangs.
WAIT_SECONDS = 15.0
BUSY_TIMEOUT_MS = round(WAIT_SECONDS * 1000)
# Pauses between tries of a BEGIN IMMEDIATE that found another process writing.
RETRY_FIRST_SECONDS = 0.0002
RETRY_MAX_SECONDS = 0.002


class WriteGate:
    def __init__(self, wait_seconds: float | None = None) -> None:
        self.wait_seconds = WAIT_SECONDS if wait_seconds is None else wait_seconds
        self._lock = asyncio.Lock()
        # The pool entry of the connection whose transaction holds the gate.
        self._holder: object | None = None

    def enter(self, connection_record: object) -> None:
        """Called where SQLAlchemy begins a write transaction, inside its greenlet."""
        if self._holder is connection_record:
            return  # a further transaction on a connection not yet returned
        await_only(self._acquire())
        self._holder = connection_record

    async def _acquire(self) -> None:
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._lock.acquire()
        except TimeoutError as exc:
            raise OperationalError(
                "BEGIN IMMEDIATE",
                {},
                RuntimeError(
                    f"database is locked: another write transaction of this process"
                    f" held it for over {self.wait_seconds:g} s"
                ),
            ) from exc

    def leave(self, connection_record: object) -> None:
        """Called when a connection returns to the pool: its transaction is over."""
        if self._holder is not None and self._holder is connection_record:
            self._holder = None
            self._lock.release()


def install(engine: Engine, gate: WriteGate) -> None:
    """Hand the gate on when a connection of `engine` returns to the pool. Entering it is
    up to the listener that begins transactions (`db._begin_immediate`), so that it
    comes before the BEGIN."""

    @event.listens_for(engine, "checkin")
    def _pass_turn(_dbapi_connection: Any, connection_record: Any) -> None:
        gate.leave(connection_record)


def _begin_immediate_in_thread(connection: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, retried in short steps while another process holds the write lock,
    for as long as the connection's busy timeout; runs in the connection's own thread
    (aiosqlite's), so its pauses block no one else. SQLite's busy handler is off only for
    the BEGIN: the statements after it, and every read, keep the busy timeout."""
    timeout_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
    deadline = time.monotonic() + timeout_ms / 1000
    pause = RETRY_FIRST_SECONDS
    connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", {}, exc) from exc
            time.sleep(pause)
            pause = min(2 * pause, RETRY_MAX_SECONDS)
    finally:
        connection.execute(f"PRAGMA busy_timeout={timeout_ms}")


def begin_immediate(dbapi_connection: Any) -> None:
    """BEGIN IMMEDIATE on SQLAlchemy's aiosqlite connection, in one hop to its thread
    (as SQLAlchemy's own adapter reaches it to set the isolation level); called inside
    SQLAlchemy's greenlet."""
    aio = dbapi_connection._connection
    await_only(aio._execute(lambda: _begin_immediate_in_thread(aio._conn)))
