"""The registry of job kinds and what runs them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from signflow.models import Job

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from signflow.context import AppContext

# A job that keeps raising is given up after this many runs (about a day of backoff);
# a handler whose job's `attempts` reached it runs for the last time.
MAX_ATTEMPTS = 30


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class RetryAt:
    when: dt.datetime
    error: str


@dataclass(frozen=True)
class Failed:
    error: str


Outcome = Done | RetryAt | Failed


@dataclass(frozen=True)
class Finish:
    """The handler's last writes, which decide its outcome. The worker runs `write` in
    the transaction that records the outcome (shared with other jobs finishing at the
    same time), so the job's effects and its "done" are one commit: a worker dying in
    between cannot make the job run twice."""

    write: Callable[[AsyncSession], Awaitable[Outcome]]


Result = Outcome | Finish
Handler = Callable[["AppContext", Job], Awaitable[Result]]

_handlers: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if kind in _handlers and _handlers[kind] is not handler:
            raise ValueError(f"job kind {kind!r} already has a handler")
        _handlers[kind] = handler
        return handler

    return register


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)
