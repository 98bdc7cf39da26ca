"""Which recipients' turn opens next, and what happens when no step is left.

SERIAL opens one recipient at a time in `signing_order`; PARALLEL opens
everyone at once; CUSTOM opens each group of equal `signing_order` together;
the copies an INDIVIDUAL workflow makes hold one acting recipient each (and
the carbon copies after them). A carbon copy is processed as soon as its step
opens. When nobody is left the package is COMPLETED.

Callers hold the package row lock (see common.owned_package), so two
finishes cannot both see "one left" and both stop, nor both complete.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.evidence import EVIDENCE_JOB
from signflow.audit.history import Actor, record
from signflow.context import settings_of
from signflow.db import utcnow
from signflow.errors import BadRequest
from signflow.models import (
    Package,
    ProcessStatus,
    Recipient,
    RecipientRole,
    WorkflowStatus,
    WorkflowType,
)
from signflow.outbox.enqueue import enqueue
from signflow.workflow.archiving import schedule_archiving
from signflow.workflow.common import (
    OPEN_TURN_STATUSES,
    compare_and_set_status,
    package_documents,
    package_recipients,
    turn_is_open,
)
from signflow.workflow.deadlines import schedule_reminder
from signflow.workflow.delegation import hand_over_if_delegated
from signflow.workflow.events import (
    DocumentEvent,
    PackageEvent,
    all_documents,
    email_package_completed,
    email_turn_opened,
    write_package_event,
)
from signflow.workflow.unsigned_documents import write_values_of_unsigned_documents

# `turn_is_open` as a statement: most ends of a turn leave others' turns open.
_AN_OPEN_TURN = (
    select(Recipient.id)
    .where(
        Recipient.package_id == bindparam("package_id"),
        Recipient.turn_started_at.is_not(None),
        Recipient.finished_at.is_(None),
        Recipient.process_status.in_(sorted(OPEN_TURN_STATUSES)),
    )
    .limit(1)
)


def step_of(package: Package, recipient: Recipient) -> int:
    if package.workflow_type == WorkflowType.PARALLEL.value:
        return 0
    return recipient.signing_order


async def advance(session: AsyncSession, package: Package, actor: Actor) -> bool:
    """Open the next step if the current one is done; complete the package when none is left.

    Returns True when this call completed the package.
    """
    if await session.scalar(_AN_OPEN_TURN, {"package_id": package.id}) is not None:
        return False  # the step is not done: nothing to load
    recipients = await package_recipients(session, package.id)
    while True:
        if any(turn_is_open(recipient) for recipient in recipients):
            return False
        waiting = [r for r in recipients if r.process_status == ProcessStatus.UN_PROCESSED.value]
        if not waiting:
            return await complete_package(session, package, actor, terminated=False)
        step = min(step_of(package, r) for r in waiting)
        opened = [r for r in waiting if step_of(package, r) == step]
        require_filled_placeholders(package, opened)
        now = utcnow()
        for recipient in opened:
            await hand_over_if_delegated(session, package, recipient, now, actor)
            open_turn(session, package, recipient, now)
        await record(
            session,
            package.id,
            "STEP_OPENED",
            actor,
            {"orders": [r.position for r in opened], "users": [r.email for r in opened]},
        )


def require_filled_placeholders(package: Package, opening: list[Recipient]) -> None:
    """A step does not open while it holds a placeholder nobody filled: the share or the
    finish that would open it is refused (workflow/placeholders.py fills them)."""
    for recipient in opening:
        if recipient.is_unfilled_placeholder:
            raise BadRequest(
                f"The placeholder '{recipient.placeholder}' at order {recipient.position} has "
                f"no recipient yet: fill it (PUT packages/{package.id}/workflow/"
                f"{recipient.position}/placeholder) before its turn comes",
                code="placeholder_unfilled",
            )


def open_turn(
    session: AsyncSession, package: Package, recipient: Recipient, now: dt.datetime
) -> None:
    recipient.turn_started_at = now
    if recipient.role == RecipientRole.CARBON_COPY.value:
        recipient.process_status = ProcessStatus.PROCESSED.value
        recipient.processed_on = now
        recipient.finished_at = now
    else:
        recipient.process_status = ProcessStatus.IN_PROGRESS.value
        schedule_reminder(session, package, recipient, sent=0)
    email_turn_opened(session, package, recipient)


async def complete_package(
    session: AsyncSession, package: Package, actor: Actor, *, terminated: bool
) -> bool:
    """SHARED -> COMPLETED, once: the SIGNED_PACKAGE notification goes with it."""
    now = utcnow()
    if not await compare_and_set_status(
        session,
        package,
        WorkflowStatus.SHARED,
        WorkflowStatus.COMPLETED,
        completed_at=now,
        modified_at=now,
    ):
        return False
    skipped: list[int] = []
    if terminated:
        for recipient in await package_recipients(session, package.id):
            if recipient.process_status in (
                ProcessStatus.UN_PROCESSED.value,
                ProcessStatus.IN_PROGRESS.value,
                ProcessStatus.BLOCKED.value,
            ):
                recipient.process_status = ProcessStatus.SKIPPED.value
                skipped.append(recipient.position)
    await record(
        session,
        package.id,
        "WORKFLOW_TERMINATED" if terminated else "WORKFLOW_COMPLETED",
        actor,
        {"workflow_status": WorkflowStatus.COMPLETED.value, "skipped_orders": skipped},
    )
    await write_values_of_unsigned_documents(session, package, actor)
    documents = await package_documents(session, package.id)
    await write_package_event(
        session,
        package,
        PackageEvent.SIGNED_PACKAGE,
        documents=documents,
        document_statuses=all_documents(documents, DocumentEvent.FINISH),
    )
    enqueue(session, EVIDENCE_JOB, {"package_id": package.id})
    if settings_of(session).signature_level == "B-LTA":
        schedule_archiving(session, package, now)
    email_package_completed(session, package)
    await settle_parent(session, package, actor)
    return True


async def settle_parent(session: AsyncSession, package: Package, actor: Actor) -> None:
    """An INDIVIDUAL original is done (COMPLETED) once none of its copies is still shared."""
    if package.parent_id is None:
        return
    # Lock the original first: copies finishing at once then count one after the other.
    parent = await session.get(Package, package.parent_id, with_for_update=True)
    if parent is None:
        return
    still_shared = await session.scalar(
        select(func.count())
        .select_from(Package)
        .where(
            Package.parent_id == package.parent_id,
            Package.status == WorkflowStatus.SHARED.value,
            Package.deleted_at.is_(None),
        )
    )
    if still_shared:
        return
    now = utcnow()
    if await compare_and_set_status(
        session, parent, WorkflowStatus.SHARED, WorkflowStatus.COMPLETED, completed_at=now
    ):
        await record(
            session,
            parent.id,
            "INDIVIDUAL_COPIES_SETTLED",
            actor,
            {"workflow_status": WorkflowStatus.COMPLETED.value},
        )
