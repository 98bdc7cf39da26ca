"""Group recipients: one step of the workflow acted on by any one member of a group.

Adding a group (SigningHub's add-groups-to-workflow call, always last) copies its members
into the package (`RecipientMember`), each with a signing link of their own. When the
group's turn opens every member is invited. The first member to act (sign, approve,
submit, decline, fill a field, finish) takes the turn: a conditional update writes their
address on the recipient row, so of two members acting at once exactly one wins and the
other is answered 403 (`group_turn_taken`) with nothing written. From then on the
recipient is that member, as any other; the others' invitations are withdrawn (their
links stop working) and they are told by e-mail. A recall gives the turn back to the
whole group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden
from signflow.models import Package, Recipient, RecipientMember, RecipientRole
from signflow.outbox.enqueue import enqueue
from signflow.packages.access import recipient_email
from signflow.templates.groups import GroupView, group_by_name
from signflow.workflow.common import owned_draft, package_recipients, recipient_at
from signflow.workflow.events import PackageEvent, write_package_event
from signflow.workflow.recipients import (
    append_recipient,
    appended_step,
    check_room,
    renumber_serial,
    settle_type,
    valid_step,
)
from signflow.workflow.share import new_public_id

EMAIL_GROUP_TURN_TAKEN = "email.group_turn_taken"
NOT_A_GROUP = "The user at the given order is not a group"


@dataclass(frozen=True)
class NewGroupRecipient:
    group_name: str
    role: RecipientRole = RecipientRole.SIGNER
    email_notification: bool = True
    signing_order: int | None = None


@dataclass(frozen=True)
class GroupRecipientChange:
    group_name: str | None = None
    role: RecipientRole | None = None
    email_notification: bool | None = None
    signing_order: int | None = None


def turn_taken_message(group_name: str, by: str) -> str:
    return (
        f"Another member of the group '{group_name}' ({by}) has already acted for it: "
        "your invitation was withdrawn"
    )


async def add_groups(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    items: list[NewGroupRecipient],
) -> list[Recipient]:
    """Append group recipients after the existing recipients (the caller's personal group
    of that name first, then the enterprise's)."""
    package = await owned_draft(session, principal, package_id)
    if not items:
        raise BadRequest("Add at least one group")
    recipients = await package_recipients(session, package.id)
    check_room(recipients, len(items))
    added: list[tuple[Recipient, GroupView]] = []
    for item in items:
        group = await group_by_name(session, principal, item.group_name)
        recipient = append_recipient(
            session,
            package,
            recipients,
            step=appended_step(recipients, item.signing_order),
            email="",
            name=group.group.name,
            role=item.role,
            email_notification=item.email_notification,
            group_name=group.group.name,
        )
        added.append((recipient, group))
    settle_type(package, recipients)
    package.modified_at = utcnow()
    await session.flush()
    for recipient, group in added:
        write_members(session, recipient, ((m.email, m.name) for m in group.members))
    await session.flush()
    await record(
        session,
        package.id,
        "GROUPS_ADDED",
        actor,
        {
            "groups": [
                {
                    "order": recipient.position,
                    "group_name": recipient.group_name,
                    "group_id": group.group.id,
                    # Objects, not bare addresses: audit.personal finds and erases them.
                    "members": [{"email": m.email} for m in group.members],
                    "role": recipient.role,
                }
                for recipient, group in added
            ],
            "workflow_type": package.workflow_type,
        },
    )
    return [recipient for recipient, _ in added]


def write_members(
    session: AsyncSession, recipient: Recipient, members: Iterable[tuple[str, str]]
) -> None:
    """Copy a group's members (email, name) onto a group recipient (flushed by the caller)."""
    for position, (email, name) in enumerate(members, start=1):
        session.add(
            RecipientMember(
                public_id=new_public_id(),
                recipient_id=recipient.id,
                position=position,
                email=email,
                name=name,
            )
        )


async def update_group_recipient(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    order: int,
    change: GroupRecipientChange,
) -> Recipient:
    """The owner changes a group recipient while the package is a draft: another group
    (its members are copied again), the role, the notification, the step."""
    package = await owned_draft(session, principal, package_id)
    recipients = await package_recipients(session, package.id)
    slot = recipient_at(recipients, order)
    if slot.group_name is None:
        raise BadRequest(NOT_A_GROUP)
    details: dict[str, object] = {"order": order}
    if change.group_name is not None:
        group = await group_by_name(session, principal, change.group_name)
        for member in await members_of(session, [slot.id]):
            await session.delete(member)
        await session.flush()
        slot.group_name = group.group.name
        slot.name = group.group.name
        slot.email = ""
        write_members(session, slot, ((m.email, m.name) for m in group.members))
        details["group_id"] = group.group.id
        details["members"] = [{"email": m.email} for m in group.members]
    if change.role is not None:
        slot.role = change.role.value
    if change.email_notification is not None:
        slot.email_notification = change.email_notification
    if change.signing_order is not None:
        slot.signing_order = valid_step(change.signing_order)
    settle_type(package, recipients)
    renumber_serial(package, recipients)
    package.modified_at = utcnow()
    await session.flush()
    details.update(group_name=slot.group_name, role=slot.role, signing_order=slot.signing_order)
    await record(session, package.id, "WORKFLOW_GROUP_UPDATED", actor, details)
    return slot


async def members_of(session: AsyncSession, recipient_ids: list[int]) -> list[RecipientMember]:
    if not recipient_ids:
        return []
    return list(
        await session.scalars(
            select(RecipientMember)
            .where(RecipientMember.recipient_id.in_(recipient_ids))
            .order_by(RecipientMember.recipient_id, RecipientMember.position)
        )
    )


async def members_by_recipient(
    session: AsyncSession, recipients: Iterable[Recipient]
) -> dict[int, list[RecipientMember]]:
    ids = [r.id for r in recipients if r.group_name is not None]
    found: dict[int, list[RecipientMember]] = {recipient_id: [] for recipient_id in ids}
    for member in await members_of(session, ids):
        found[member.recipient_id].append(member)
    return found


async def take_group_turn(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package: Package,
    recipient: Recipient,
) -> None:
    """The caller acts for a group whose turn nobody took yet: they take it, or (another
    member got there first) 403 and nothing is written. No-op for any other recipient."""
    if not recipient.is_untaken_group:
        return
    email = recipient_email(principal, package.enterprise_id)
    member = await session.scalar(
        select(RecipientMember).where(
            RecipientMember.recipient_id == recipient.id,
            RecipientMember.email == (email or ""),
            RecipientMember.withdrawn_at.is_(None),
        )
    )
    group_name = recipient.group_name or ""
    if member is None:
        raise Forbidden(turn_taken_message(group_name, "another member"), code="group_turn_taken")
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(Recipient)
            .where(Recipient.id == recipient.id, Recipient.email == "")
            .values(email=member.email, name=member.name)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise Forbidden(turn_taken_message(group_name, "another member"), code="group_turn_taken")
    set_committed_value(recipient, "email", member.email)
    set_committed_value(recipient, "name", member.name)
    now = utcnow()
    others = list(
        await session.scalars(
            select(RecipientMember).where(
                RecipientMember.recipient_id == recipient.id,
                RecipientMember.id != member.id,
                RecipientMember.withdrawn_at.is_(None),
            )
        )
    )
    for other in others:
        other.withdrawn_at = now
        enqueue(
            session,
            EMAIL_GROUP_TURN_TAKEN,
            {"member_id": other.id},
            enterprise_id=package.enterprise_id,
        )
    await record(
        session,
        package.id,
        "GROUP_TURN_TAKEN",
        actor,
        {
            "order": recipient.position,
            "group_name": group_name,
            "user_email": member.email,
            "user_name": member.name,
            "withdrawn": [{"email": other.email} for other in others],
        },
    )
    # Auco's NOTIFICATION, naming the member who now holds the group's step.
    await write_package_event(session, package, PackageEvent.NOTIFICATION, recipient=recipient)


async def give_turns_back(session: AsyncSession, recipients: Iterable[Recipient]) -> None:
    """A recall: every group recipient is the whole group's again."""
    groups = [r for r in recipients if r.group_name is not None]
    for recipient in groups:
        recipient.email = ""
        recipient.name = recipient.group_name or ""
    if groups:
        await session.execute(
            update(RecipientMember)
            .where(RecipientMember.recipient_id.in_([r.id for r in groups]))
            .values(withdrawn_at=None)
            .execution_options(synchronize_session=False)
        )
