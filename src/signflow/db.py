"""Engine, sessions and the declarative base shared by every model."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    any_,
    bindparam,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute
from sqlalchemy.types import TypeDecorator

from signflow import sqlite_gate
from signflow.file_modes import create_private_file
from signflow.sqlite_driver import one_trip_dbapi
from signflow.sqlite_gate import WriteGate

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases and in-memory ones."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _configure_sqlite(foreign_keys: bool, dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun explicitly (see _begin_immediate), not by the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    cursor.execute(f"PRAGMA busy_timeout={sqlite_gate.BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Connections per process on PostgreSQL, and no overflow: an overflow connection is
# closed as soon as it is returned to a full pool, and under a burst that means a new
# connection (and TLS handshake) per transaction. Past the pool, work queues instead.
POOL_SIZE = 20
# On SQLite a connection is a file handle and aiosqlite's thread, opened on demand. The
# pool keeps as many as a busy process has requests in flight: with SQLAlchemy's default
# (5, and 10 more closed on their return), 32 concurrent reads closed and reopened a
# connection (a thread, the pragmas) on most returns, about half of a read's CPU.
SQLITE_POOL_SIZE = 32


def create_engine(
    url: str, *, echo: bool = False, pre_ping: bool = True, foreign_keys: bool = True
) -> AsyncEngine:
    """`pre_ping` checks each PostgreSQL connection before use, so that no request fails
    on a connection a database restart killed; a process that retries its work anyway
    (the worker) saves that round trip per transaction, and loses one try per restart.

    `foreign_keys=False` (SQLite only) is for migrations: SQLite rebuilds a table to
    change its constraints, and with enforcement on, dropping the old table would
    cascade into (or be refused by) the tables that refer to it. SQLite ignores the
    pragma inside a transaction, so it is set when the connection opens."""
    if is_sqlite(url):
        database = sqlite_file(url)
        if database is not None and database.parent.is_dir():
            # SQLite creates the file with the umask's mode, and its -wal and -shm files
            # with the database file's: a file created here first keeps all three 0600.
            create_private_file(database)
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": 15},
            module=one_trip_dbapi(),
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_SIZE,
        )
        event.listen(engine.sync_engine, "connect", partial(_configure_sqlite, foreign_keys))
        # aiosqlite's default deferred BEGIN lets two writers deadlock on upgrade;
        # BEGIN IMMEDIATE serialises writers up front, as SQLite intends. The writers of
        # this process wait for their turn in line, not in SQLite's busy handler.
        gate = WriteGate()
        sqlite_gate.install(engine.sync_engine, gate)
        event.listen(engine.sync_engine, "begin", partial(_begin_immediate, gate))
    else:
        engine = create_async_engine(url, echo=echo, pool_size=POOL_SIZE, max_overflow=0)
        if pre_ping:
            event.listen(engine.sync_engine, "checkin", _note_checkin)
            event.listen(engine.sync_engine, "checkout", _check_before_use)
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes_when_read_only)
    return engine


# A connection back in the pool for less than this is trusted if its socket is still
# open: a restart or a terminated backend closes the socket, which asyncpg notices as
# soon as the event loop reads it. Past it, a middlebox may have dropped the connection
# silently, and only a round trip tells.
PING_AFTER_IDLE_S = 2.0
_CHECKED_IN_AT = "signflow_checked_in_at"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN_AT] = time.monotonic()


def _check_before_use(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """`pool_pre_ping`'s check, paid only where it can find something: a connection whose
    socket closed is replaced at once, one idle for longer than `PING_AFTER_IDLE_S` is
    pinged in one round trip (SQLAlchemy's asyncpg adapter pings inside a BEGIN …
    ROLLBACK of its own unless the connection is in autocommit). Under load, connections
    come back within milliseconds, and the ping was a fifth of a read's cost. A connection
    that fails either check is replaced (the pool retries the checkout with a new one)."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the pooled connection was closed by the server")
    idle = time.monotonic() - record.info.get(_CHECKED_IN_AT, float("-inf"))
    if idle < PING_AFTER_IDLE_S:
        return
    was_autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.ping()
    except Exception as exc:
        raise DisconnectionError("the pooled connection did not answer a ping") from exc
    finally:
        dbapi_connection.autocommit = was_autocommit


# Execution option for a transaction that only reads: on SQLite it runs without BEGIN and
# so takes no write lock (under WAL, readers never wait for the writer).
READ_ONLY = "signflow_read_only"


def _begin_immediate(gate: WriteGate, conn: Any) -> None:
    if conn.get_execution_options().get(READ_ONLY, False):
        # No BEGIN: each statement reads the last committed state by itself, as on
        # PostgreSQL (`read_only_options`), and the BEGIN's three hops to aiosqlite's
        # thread are saved. Python's sqlite3 opens a transaction only before a write,
        # and a write here is refused (`_refuse_writes_when_read_only`).
        return
    gate.enter(conn.connection._connection_record)
    sqlite_gate.begin_immediate(conn.connection.dbapi_connection)


class WriteInReadOnlyTransaction(RuntimeError):
    """A transaction declared read-only tried to write: a programming error, raised on
    every database (not only when SQLite's deferred lock upgrade happens to collide)."""


_WRITE_KEYWORDS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})


def _refuse_writes_when_read_only(
    conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    if not conn.get_execution_options().get(READ_ONLY, False):
        return
    first_word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if first_word in _WRITE_KEYWORDS:
        raise WriteInReadOnlyTransaction(f"{first_word} in a read-only transaction")


def dialect_insert(session: AsyncSession) -> Callable[..., Any]:
    """INSERT with ON CONFLICT support for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block succeeds, rolls back when it raises."""
    async with factory() as session, session.begin():
        yield session


def read_only_options(session: AsyncSession) -> dict[str, object]:
    """The execution options of a transaction that only reads (a write in it raises, on
    every database). On SQLite it runs without BEGIN, each statement reading by itself, so
    it takes no write lock and holds no snapshot between statements. On
    PostgreSQL it runs in autocommit: at READ COMMITTED (PostgreSQL's default, which
    Signflow keeps) each statement of a transaction takes its own snapshot anyway, so a
    BEGIN and a COMMIT would be two round trips that buy nothing."""
    if session.get_bind().dialect.name == "postgresql":
        return {READ_ONLY: True, "isolation_level": "AUTOCOMMIT"}
    return {READ_ONLY: True}


@asynccontextmanager
async def read_transaction(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A transaction that only reads (`read_only_options`)."""
    async with factory() as session, session.begin():
        await session.connection(execution_options=read_only_options(session))
        yield session


@asynccontextmanager
async def statements(
    factory: async_sessionmaker[AsyncSession], *, read_only: bool = False
) -> AsyncIterator[AsyncSession]:
    """For one statement, or reads that need no snapshot in common: on PostgreSQL each
    statement commits by itself (autocommit), which saves the BEGIN and COMMIT round
    trips; on SQLite an ordinary transaction (BEGIN IMMEDIATE is what takes its write
    lock), read-only when asked."""
    engine = factory.kw["bind"]
    if engine.dialect.name != "postgresql":
        opener = read_transaction if read_only else transaction
        async with opener(factory) as session:
            yield session
        return
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY: read_only})
    async with factory(bind=autocommit) as session:
        yield session


def any_of(
    session: AsyncSession,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    values: Iterable[Any],
) -> ColumnElement[bool]:
    """`column IN (values)` as one statement text whatever the number of values: on
    PostgreSQL `column = ANY(array)`, which the server prepares once, where an IN list
    is a new statement to prepare for every length (the worker's rounds vary)."""
    found = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, found, type_=postgresql.ARRAY(column.type)))
    return column.in_(found)
