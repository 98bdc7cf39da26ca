"""What recipients and owners do to a shared package: open, close, approve, submit,
decline, finish, and complete (terminate).

Each action locks the package row first, so actions on one package run one
after the other; each transition is then a compare-and-set on the state it
expects, written with its history entry and notifications.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, Table, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, Event, record, record_each
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden
from signflow.identity.checks import Credentials, require_opened, verify_identity
from signflow.identity.codes import OPEN_PURPOSE, code_holder
from signflow.models import Package, ProcessStatus, Recipient, RecipientRole, WorkflowStatus
from signflow.packages.access import Need, PackageAccess, get_package, recipient_email
from signflow.packages.enterprise import enterprise_package
from signflow.workflow.common import (
    DONE_STATUS,
    NOT_ALLOWED,
    NOT_AUTHORIZED_TO_VIEW,
    SIGNING_ROLES,
    compare_and_set_status,
    my_recipients,
    package_documents,
    require_access_period,
    turn_is_open,
)
from signflow.workflow.completeness import has_requirements, require_complete
from signflow.workflow.events import (
    DocumentEvent,
    PackageEvent,
    email_declined,
    write_package_event,
)
from signflow.workflow.groups import take_group_turn
from signflow.workflow.signer_identity import signer_identity
from signflow.workflow.steps import advance, complete_package

MAX_REASON = 500


async def _access_for_action(
    session: AsyncSession, principal: Principal, package_id: int
) -> tuple[PackageAccess, tuple[Recipient, ...]]:
    access = await get_package(session, principal, package_id, Need.READ, for_update=True)
    return access, await my_recipients(session, principal, access)


def _current_turn(recipients: tuple[Recipient, ...]) -> Recipient | None:
    return next((r for r in recipients if turn_is_open(r)), None)


def _acting_recipient(
    package: Package, recipients: tuple[Recipient, ...], now: dt.datetime
) -> Recipient:
    """The caller's recipient entry whose turn is open on a shared package."""
    if package.status != WorkflowStatus.SHARED.value:
        raise Forbidden(NOT_ALLOWED)
    recipient = _current_turn(recipients)
    if recipient is None:
        raise Forbidden(NOT_ALLOWED)
    require_access_period(recipient, now)
    return recipient


async def open_package(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    credentials: Credentials | None = None,
) -> None:
    """The caller opened the package: check their identity (password, one-time code) when
    their settings ask for it, mark it read for them and write the history."""
    await _reading(session, principal, actor, package_id, "DOCUMENT_OPENED", credentials)


async def close_package(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int
) -> None:
    """The caller closed the package in the application: reading status and history only."""
    await _reading(session, principal, actor, package_id, "DOCUMENT_CLOSED")


async def _reading(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    action: str,
    credentials: Credentials | None = None,
) -> None:
    access, mine = await _access_for_action(session, principal, package_id)
    now = utcnow()
    for recipient in mine:
        if action == "DOCUMENT_OPENED":
            require_access_period(recipient, now)
            # Checked before anything is written: a counted failure commits only itself.
            holder = await code_holder(
                session, recipient, recipient_email(principal, access.package.enterprise_id)
            )
            await verify_identity(
                session,
                access.package,
                recipient,
                credentials,
                actor,
                code_purpose=holder.purpose if holder else OPEN_PURPOSE,
            )
        else:
            await require_opened(session, recipient, now)
    for recipient in mine:
        if recipient.read_at is None:
            recipient.read_at = now
    await record(
        session,
        access.package.id,
        action,
        actor,
        {"orders": [r.position for r in mine], "as_owner": access.is_owner},
    )


async def approve_package(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    reason: str | None = None,
) -> None:
    await _role_action(
        session, principal, actor, package_id, RecipientRole.REVIEWER, "DOCUMENT_APPROVED", reason
    )


async def submit_package(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int
) -> None:
    await _role_action(
        session, principal, actor, package_id, RecipientRole.EDITOR, "DOCUMENT_SUBMITTED", None
    )


async def _role_action(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    role: RecipientRole,
    action: str,
    reason: str | None,
) -> None:
    access, mine = await _access_for_action(session, principal, package_id)
    now = utcnow()
    done = ProcessStatus(DONE_STATUS[role.value])
    if _current_turn(mine) is None and any(
        r.role == role.value and r.process_status == done.value and r.finished_at is not None
        for r in mine
    ):
        return  # approving (submitting) twice is harmless
    recipient = _acting_recipient(access.package, mine, now)
    await require_opened(session, recipient, now)
    if recipient.role != role.value:
        raise Forbidden(NOT_ALLOWED)
    await take_group_turn(session, principal, actor, access.package, recipient)
    if recipient.process_status == done.value:
        # Approved or submitted before this rule (turn still open): end the turn now.
        await _end_turn(session, principal, actor, access.package, recipient, now)
        return
    # As in SigningHub, approving or submitting ends the turn: no `finish` is needed. The
    # action and the end of the turn are one change of the entry (after the check the end
    # of a turn makes: a refusal leaves nothing written) and two history entries.
    await _require_may_finish(session, principal, recipient)
    if not await _set_recipient_status(
        session,
        recipient,
        ProcessStatus.IN_PROGRESS,
        done,
        processed_on=now,
        reason=reason,
        finished_at=now,
    ):
        raise Forbidden(NOT_ALLOWED)
    await record_each(
        session,
        access.package.id,
        (
            Event(
                action,
                actor,
                {"order": recipient.position, "reason": reason, "process_status": done.value},
            ),
            _finished_event(actor, recipient),
        ),
    )
    await _turn_ended(session, actor, access.package, recipient)


async def decline_package(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    reason: str,
    document_ids: list[int] | None = None,
) -> None:
    """Decline: the package is DECLINED, or with continue_on_decline the decliner is passed."""
    if len(reason) > MAX_REASON:
        raise BadRequest(f"The reason must be at most {MAX_REASON} characters")
    access, mine = await _access_for_action(session, principal, package_id)
    now = utcnow()
    recipient = _acting_recipient(access.package, mine, now)
    await require_opened(session, recipient, now)
    await take_group_turn(session, principal, actor, access.package, recipient)
    await decline_for(session, actor, access.package, recipient, reason, document_ids)


async def decline_for(
    session: AsyncSession,
    actor: Actor,
    package: Package,
    recipient: Recipient,
    reason: str,
    document_ids: list[int] | None = None,
) -> None:
    """The decline itself, for a recipient whose turn is open (also used by the owner's
    rejection of a blocked recipient's identity). The package row must be locked."""
    now = utcnow()
    if recipient.role == RecipientRole.CARBON_COPY.value:
        raise Forbidden(NOT_ALLOWED)
    documents = await package_documents(session, package.id)
    known = {d.id for d in documents}
    declined = set(document_ids) if document_ids else known
    if not declined <= known:
        raise BadRequest("The package has no document with id " + str(min(declined - known)))
    if not await _set_recipient_status(
        session,
        recipient,
        ProcessStatus(recipient.process_status),
        ProcessStatus.DECLINED,
        processed_on=now,
        finished_at=now,
        reason=reason,
    ):
        raise Forbidden(NOT_ALLOWED)
    ends = not package.continue_on_decline
    if ends and not await compare_and_set_status(
        session, package, WorkflowStatus.SHARED, WorkflowStatus.DECLINED, modified_at=now
    ):
        raise Forbidden(NOT_ALLOWED)
    await record(
        session,
        package.id,
        "DOCUMENT_DECLINED",
        actor,
        {
            "order": recipient.position,
            "reason": reason,
            "documents": sorted(declined),
            "workflow_status": package.status,
        },
    )
    await write_package_event(
        session,
        package,
        PackageEvent.DOCUMENT_REJECT,
        documents=documents,
        document_statuses={
            d.id: DocumentEvent.REJECT if d.id in declined else DocumentEvent.CREATE
            for d in documents
        },
    )
    await write_package_event(
        session, package, PackageEvent.REJECTED, recipient=recipient, message=reason
    )
    email_declined(session, package, recipient)
    if ends:
        from signflow.workflow.steps import settle_parent

        await settle_parent(session, package, actor)
    else:
        await advance(session, package, actor)


async def finish_processing(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int
) -> None:
    """End the caller's turn: the next step opens, or the package completes. Idempotent."""
    access, mine = await _access_for_action(session, principal, package_id)
    package = access.package
    now = utcnow()
    for entry in mine:
        require_access_period(entry, now)
    recipient = _current_turn(mine) if package.status == WorkflowStatus.SHARED.value else None
    if recipient is None:
        if any(r.finished_at is not None for r in mine):
            return  # finishing twice is harmless
        raise Forbidden(NOT_ALLOWED)
    await require_opened(session, recipient, now)
    done = DONE_STATUS.get(recipient.role)
    if done is None:
        raise Forbidden(NOT_ALLOWED)
    await take_group_turn(session, principal, actor, package, recipient)
    if recipient.role not in SIGNING_ROLES and recipient.process_status != done:
        verb = "Approve" if recipient.role == RecipientRole.REVIEWER.value else "Submit"
        raise BadRequest(f"{verb} the document before finishing")
    await _end_turn(session, principal, actor, package, recipient, now)


async def _end_turn(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package: Package,
    recipient: Recipient,
    now: dt.datetime,
) -> None:
    """The recipient is done: their turn closes and the next step opens (or the package
    completes). The package row is locked by the caller."""
    done = DONE_STATUS[recipient.role]
    await _require_may_finish(session, principal, recipient)
    expected = ProcessStatus(recipient.process_status)
    values: dict[str, Any] = {"finished_at": now}
    if recipient.processed_on is None:
        values["processed_on"] = now
    if not await _set_recipient_status(session, recipient, expected, ProcessStatus(done), **values):
        return
    await record_each(session, package.id, (_finished_event(actor, recipient),))
    await _turn_ended(session, actor, package, recipient)


async def _require_may_finish(
    session: AsyncSession, principal: Principal, recipient: Recipient
) -> None:
    """Refused while the recipient has fields left to sign or fill (none for a reviewer)."""
    if has_requirements(recipient.role):
        await require_complete(
            session, recipient, await signer_identity(session, recipient, principal.user)
        )


def _finished_event(actor: Actor, recipient: Recipient) -> Event:
    return Event(
        "PROCESSING_FINISHED",
        actor,
        {"order": recipient.position, "process_status": DONE_STATUS[recipient.role]},
    )


async def _turn_ended(
    session: AsyncSession, actor: Actor, package: Package, recipient: Recipient
) -> None:
    """The turn is over: the owner's notification, then the next step (or completion)."""
    await write_package_event(session, package, PackageEvent.NOTIFICATION, recipient=recipient)
    await advance(session, package, actor)


async def complete_workflow(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int
) -> None:
    """Terminate: COMPLETED now; whoever has not acted is SKIPPED and loses the package."""
    try:
        access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    except Forbidden as exc:
        raise BadRequest(NOT_AUTHORIZED_TO_VIEW) from exc
    await _terminate(session, actor, access.package)


async def complete_enterprise_workflow(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int
) -> None:
    """Terminate through `enterprise/packages/{pid}/complete`: the owner, or an
    administrator of the package's enterprise."""
    package = await enterprise_package(session, principal, package_id, for_update=True)
    await _terminate(session, actor, package)


async def _terminate(session: AsyncSession, actor: Actor, package: Package) -> None:
    if package.status == WorkflowStatus.COMPLETED.value:
        return
    if package.status != WorkflowStatus.SHARED.value:
        raise Forbidden(NOT_ALLOWED)
    if not await complete_package(session, package, actor, terminated=True):
        raise Forbidden(NOT_ALLOWED)


@cache
def _status_change(columns: tuple[str, ...]) -> Update:
    """The compare-and-set of a recipient's status that also sets `columns`: built once
    per set of columns (a handful), its compilation cached."""
    table = cast(Table, Recipient.__table__)
    return (
        update(table)
        .where(
            table.c.id == bindparam("recipient_id"),
            table.c.process_status == bindparam("expected"),
            table.c.finished_at.is_(None),
        )
        .values(
            process_status=bindparam("new_status"),
            **{column: bindparam(f"new_{column}") for column in columns},
        )
    )


async def _set_recipient_status(
    session: AsyncSession,
    recipient: Recipient,
    expected: ProcessStatus,
    new: ProcessStatus,
    **values: Any,
) -> bool:
    """Compare-and-set a recipient's status (and the other given columns)."""
    if session.new or session.dirty or session.deleted:
        await session.flush()  # as an ORM statement would: what is pending goes first
    result = cast(
        CursorResult[Any],
        await session.execute(
            _status_change(tuple(sorted(values))),
            {
                "recipient_id": recipient.id,
                "expected": expected.value,
                "new_status": new.value,
                **{f"new_{key}": value for key, value in values.items()},
            },
        ),
    )
    if result.rowcount != 1:
        return False
    # The row now holds these values (the package's lock keeps anyone else from it):
    # given to the loaded entry as committed, nothing is read back nor written again.
    set_committed_value(recipient, "process_status", new.value)
    for key, value in values.items():
        set_committed_value(recipient, key, value)
    return True
