"""The database pool's use, counted by SQLAlchemy's pool events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from signflow.observability.metrics import POOL_CAPACITY, POOL_IN_USE, POOL_OPEN


def instrument_pool(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    if isinstance(pool, QueuePool):
        POOL_CAPACITY.inc(pool.size() + max(pool._max_overflow, 0))

    def on_connect(*_: Any) -> None:
        POOL_OPEN.inc()

    def on_close(*_: Any) -> None:
        POOL_OPEN.dec()

    def on_checkout(*_: Any) -> None:
        POOL_IN_USE.inc()

    def on_checkin(*_: Any) -> None:
        POOL_IN_USE.dec()

    event.listen(pool, "connect", on_connect)
    event.listen(pool, "close", on_close)
    event.listen(pool, "close_detached", on_close)
    event.listen(pool, "checkout", on_checkout)
    event.listen(pool, "checkin", on_checkin)


def release_pool_gauges(engine: AsyncEngine) -> None:
    """An engine disposed in a process that goes on (tests, CLI commands): its capacity
    no longer counts."""
    pool = engine.sync_engine.pool
    if isinstance(pool, QueuePool):
        POOL_CAPACITY.dec(pool.size() + max(pool._max_overflow, 0))
