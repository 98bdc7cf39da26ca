"""Package expiry and recipient reminders, run by the worker as scheduled outbox jobs.

Jobs are written when the deadline becomes known (on share, when a turn
opens) with `due_at` at the deadline. Nothing cancels them: each handler
checks, in its own transaction, that what it was scheduled for still holds
(the package is still shared since the same moment, the recipient's turn is
still open since the same moment), and otherwise does nothing. So a recall
or a finish needs no clean-up, and any number of workers run each job once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.history import SYSTEM, Actor, record
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, Package, ProcessStatus, Recipient, WorkflowStatus
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Failed, Outcome, job_handler
from signflow.workflow.common import compare_and_set_status, package_documents
from signflow.workflow.events import (
    DocumentEvent,
    PackageEvent,
    all_documents,
    email_reminder,
    write_package_event,
)

EXPIRE_JOB = "workflow.expire"
REMIND_JOB = "workflow.remind"


def _stamp(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def schedule_expiry(session: AsyncSession, package: Package) -> None:
    if package.expires_at is None:
        return
    enqueue(
        session,
        EXPIRE_JOB,
        {"package_id": package.id, "shared_at": _stamp(package.shared_at)},
        due_at=package.expires_at,
        enterprise_id=package.enterprise_id,
    )


def reminder_settings(recipient: Recipient) -> tuple[float, float, int] | None:
    """(days before the first reminder, days between repeats, total reminders), or None."""
    settings = recipient.reminders or {}
    if not settings.get("enabled"):
        return None
    first = settings.get("remind_after")
    if not isinstance(first, int | float) or first <= 0:
        return None
    repeat = settings.get("repeat")
    every, total = 0.0, 1
    if isinstance(repeat, dict) and repeat.get("enabled"):
        keep = repeat.get("keep_reminding_after")
        count = repeat.get("total_reminders")
        if isinstance(keep, int | float) and keep > 0 and isinstance(count, int) and count > 0:
            every, total = float(keep), count
    return float(first), every, total


def schedule_reminder(
    session: AsyncSession,
    package: Package,
    recipient: Recipient,
    *,
    sent: int,
    after: dt.datetime | None = None,
) -> None:
    settings = reminder_settings(recipient)
    if settings is None or recipient.turn_started_at is None:
        return
    first, every, total = settings
    if sent >= total:
        return
    if sent == 0:
        due = recipient.turn_started_at + dt.timedelta(days=first)
    else:
        due = (after or utcnow()) + dt.timedelta(days=every)
    enqueue(
        session,
        REMIND_JOB,
        {
            "recipient_id": recipient.id,
            "turn_started_at": _stamp(recipient.turn_started_at),
            "sent": sent,
        },
        due_at=due,
        enterprise_id=package.enterprise_id,
    )


async def expire_package(
    session: AsyncSession, package_id: int, *, now: dt.datetime | None = None, actor: Actor = SYSTEM
) -> bool:
    """SHARED -> EXPIRED when the package's deadline has passed. True if it expired now."""
    now = now or utcnow()
    package = await session.scalar(
        select(Package).where(Package.id == package_id).with_for_update()
    )
    if (
        package is None
        or package.status != WorkflowStatus.SHARED.value
        or package.expires_at is None
        or package.expires_at > now
    ):
        return False
    if not await compare_and_set_status(
        session, package, WorkflowStatus.SHARED, WorkflowStatus.EXPIRED, modified_at=now
    ):
        return False
    await record(
        session,
        package.id,
        "PACKAGE_EXPIRED",
        actor,
        {"expired_at": _stamp(package.expires_at), "workflow_status": WorkflowStatus.EXPIRED.value},
    )
    documents = await package_documents(session, package.id)
    await write_package_event(
        session,
        package,
        PackageEvent.EXPIRED,
        documents=documents,
        document_statuses=all_documents(documents, DocumentEvent.EXPIRED),
    )
    # Imported here: steps schedules reminders from this module.
    from signflow.workflow.steps import settle_parent

    await settle_parent(session, package, actor)
    return True


async def send_reminder(session: AsyncSession, payload: dict[str, object]) -> bool:
    recipient_id = payload.get("recipient_id")
    if not isinstance(recipient_id, int):
        return False
    recipient = await session.get(Recipient, recipient_id)
    if recipient is None:
        return False
    package = await session.scalar(
        select(Package).where(Package.id == recipient.package_id).with_for_update()
    )
    still_waiting = (
        package is not None
        and package.status == WorkflowStatus.SHARED.value
        and recipient.process_status
        in (ProcessStatus.IN_PROGRESS.value, ProcessStatus.BLOCKED.value)
        and recipient.finished_at is None
        and _stamp(recipient.turn_started_at) == payload.get("turn_started_at")
    )
    if not still_waiting or package is None:
        return False
    sent = payload.get("sent")
    sent = sent + 1 if isinstance(sent, int) else 1
    email_reminder(session, package, recipient)
    await record(
        session,
        package.id,
        "REMINDER_SENT",
        SYSTEM,
        {"order": recipient.position, "user_email": recipient.email, "reminder": sent},
    )
    schedule_reminder(session, package, recipient, sent=sent, after=utcnow())
    return True


@job_handler(EXPIRE_JOB)
async def run_expiry(context: AppContext, job: Job) -> Outcome:
    package_id = job.payload.get("package_id")
    if not isinstance(package_id, int):
        return Failed("payload has no package_id")
    async with transaction(context.sessions) as session:
        package = await session.get(Package, package_id)
        # A recall and a new share schedule their own job; this one is for an older share.
        if package is not None and _stamp(package.shared_at) == job.payload.get("shared_at"):
            await expire_package(session, package_id)
    return Done()


@job_handler(REMIND_JOB)
async def run_reminder(context: AppContext, job: Job) -> Outcome:
    async with transaction(context.sessions) as session:
        await send_reminder(session, job.payload)
    return Done()
