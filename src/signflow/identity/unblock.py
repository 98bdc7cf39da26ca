"""The owner's (or a scoped admin's) answer to a blocked recipient.

reset    three new tries; the recipient must still verify
approve  the identity counts as verified (checked by the owner another way)
reject   the recipient declines, on their behalf, with the given message
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden
from signflow.identity.checks import identity_of
from signflow.models import ProcessStatus, Recipient, RecipientIdentity, WorkflowStatus
from signflow.workflow.actions import MAX_REASON, decline_for
from signflow.workflow.common import (
    NOT_ALLOWED,
    owned_package,
    package_recipients,
    recipient_at,
)

NOT_BLOCKED = "The user at this order is not blocked"
DEFAULT_REJECTION = "Identity rejected by the document owner"


class UnblockAction(StrEnum):
    RESET = "reset"
    APPROVE = "approve"
    REJECT = "reject"


async def unblock_recipient(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    order: int,
    action: UnblockAction,
    message: str | None = None,
) -> Recipient:
    if message is not None and len(message) > MAX_REASON:
        raise BadRequest(f"The message must be at most {MAX_REASON} characters")
    package = await owned_package(session, principal, package_id)
    if package.status != WorkflowStatus.SHARED.value:
        raise Forbidden(NOT_ALLOWED)
    recipient = recipient_at(await package_recipients(session, package.id), order)
    if recipient.process_status != ProcessStatus.BLOCKED.value:
        raise BadRequest(NOT_BLOCKED)
    identity = await identity_of(session, recipient.id)
    await record(
        session,
        package.id,
        "RECIPIENT_UNBLOCKED",
        actor,
        {"order": recipient.position, "action": action.value, "message": message},
    )
    if action is UnblockAction.REJECT:
        await decline_for(session, actor, package, recipient, message or DEFAULT_REJECTION)
        return recipient
    now = utcnow()
    values: dict[str, object] = {
        "failures": 0,
        "blocked_at": None,
        "blocked_reason": None,
        "status_before_block": None,
        "updated_at": now,
    }
    if action is UnblockAction.APPROVE:
        values.update(verified_at=now, verified_by="owner")
    await session.execute(
        update(RecipientIdentity)
        .where(RecipientIdentity.recipient_id == recipient.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    restored = identity.status_before_block or ProcessStatus.IN_PROGRESS.value
    await session.execute(
        update(Recipient)
        .where(
            Recipient.id == recipient.id, Recipient.process_status == ProcessStatus.BLOCKED.value
        )
        .values(process_status=restored)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(recipient)
    return recipient
