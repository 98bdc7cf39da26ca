"""One SQLite writer at a time in this process, the others waiting in line in asyncio.

SQLite has one write lock per database file. A connection that finds it taken sleeps
in SQLite's busy handler and tries again: after 1, 2, 5, 10, ... up to 100 ms per
try, with no order among the waiters. With the API's requests and the embedded worker
writing from one process, those sleeps were most of the time spent in SQLite (a
py-spy profile of the whole-workflow benchmark: 56% of the samples in `usleep`). So
each write transaction of the process first takes this gate, first come first served,
and is handed it the moment the previous writer's connection is returned; the busy
handler only still waits for writers of other processes (a CLI command, a separate
worker).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.util import await_only

# The longest a writer waits in line, as long as SQLite's own busy timeout: a writer
# waiting for a transaction of its own task (a programming error) fails, not hangs.
WAIT_SECONDS = 15.0


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
