"""Every statement of this process that may change what a bearer token resolves to moves
the principal clock, before it runs and again once its transaction has ended.

The watch sits on the engine (`before_cursor_execute`), under the ORM: it sees the ORM's
flushes, bulk UPDATE and DELETE, Core statements and text alike, in the API, the worker
and the CLI, whatever path wrote them. A statement is recognised by its SQL (the verdict
is kept per statement text, and texts repeat). The second step is taken when the
connection goes back to the pool, which is after its COMMIT or ROLLBACK has returned; a
connection that was invalidated instead (a lost connection, a cancelled commit) takes no
second step: its transaction may still commit on the server, so the cache stays off on
this host (see docs/accounts.md, "The principal cache").

INSERTs are not changes here: the cache holds only tokens that resolved, and a new row
cannot change what an existing token resolves to (the tokens' hashes are unique). An
INSERT that may update (`ON CONFLICT … DO UPDATE`, `INSERT OR REPLACE`) is a change.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from signflow.accounts.principal_clock import PrincipalClock

logger = logging.getLogger("signflow.principal_cache")

# The tables a `Principal` (or an API key's enterprise) is read from. The tests check
# that this covers every table of the token's statement.
WATCHED_TABLES = frozenset({"token_grants", "users", "enterprises", "api_keys"})
# The clock word read when the connection's transaction began, before any statement of it.
BEGIN_WORD = "signflow.principal_clock_at_begin"

_NAME = r'(?:"?\w+"?\.)?"?(\w+)"?'
_CHANGES = re.compile(
    r"\b(?:UPDATE(?:\s+OR\s+\w+)?(?:\s+ONLY)?|DELETE\s+FROM(?:\s+ONLY)?|ALTER\s+TABLE(?:\s+IF\s+EXISTS)?(?:\s+ONLY)?|DROP\s+TABLE(?:\s+IF\s+EXISTS)?"
    r"|REPLACE\s+INTO|INSERT\s+OR\s+REPLACE\s+INTO)\s+" + _NAME,
    re.IGNORECASE,
)
# TRUNCATE names a list of tables: any watched name in it counts.
_TRUNCATE = re.compile(r"\bTRUNCATE\b", re.IGNORECASE)
_WATCHED_NAME = re.compile(r"\b(?:" + "|".join(sorted(WATCHED_TABLES)) + r")\b", re.IGNORECASE)
_INSERT = re.compile(r"\bINSERT\s+INTO\s+" + _NAME, re.IGNORECASE)
_UPSERT = re.compile(r"\bON\s+CONFLICT\b.*\bDO\s+UPDATE\b", re.IGNORECASE | re.DOTALL)
_VERDICTS_KEPT = 4096


def changes_watched_rows(statement: str) -> bool:
    """Whether the SQL may change a row a token resolves through."""
    if any(match.group(1).lower() in WATCHED_TABLES for match in _CHANGES.finditer(statement)):
        return True
    if _TRUNCATE.search(statement) and _WATCHED_NAME.search(statement):
        return True
    inserts = {match.group(1).lower() for match in _INSERT.finditer(statement)}
    return bool(inserts & WATCHED_TABLES) and _UPSERT.search(statement) is not None


def watch_engine(engine: Engine, clock: PrincipalClock) -> None:
    """Install the two steps (and the begin stamp) on `engine`, a sync engine."""
    verdicts: dict[str, bool] = {}
    changing: set[Any] = set()  # connection records between their two steps

    @event.listens_for(engine, "begin")
    def _stamp_begin(conn: Any) -> None:
        conn.info[BEGIN_WORD] = clock.read()

    @event.listens_for(engine, "before_cursor_execute")
    def _before_change(
        conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        verdict = verdicts.get(statement)
        if verdict is None:
            verdict = changes_watched_rows(statement)
            if len(verdicts) < _VERDICTS_KEPT:
                verdicts[statement] = verdict
        if not verdict:
            return
        record = conn.connection._connection_record
        if record in changing:
            return
        clock.begin_change()
        changing.add(record)

    @event.listens_for(engine.pool, "checkin")
    def _after_change(dbapi_connection: Any, record: Any) -> None:
        if record not in changing:
            return
        changing.discard(record)
        if dbapi_connection is None:
            logger.warning(
                "a connection was lost after changing accounts or tokens: the principal "
                "cache stays off on this host (see docs/accounts.md)"
            )
            return
        clock.end_change()
