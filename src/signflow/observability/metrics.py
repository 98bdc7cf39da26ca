"""The process's Prometheus metrics, counted where things happen.

With several processes on one machine (`serve --workers N`, a `signflow worker` beside
them) prometheus-client's multiprocess mode keeps each process's values in files under
PROMETHEUS_MULTIPROC_DIR, and /metrics adds them up. The mode is chosen when
prometheus-client is first imported, from that environment variable: `serve` sets it
before it starts the API processes (see enable_multiprocess).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# No `_created` series beside every counter: they double the page and nobody alerts on them.
disable_created_metrics()  # type: ignore[no-untyped-call]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
T = TypeVar("T")

# Request latencies: from a cached GET (milliseconds) to a large upload (seconds).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WORK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "signflow_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "signflow_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
SIGNATURES = Counter(
    "signflow_signatures", "Signatures applied to documents, by outcome", ["outcome"]
)
SIGNATURE_DURATION = Histogram(
    "signflow_signature_duration_seconds",
    "Time to apply one signature (keys, PDF, database writes)",
    buckets=WORK_BUCKETS,
)
VERIFICATIONS = Counter(
    "signflow_verifications", "Documents whose signatures were verified, by outcome", ["outcome"]
)
VERIFICATION_DURATION = Histogram(
    "signflow_verification_duration_seconds",
    "Time to verify every signature of one document",
    buckets=WORK_BUCKETS,
)
DELIVERIES = Counter(
    "signflow_deliveries",
    "Delivery attempts to receivers (webhooks, OKdokument sendInfoURL callbacks), by outcome",
    ["channel", "outcome"],
)
POOL_IN_USE = Gauge(
    "signflow_db_pool_connections_in_use",
    "Database connections checked out of the pools now",
    multiprocess_mode="livesum",
)
POOL_OPEN = Gauge(
    "signflow_db_pool_connections_open",
    "Database connections the pools hold open (in use or idle)",
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "signflow_db_pool_capacity",
    "Most connections the pools may open (0: no fixed limit, as with SQLite)",
    multiprocess_mode="livesum",
)


@contextmanager
def timed(counter: Counter, histogram: Histogram) -> Iterator[None]:
    """Count the block's outcome (ok or error) and observe its duration."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        histogram.observe(time.perf_counter() - started)
        counter.labels(outcome=outcome).inc()


async def measured(counter: Counter, histogram: Histogram, work: Awaitable[T]) -> T:
    """`await work`, counted and timed as `timed` does."""
    with timed(counter, histogram):
        return await work


def multiprocess_directory() -> Path | None:
    given = os.environ.get(MULTIPROCESS_ENV)
    return Path(given) if given else None


def enable_multiprocess(directory: Path) -> None:
    """For the processes started after this call: count in files under `directory`.

    The directory is emptied: values of processes from an earlier run must not be added.
    """
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROCESS_ENV] = str(directory)


def process_exited(pid: int) -> None:
    """A process of a multiprocess group stops: its live gauges stop counting."""
    if multiprocess_directory() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
