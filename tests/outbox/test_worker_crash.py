"""At-least-once delivery through crashes: a worker process SIGKILLed again and again."""

from __future__ import annotations

import asyncio
import json
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
from signflow.webhooks.endpoints import create_endpoint
from signflow.workflow.events import PackageEvent, write_package_event
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
                await write_package_event(session, package, PackageEvent.NOTIFICATION)
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
            stored = (
                await session.execute(
                    select(WebhookMessage.package_id, WebhookMessage.msg_id).order_by(
                        WebhookMessage.id
                    )
                )
            ).all()
            stored_ids = {msg_id for _, msg_id in stored}
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
    # Each package's notifications first arrived in the order they were written.
    written: dict[int | None, list[str]] = {}
    for package_id, msg_id in stored:
        written.setdefault(package_id, []).append(msg_id)
    first_arrivals: dict[int, list[str]] = {}
    for request in receiver.requests:
        arrived = first_arrivals.setdefault(int(json.loads(request.body)["package"]), [])
        if request.headers["webhook-id"] not in arrived:
            arrived.append(request.headers["webhook-id"])
    assert first_arrivals == written
