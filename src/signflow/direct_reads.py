"""Reads without a session: a Core SELECT handed straight to the driver on a pooled
connection (`read_only_connection`), for the hottest reads.

A read that is one Core SELECT needs neither a session nor SQLAlchemy's execution: the
statement is compiled once per dialect to its SQL text, and each read borrows a pooled
connection and hands that text to the driver itself. On PostgreSQL that is asyncpg's
`fetchrow`, which prepares the text once per connection and then only executes it (in
autocommit: no BEGIN, no COMMIT, as `db.read_only_options` says); on SQLite it is one
hop to aiosqlite's thread, which executes and fetches (no BEGIN: no write lock). The
values then pass through the same type processing SQLAlchemy would apply, so a read
gives what `Connection.execute(statement).first()` gives.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

if TYPE_CHECKING:
    from sqlalchemy.pool.base import _ConnectionFairy


@dataclass(frozen=True, slots=True)
class _DriverForm:
    """A SELECT as its driver takes it, for one dialect."""

    sql: str
    # Per position of the SQL's parameters: the name of the caller's parameter (None for
    # a value built into the statement, kept in `constant`), and its bind processing.
    arguments: tuple[tuple[str | None, Any, Callable[[Any], Any] | None], ...]
    row: Callable[..., Any]  # a named tuple of the statement's columns
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]

    def arguments_of(self, parameters: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, constant, process in self.arguments:
            if name is None:
                values.append(constant)
            else:
                value = parameters[name]
                values.append(value if process is None else process(value))
        return values

    def row_of(self, record: Any) -> Any:
        values = list(record)
        for index, process in self.processors:
            values[index] = process(values[index])
        return self.row(*values)


def _driver_form(statement: Select[Any], dialect: Dialect) -> _DriverForm:
    compiled = statement.compile(dialect=dialect)
    if compiled.positiontup is None or "POSTCOMPILE" in compiled.string:
        raise ValueError("a driver read needs a statement with plain positional parameters")
    arguments: list[tuple[str | None, Any, Callable[[Any], Any] | None]] = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required or bind.callable is not None:
            arguments.append((bind.key, None, process))
        else:  # a value of the statement itself: processed once, here
            arguments.append((None, bind.value if process is None else process(bind.value), None))
    columns = statement.selected_columns
    processors = []
    for index, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            processors.append((index, process))
    row = namedtuple("Row", list(columns.keys()))  # type: ignore[misc]
    return _DriverForm(compiled.string, tuple(arguments), row, tuple(processors))


# Per dialect (engines come and go in tests), per statement (built once, at import).
_FORMS: weakref.WeakKeyDictionary[Dialect, dict[int, tuple[Select[Any], _DriverForm]]] = (
    weakref.WeakKeyDictionary()
)


def driver_form(statement: Select[Any], dialect: Dialect) -> _DriverForm:
    """`statement` compiled for `dialect`, the first time it is asked for."""
    forms = _FORMS.setdefault(dialect, {})
    found = forms.get(id(statement))
    if found is None:
        found = forms[id(statement)] = (statement, _driver_form(statement, dialect))
    return found[1]


class ReadOnlyConnection:
    """A pooled connection lent for reads, driven without SQLAlchemy's execution."""

    __slots__ = ("_busy", "_dialect", "_driver", "_raw", "_sqlite")

    def __init__(self, raw: PoolProxiedConnection, dialect: Dialect) -> None:
        if dialect.driver not in ("asyncpg", "aiosqlite"):
            raise NotImplementedError(f"reads without a session on {dialect.driver}")
        self._raw = raw
        self._driver: Any = raw.driver_connection
        self._dialect = dialect
        self._sqlite = dialect.name == "sqlite"
        self._busy = False  # a statement is with the driver

    @property
    def dialect_name(self) -> str:
        return str(self._dialect.name)

    async def first(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Any | None:
        """The statement's first row (a named tuple of its columns), None without rows.
        For statements that give at most a row or a few: on SQLite every row is fetched
        in the same hop."""
        form = driver_form(statement, self._dialect)
        arguments = form.arguments_of(parameters)
        self._busy = True
        if self._sqlite:
            rows = await self._driver.execute_fetchall(form.sql, arguments)
            record = rows[0] if rows else None
        else:
            record = await self._driver.fetchrow(form.sql, *arguments)
        self._busy = False  # not when the driver raised: `release` closes the connection
        return None if record is None else form.row_of(record)

    async def release(self) -> None:
        """Back to the pool, without the pool's reset (a ROLLBACK, on SQLite one more hop
        to the driver's thread): reads without BEGIN leave no transaction to end. A
        connection whose statement was interrupted (an error or a cancellation with the
        driver), or that the driver says is in a transaction, is closed instead, its
        state unknown (the pool opens a new one in its place when next asked)."""
        raw = self._raw
        if self._busy or self._transaction_open():
            await greenlet_spawn(_invalidate_and_close, raw)
        else:
            # The pool's own check-in, told the transaction is already ended: a private
            # method of SQLAlchemy's pool (the version is pinned below 2.2 in
            # pyproject.toml; tests/test_db.py checks that no reset happens). In a
            # greenlet, as every return: a full pool closes the connection, and closing
            # an aiosqlite or asyncpg connection awaits.
            checkin = cast("_ConnectionFairy", raw)._checkin
            await greenlet_spawn(checkin, transaction_was_reset=True)

    def _transaction_open(self) -> bool:
        if self._sqlite:
            return bool(self._driver.in_transaction)
        return bool(self._driver.is_in_transaction())


def _invalidate_and_close(raw: PoolProxiedConnection) -> None:
    try:
        raw.invalidate()
    finally:
        raw.close()


@asynccontextmanager
async def read_only_connection(engine: AsyncEngine) -> AsyncIterator[ReadOnlyConnection]:
    """A pooled connection for reads without a session (`ReadOnlyConnection.first`),
    returned to the pool when the block ends, however it ends. The pool's checkout
    checks it as for any other use (`create_engine`'s `pre_ping`)."""
    connection = ReadOnlyConnection(await engine.raw_connection(), engine.dialect)
    try:
        yield connection
    finally:
        await connection.release()
