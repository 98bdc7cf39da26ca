"""Scheduled jobs through crashes: package deadlines falling due while the worker process is
SIGKILLed again and again. Each deadline takes effect exactly once: one expiry, one history
entry, one notification event per package (tests/outbox/test_worker_crash.py does the same
for webhook deliveries)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import (
    HistoryEntry,
    Job,
    JobStatus,
    Package,
    User,
    WebhookMessage,
    WorkflowStatus,
)
from signflow.workflow.deadlines import EXPIRE_JOB, schedule_expiry
from tests.conftest import make_settings
from tests.factories import make_tenant
from tests.outbox.worker_process import pg_context, start_worker, stop_worker
from tests.workflow.helpers import listen

__all__ = ["pg_context"]  # the fixture, shared with the notification crash test

PACKAGES = 60
KILLS = 5


@pytest.mark.slow
async def test_each_deadline_takes_effect_once_despite_sigkills(
    pg_context: AppContext, postgres_url: str, tmp_path: Path
) -> None:
    context = pg_context
    tenant = await make_tenant(context, "Deadlineco")
    await listen(context, tenant.enterprise_id)
    now = utcnow()
    async with transaction(context.sessions) as session:
        admin = await session.scalar(select(User).where(User.email == tenant.admin_email))
        assert admin is not None
        packages = [
            Package(
                enterprise_id=tenant.enterprise_id,
                owner_id=admin.id,
                name=f"Due {n}",
                status=WorkflowStatus.SHARED.value,
                shared_at=now - dt.timedelta(days=2),
                # Spread over the first seconds, so kills fall among due jobs.
                expires_at=now + dt.timedelta(milliseconds=50 * n) - dt.timedelta(seconds=1),
            )
            for n in range(PACKAGES)
        ]
        session.add_all(packages)
        await session.flush()
        for package in packages:
            schedule_expiry(session, package)
    ids = [package.id for package in packages]

    rng = random.Random(11)
    worker = start_worker(postgres_url, tmp_path / "var")
    try:
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.3, 0.9))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            worker = start_worker(postgres_url, tmp_path / "var")
        for _ in range(600):
            async with transaction(context.sessions) as session:
                open_jobs = await session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(
                        Job.kind == EXPIRE_JOB,
                        Job.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]),
                    )
                )
            if open_jobs == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        stop_worker(worker)
        await context.close()

    context = AppContext.create(make_settings(postgres_url, tmp_path / "var"))
    try:
        async with transaction(context.sessions) as session:
            statuses = Counter(
                await session.scalars(select(Package.status).where(Package.id.in_(ids)))
            )
            expiries = Counter(
                await session.scalars(
                    select(HistoryEntry.package_id).where(
                        HistoryEntry.action == "PACKAGE_EXPIRED", HistoryEntry.package_id.in_(ids)
                    )
                )
            )
            events = Counter(
                await session.scalars(
                    select(WebhookMessage.package_id).where(WebhookMessage.event == "EXPIRED")
                )
            )
            expiry_jobs = Counter(
                await session.scalars(select(Job.status).where(Job.kind == EXPIRE_JOB))
            )
    finally:
        await context.close()
    assert statuses == {WorkflowStatus.EXPIRED.value: PACKAGES}
    assert expiries == dict.fromkeys(ids, 1), "one expiry in each package's history"
    assert events == dict.fromkeys(ids, 1), "one notification event per package"
    assert set(expiry_jobs) == {JobStatus.DONE.value}
