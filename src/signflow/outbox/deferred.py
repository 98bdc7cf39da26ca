"""Writes that jobs finishing in one round make together, as one statement each.

A job's `Finish` write that updates rows by key does not execute its statement:
it hands the statement and its parameters over (`defer`), and the round runs every
deferred statement once, with all the jobs' parameters (`run_deferred`). Rows a
job adds with `session.add` are batched by the ORM's flush the same way, as long
as the writes execute nothing in between.
"""

from __future__ import annotations

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession

_DEFERRED = "signflow.outbox.deferred"


def defer(session: AsyncSession, statement: Executable, parameters: dict[str, object]) -> None:
    """`statement` must be a constant (a module-level statement with bind parameters),
    so that every job's parameters join the same execution."""
    pending: dict[Executable, list[dict[str, object]]] = session.info.setdefault(_DEFERRED, {})
    pending.setdefault(statement, []).append(parameters)


async def run_deferred(session: AsyncSession) -> None:
    pending: dict[Executable, list[dict[str, object]]] = session.info.pop(_DEFERRED, {})
    for statement, parameters in pending.items():
        await session.execute(statement, parameters)
