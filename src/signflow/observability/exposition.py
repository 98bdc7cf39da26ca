"""GET /metrics: the process's (or, in multiprocess mode, the machine's) counters, plus
what only the database knows: the outbox's depth and age, and the workers' heartbeats."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from signflow.context import AppContext
from signflow.db import read_transaction, utcnow
from signflow.errors import Unauthorized
from signflow.models import Job, JobStatus
from signflow.observability.heartbeat import last_beat_age, live_workers
from signflow.observability.metrics import multiprocess_directory

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class DatabaseState(Collector):
    """Gauges read from the database once per scrape (values fetched before collect)."""

    def __init__(self) -> None:
        self.up = 0.0
        self.jobs: dict[str, float] = {}
        self.due = 0.0
        self.oldest_due_age = 0.0
        self.workers = 0.0
        self.last_beat_age: float | None = None

    async def read(self, context: AppContext) -> None:
        now = utcnow()
        open_states = [JobStatus.PENDING.value, JobStatus.RUNNING.value]
        try:
            async with read_transaction(context.sessions) as session:
                counts = await session.execute(
                    select(Job.status, func.count())
                    .where(Job.status.in_(open_states))
                    .group_by(Job.status)
                )
                self.jobs = dict.fromkeys(open_states, 0.0)
                self.jobs.update({status: float(n) for status, n in counts.all()})
                due = await session.execute(
                    select(func.count(), func.min(Job.due_at)).where(
                        Job.status == JobStatus.PENDING.value, Job.due_at <= now
                    )
                )
                count, oldest = due.one()
                self.due = float(count)
                self.oldest_due_age = (now - oldest).total_seconds() if oldest else 0.0
                interval = context.settings.worker_heartbeat_seconds
                self.workers = float(await live_workers(session, interval))
                self.last_beat_age = await last_beat_age(session)
            self.up = 1.0
        except (SQLAlchemyError, OSError):
            self.up = 0.0

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "signflow_database_up", "1 when the database answered this scrape", value=self.up
        )
        if not self.up:
            return
        jobs = GaugeMetricFamily(
            "signflow_outbox_jobs", "Outbox jobs not finished, by status", labels=["status"]
        )
        for status, count in sorted(self.jobs.items()):
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily(
            "signflow_outbox_due_jobs", "Pending jobs whose time has come", value=self.due
        )
        yield GaugeMetricFamily(
            "signflow_outbox_oldest_due_job_age_seconds",
            "How long the oldest due job has waited (0: none waits)",
            value=self.oldest_due_age,
        )
        yield GaugeMetricFamily(
            "signflow_workers_alive",
            "Outbox workers whose heartbeat is recent",
            value=self.workers,
        )
        if self.last_beat_age is not None:
            yield GaugeMetricFamily(
                "signflow_worker_last_heartbeat_age_seconds",
                "Seconds since any worker's last heartbeat",
                value=self.last_beat_age,
            )


def process_metrics() -> bytes:
    directory = multiprocess_directory()
    if directory is None:
        return generate_latest(REGISTRY)
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def check_token(request: Request, token: str | None) -> None:
    if not token:
        return
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.encode(), token.encode()):
        raise Unauthorized("/metrics needs the bearer token set in SIGNFLOW_METRICS_TOKEN")


async def metrics_endpoint(request: Request) -> Response:
    context: AppContext = request.app.state.context
    check_token(request, context.settings.metrics_token)
    state = DatabaseState()
    await state.read(context)
    database = CollectorRegistry()
    database.register(state)
    body = process_metrics() + generate_latest(database)
    return Response(body, media_type=PROMETHEUS_TEXT)


def serve_worker_metrics(host: str, port: int) -> None:
    """`signflow worker --metrics-port`: this process's counters (or, in multiprocess
    mode, the machine's) on a port of their own, for a worker on a machine without an
    API process. The database gauges are on the API's /metrics."""
    from prometheus_client import start_http_server

    directory = multiprocess_directory()
    if directory is None:
        start_http_server(port, addr=host)
        return
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)
