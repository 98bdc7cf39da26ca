"""At-least-once delivery through crashes: a worker process SIGKILLed again and again."""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from signflow.accounts.principal import Principal
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Enterprise, Job, JobStatus, Package, User, WebhookMessage
from signflow.outbox.enqueue import enqueue
from signflow.webhooks.endpoints import create_endpoint
from tests.conftest import make_settings
from tests.factories import make_tenant
from tests.outbox.worker_process import pg_context, start_worker, stop_worker
from tests.webhooks.receiver import Receiver

__all__ = ["pg_context"]  # a fixture, used by name

PACKAGES = 50
EVENTS_PER_PACKAGE = 20
KILLS = 8


@pytest.mark.slow
async def test_every_notification_arrives_despite_sigkills(
    pg_context: AppContext, postgres_url: str, tmp_path: Path, receiver: Receiver
):
    context = pg_context
    tenant = await make_tenant(context, "Crashco")
    async with transaction(context.sessions) as session:
        admin = await session.scalar(select(User).where(User.email == tenant.admin_email))
        enterprise = await session.get_one(Enterprise, tenant.enterprise_id)
        assert admin is not None
        principal = Principal(user=admin, enterprise=enterprise, grant_id=0)
        await create_endpoint(
            session, context.settings, principal, url=receiver.url(), description=None, events=None
        )
        packages = [
            Package(enterprise_id=tenant.enterprise_id, owner_id=admin.id, name=f"P{n}")
            for n in range(PACKAGES)
        ]
        session.add_all(packages)
        await session.flush()
        for _ in range(EVENTS_PER_PACKAGE):
            for package in packages:
                enqueue(
                    session,
                    "package.event",
                    {"package_id": package.id, "status": "NOTIFICATION"},
                    ordering_key=f"package-events:{package.id}",
                    enterprise_id=tenant.enterprise_id,
                )
    expected = PACKAGES * EVENTS_PER_PACKAGE
    rng = random.Random(7)
    worker = start_worker(postgres_url, tmp_path / "var")
    try:
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.4, 1.2))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            worker = start_worker(postgres_url, tmp_path / "var")
        for _ in range(900):
            if len({r.headers["webhook-id"] for r in receiver.requests}) >= expected:
                break
            await asyncio.sleep(0.1)
    finally:
        stop_worker(worker)
        await context.close()

    context = AppContext.create(make_settings(postgres_url, tmp_path / "var"))
    try:
        async with transaction(context.sessions) as session:
            stored_ids = set(await session.scalars(select(WebhookMessage.msg_id)))
            unfinished = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]))
            )
    finally:
        await context.close()
    received = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert len(stored_ids) == expected, "exactly one message per event and endpoint"
    assert set(received) == stored_ids, "every notification arrived"
    assert unfinished == 0
    # Duplicates are allowed (at least once) and share their webhook-id by construction.
    assert sum(received.values()) >= expected
