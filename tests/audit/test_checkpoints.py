"""Checkpoints hold heads a database writer cannot forge: a chain cut back to an older,
once-valid state (head seal replayed) is still reported, and so is a forged checkpoint."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import delete, select, update

from signflow.audit.checkpoints import CHECKPOINT_JOB, checkpoint_all
from signflow.audit.history import SYSTEM, record
from signflow.audit.verification import audit_package
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import (
    HistoryCheckpoint,
    HistoryCheckpointHead,
    HistoryEntry,
    Job,
    JobStatus,
    Package,
    User,
)
from signflow.outbox.enqueue import enqueue
from signflow.outbox.worker import Worker
from tests.factories import Tenant


async def new_package(context: AppContext, tenant: Tenant, actions: int) -> int:
    async with transaction(context.sessions) as session:
        owner_id = await session.scalar(select(User.id).where(User.email == tenant.admin_email))
        assert owner_id is not None
        package = Package(enterprise_id=tenant.enterprise_id, owner_id=owner_id, name="Deed")
        session.add(package)
        await session.flush()
        for n in range(actions):
            await record(session, package.id, "STEP", SYSTEM, {"n": n})
        return package.id


async def head_state(context: AppContext, package_id: int) -> tuple[str | None, str | None]:
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, package_id)
        return package.history_head, package.history_head_mac


async def audit(context: AppContext, package_id: int) -> str | None:
    async with transaction(context.sessions) as session:
        result = await audit_package(session, package_id)
        return None if result.ok else result.reason


async def test_a_replayed_older_head_is_caught_by_a_later_checkpoint(
    context: AppContext, tenant: Tenant
):
    package_id = await new_package(context, tenant, 2)
    old_head, old_seal = await head_state(context, package_id)  # an attacker's old copy
    async with transaction(context.sessions) as session:
        await record(session, package_id, "STEP", SYSTEM, {"n": 2})
    assert await checkpoint_all(context) == 1
    assert await audit(context, package_id) is None

    async with transaction(context.sessions) as session:
        await session.execute(
            delete(HistoryEntry).where(
                HistoryEntry.package_id == package_id, HistoryEntry.sequence == 3
            )
        )
        await session.execute(
            update(Package)
            .where(Package.id == package_id)
            .values(history_head=old_head, history_head_mac=old_seal)
        )
    reason = await audit(context, package_id)
    assert reason is not None
    assert "checkpoint 1 recorded entry 3, which the chain no longer has" in reason


async def test_checkpoints_cannot_be_forged_or_dropped(context: AppContext, tenant: Tenant):
    package_id = await new_package(context, tenant, 1)
    await checkpoint_all(context)
    async with transaction(context.sessions) as session:
        await record(session, package_id, "STEP", SYSTEM, {"n": 1})
    await checkpoint_all(context)
    assert await checkpoint_all(context) == 0, "nothing changed: no new checkpoint"
    assert await audit(context, package_id) is None

    async with transaction(context.sessions) as session:
        await session.execute(
            update(HistoryCheckpointHead)
            .where(HistoryCheckpointHead.package_id == package_id)
            .values(head="0" * 64)
        )
    assert await audit(context, package_id) == "checkpoint 1 does not match its MAC"

    async with transaction(context.sessions) as session:
        await session.execute(
            delete(HistoryCheckpoint).where(
                HistoryCheckpoint.enterprise_id == tenant.enterprise_id,
                HistoryCheckpoint.sequence == 1,
            )
        )
    assert await audit(context, package_id) == "checkpoint 1 of the enterprise is missing"


async def test_the_worker_job_checkpoints_and_schedules_the_next_run(
    context: AppContext, tenant: Tenant
):
    package_id = await new_package(context, tenant, 2)
    async with transaction(context.sessions) as session:
        enqueue(session, CHECKPOINT_JOB, {}, ordering_key=CHECKPOINT_JOB)
    started = utcnow()
    await Worker(context).run_until_idle()
    async with transaction(context.sessions) as session:
        [heads] = list(
            await session.scalars(
                select(HistoryCheckpointHead).where(HistoryCheckpointHead.package_id == package_id)
            )
        )
        head = (await session.get_one(Package, package_id)).history_head
        pending = list(
            await session.scalars(
                select(Job).where(Job.kind == CHECKPOINT_JOB, Job.status == JobStatus.PENDING.value)
            )
        )
    assert (heads.sequence, heads.head) == (2, head)
    [next_run] = pending
    interval = context.settings.history_checkpoint_interval_seconds
    assert next_run.due_at >= started + dt.timedelta(seconds=interval)


async def test_a_broken_chain_is_not_vouched_for_by_a_checkpoint(
    context: AppContext, tenant: Tenant, caplog: pytest.LogCaptureFixture
):
    intact = await new_package(context, tenant, 1)
    broken = await new_package(context, tenant, 2)
    async with transaction(context.sessions) as session:
        await session.execute(
            update(HistoryEntry)
            .where(HistoryEntry.package_id == broken, HistoryEntry.sequence == 1)
            .values(details={"n": 99})
        )
    with caplog.at_level(logging.WARNING, logger="signflow.audit.checkpoints"):
        assert await checkpoint_all(context) == 1
    assert f"history of package {broken} is broken" in caplog.text
    async with transaction(context.sessions) as session:
        named = set(await session.scalars(select(HistoryCheckpointHead.package_id)))
    assert named == {intact}
