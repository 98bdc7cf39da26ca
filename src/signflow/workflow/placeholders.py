"""Placeholders: recipient slots with a title, a role and fields, but no person yet.

Added to a draft like a recipient (SigningHub's add-placeholder call, always last),
changed by the owner while the package is a draft, and filled with a person at apply
time, by the owner, or during the workflow by the recipient whose turn comes just
before it (SigningHub's behaviour: "added during the workflow execution on their turn,
by the immediate previous recipient"). A step holding an unfilled placeholder does not
open: the share or the finish that would open it is refused until it is filled.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.accounts.users import normalise_email
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden
from signflow.models import (
    Package,
    ProcessStatus,
    Recipient,
    RecipientRole,
    WorkflowStatus,
)
from signflow.packages.access import Need, get_package
from signflow.workflow.common import (
    LOCKED_WORKFLOW,
    NOT_ALLOWED,
    owned_draft,
    package_recipients,
    recipient_at,
    turn_is_open,
)
from signflow.workflow.events import PackageEvent, write_package_event
from signflow.workflow.recipients import (
    append_recipient,
    appended_step,
    check_room,
    renumber_serial,
    settle_type,
    valid_step,
)
from signflow.workflow.steps import step_of

MAX_TITLE = 200
OPEN_STATUSES = (WorkflowStatus.DRAFT.value, WorkflowStatus.SHARED.value)
NOT_A_PLACEHOLDER = "The user at the given order is not a placeholder"


@dataclass(frozen=True)
class NewPlaceholder:
    title: str
    role: RecipientRole = RecipientRole.SIGNER
    email_notification: bool = True
    signing_order: int | None = None


@dataclass(frozen=True)
class PlaceholderChange:
    title: str | None = None
    role: RecipientRole | None = None
    email_notification: bool | None = None
    signing_order: int | None = None
    # Filling: the person who takes the slot.
    email: str | None = None
    name: str | None = None
    mobile_number: str | None = None

    @property
    def fills(self) -> bool:
        return self.email is not None

    @property
    def changes_details(self) -> bool:
        return any(
            value is not None
            for value in (self.title, self.role, self.email_notification, self.signing_order)
        )


def clean_title(title: str) -> str:
    cleaned = (title or "").strip()
    if not cleaned or len(cleaned) > MAX_TITLE:
        raise BadRequest(f"placeholder must be 1 to {MAX_TITLE} characters")
    return cleaned


async def add_placeholders(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    items: list[NewPlaceholder],
) -> list[Recipient]:
    """Append placeholders after the existing recipients."""
    package = await owned_draft(session, principal, package_id)
    if not items:
        raise BadRequest("Add at least one placeholder")
    recipients = await package_recipients(session, package.id)
    check_room(recipients, len(items))
    added = []
    for item in items:
        title = clean_title(item.title)
        recipient = append_recipient(
            session,
            package,
            recipients,
            step=appended_step(recipients, item.signing_order),
            email="",
            name=title,
            role=item.role,
            email_notification=item.email_notification,
            placeholder=title,
        )
        added.append(recipient)
    settle_type(package, recipients)
    package.modified_at = utcnow()
    await session.flush()
    await record(
        session,
        package.id,
        "PLACEHOLDERS_ADDED",
        actor,
        {
            "placeholders": [
                {"order": r.position, "placeholder": r.placeholder, "role": r.role} for r in added
            ],
            "workflow_type": package.workflow_type,
        },
    )
    return added


async def update_placeholder(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    order: int,
    change: PlaceholderChange,
) -> Recipient:
    """Change a placeholder's details (the owner, while a draft) or fill it with a person
    (the owner, before its turn; or the recipient whose turn comes just before it)."""
    access = await get_package(session, principal, package_id, Need.READ, for_update=True)
    package = access.package
    recipients = await package_recipients(session, package.id)
    slot = recipient_at(recipients, order)
    if slot.placeholder is None:
        raise BadRequest(NOT_A_PLACEHOLDER)
    if not access.is_owner:
        if change.changes_details or not change.fills:
            raise Forbidden(NOT_ALLOWED)
        _require_previous_recipient(package, recipients, slot, principal)
    else:
        # Details change while a draft; a person can still be named once it is shared.
        editable = (WorkflowStatus.DRAFT.value,) if change.changes_details else OPEN_STATUSES
        if package.status not in editable:
            raise Forbidden(LOCKED_WORKFLOW)
    if change.fills and slot.turn_started_at is not None:
        raise Forbidden(NOT_ALLOWED)  # its turn came: too late to choose who acts
    if change.changes_details:
        _change_details(package, recipients, slot, change)
    if change.fills:
        await _fill(session, actor, package, slot, change)
    else:
        await record(
            session,
            package.id,
            "PLACEHOLDER_UPDATED",
            actor,
            {
                "order": order,
                "placeholder": slot.placeholder,
                "role": slot.role,
                "signing_order": slot.signing_order,
            },
        )
    package.modified_at = utcnow()
    return slot


def _require_previous_recipient(
    package: Package, recipients: list[Recipient], slot: Recipient, principal: Principal
) -> None:
    """The caller's turn is open, and the placeholder is in the step that opens next."""
    email = principal.user.email if principal.user.email_verified_at is not None else None
    mine = [r for r in recipients if email and r.email == email and turn_is_open(r)]
    waiting = [r for r in recipients if r.process_status == ProcessStatus.UN_PROCESSED.value]
    if package.status != WorkflowStatus.SHARED.value or not mine or slot not in waiting:
        raise Forbidden(NOT_ALLOWED)
    next_step = min(step_of(package, r) for r in waiting)
    if step_of(package, slot) != next_step:
        raise Forbidden(NOT_ALLOWED)


def _change_details(
    package: Package, recipients: list[Recipient], slot: Recipient, change: PlaceholderChange
) -> None:
    if change.title is not None:
        slot.placeholder = clean_title(change.title)
        if not slot.email:
            slot.name = slot.placeholder
    if change.role is not None:
        slot.role = change.role.value
    if change.email_notification is not None:
        slot.email_notification = change.email_notification
    if change.signing_order is not None:
        slot.signing_order = valid_step(change.signing_order)
    settle_type(package, recipients)
    renumber_serial(package, recipients)


async def _fill(
    session: AsyncSession,
    actor: Actor,
    package: Package,
    slot: Recipient,
    change: PlaceholderChange,
) -> None:
    email = normalise_email(change.email or "")
    slot.email = email
    slot.name = (change.name or "").strip() or email.partition("@")[0]
    if change.mobile_number is not None:
        slot.mobile_number = change.mobile_number or None
    await record(
        session,
        package.id,
        "PLACEHOLDER_FILLED",
        actor,
        {
            "order": slot.position,
            "placeholder": slot.placeholder,
            "user_email": slot.email,
            "user_name": slot.name,
        },
    )
    if package.status == WorkflowStatus.SHARED.value:
        # Auco's NOTIFICATION, naming the person who now holds the slot.
        await write_package_event(session, package, PackageEvent.NOTIFICATION, recipient=slot)
