"""On SQLite, wake the worker when another process commits a due job.

PostgreSQL tells the worker of every commit that enqueued jobs (LISTEN/NOTIFY). SQLite
has no such channel: a commit of this process sets the worker's event directly, but a
job committed by another process (a separate API process, a CLI command) was only seen
at the next idle poll, up to half a second later. SQLite does say, on any connection,
whether another connection has committed since it last asked (`PRAGMA data_version`,
a read of the shared-memory header, no lock taken); this watcher asks every few
milliseconds and, after a change, whether a due job is pending that the worker could
claim (an indexed read, which under WAL never waits for the writer), and wakes the
worker only then. A job waiting behind an earlier one of its ordering key does not
count: it is the earlier job's outcome that lets it through, and the worker that
records it claims again. The watch does not ask while the worker has no free slot or
is claiming (the claim finds what is due anyway); a commit made meanwhile is still seen
at its next look, `data_version` having moved. The worker's idle poll stays as the
fallback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite

from signflow.db import utcnow
from signflow.models import Job, JobStatus

logger = logging.getLogger("signflow.worker")

WATCH_SECONDS = 0.005

_DUE_JOB = (
    "SELECT EXISTS (SELECT 1 FROM jobs WHERE status = :pending AND due_at <= :now"
    " AND (ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM jobs AS earlier"
    " WHERE earlier.ordering_key = jobs.ordering_key AND earlier.id < jobs.id"
    " AND earlier.status IN (:pending, :running))))"
)


def _storing() -> Callable[[dt.datetime], Any]:
    """The moment as the column's own type stores it in SQLite, so the text compares right."""
    processor = Job.__table__.c.due_at.type.bind_processor(sqlite.dialect())
    assert processor is not None
    return processor


_stored = _storing()


class CommitWatch:
    """One read connection of its own, asked between the worker's rounds."""

    def __init__(self, database: Path) -> None:
        self._connection = sqlite3.connect(
            database, isolation_level=None, check_same_thread=False, timeout=0.0
        )
        self._version = self._data_version()

    def _data_version(self) -> int:
        row = self._connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def due_job_committed(self) -> bool:
        """Whether another connection committed since the last call and a job is due (and
        not waiting for an earlier job of its ordering key)."""
        version = self._data_version()
        if version == self._version:
            return False
        self._version = version
        row = self._connection.execute(
            _DUE_JOB,
            {
                "pending": JobStatus.PENDING.value,
                "running": JobStatus.RUNNING.value,
                "now": _stored(utcnow()),
            },
        ).fetchone()
        return bool(row[0])

    def close(self) -> None:
        self._connection.close()


async def watch_commits(
    database: Path, wake: asyncio.Event, stop: asyncio.Event, busy: Callable[[], bool]
) -> None:
    """Set `wake` when another connection commits while a job is due; `busy` says the
    worker has no free slot or is claiming (it claims again when a slot frees, and a
    claim finds what is due)."""
    watch = CommitWatch(database)
    try:
        while not stop.is_set():
            await asyncio.sleep(WATCH_SECONDS)
            if stop.is_set() or busy() or wake.is_set():
                continue
            try:
                if watch.due_job_committed():
                    wake.set()
            except sqlite3.OperationalError as exc:  # e.g. locked during a checkpoint
                logger.debug("commit watch could not read the database (%s)", exc)
    finally:
        watch.close()
