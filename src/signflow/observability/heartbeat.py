"""Workers say they are alive: a row per worker in `worker_heartbeats`, written every
`worker_heartbeat_seconds` while its loop runs, deleted when it stops.

A row is written by the worker's own event loop, next to the job loop: a loop that is
blocked, or a worker task that ended, stops the beats. /readyz and /metrics read the rows,
so any API process sees every worker, on this machine or another.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import WorkerHeartbeat
from signflow.outbox.worker import Worker
from signflow.retention.sweep import ensure_sweep

logger = logging.getLogger("signflow.worker")

# Rows of workers that died without deleting theirs are removed after this long.
FORGET_AFTER = dt.timedelta(days=1)


def stale_after(interval_seconds: float) -> dt.timedelta:
    """A worker whose last beat is older than this is taken for dead (three missed beats)."""
    return dt.timedelta(seconds=3 * interval_seconds)


async def beat(session: AsyncSession, worker_id: str) -> None:
    now = utcnow()
    updated = await session.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id).values(beat_at=now)
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.add(
            WorkerHeartbeat(
                worker_id=worker_id,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                started_at=now,
                beat_at=now,
            )
        )
        await session.execute(
            delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER)
        )


async def _beat_until(context: AppContext, worker_id: str, job_loop: asyncio.Task[None]) -> None:
    interval = context.settings.worker_heartbeat_seconds
    while not job_loop.done():
        try:
            async with transaction(context.sessions) as session:
                await beat(session, worker_id)
        except Exception as exc:  # the database may be away: the next beat tries again
            logger.warning("worker %s could not write its heartbeat (%s)", worker_id, exc)
        await asyncio.wait([job_loop], timeout=interval)


async def run_worker(context: AppContext, stop: asyncio.Event) -> None:
    """The outbox worker's loop, with its heartbeat beside it."""
    worker = Worker(context)
    try:
        await ensure_sweep(context)
    except Exception as exc:  # the database may be away: the next start schedules it
        logger.warning(
            "worker %s could not schedule the retention sweep (%s)", worker.worker_id, exc
        )
    job_loop = asyncio.create_task(worker.run_forever(stop))
    beats = asyncio.create_task(_beat_until(context, worker.worker_id, job_loop))
    try:
        await job_loop
    finally:
        beats.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beats
        try:
            async with transaction(context.sessions) as session:
                await session.execute(
                    delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker.worker_id)
                )
        except Exception as exc:  # stopping anyway: the row goes stale and is forgotten
            logger.warning("worker %s could not remove its heartbeat (%s)", worker.worker_id, exc)


async def last_beat_age(session: AsyncSession) -> float | None:
    """Seconds since the most recent beat of any worker; None when no worker has a row."""
    latest: dt.datetime | None = await session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    if latest is None:
        return None
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=dt.UTC)
    return max(0.0, (utcnow() - latest).total_seconds())


async def live_workers(session: AsyncSession, interval_seconds: float) -> int:
    since = utcnow() - stale_after(interval_seconds)
    count = await session.scalar(
        select(func.count()).select_from(WorkerHeartbeat).where(WorkerHeartbeat.beat_at >= since)
    )
    return int(count or 0)
