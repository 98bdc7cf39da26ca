"""Changing a recipient during the workflow (SigningHub's "change recipient", through
`PUT packages/{pid}/workflow/{order}/user` on a shared package): someone who has not
acted yet is replaced by another person, who takes over the entry with its role, its
fields and the owner's settings.

The new person is trusted for nothing the previous one proved: the entry gets a new
signing link (the old one stops working), and every identity check, one-time code and
opening of the previous person is dropped, so the new person proves their address as
any invitee does (the link mailed to it, or an account that proved it). A document-
opening SMS code cannot go to the previous person's number: a new one must be given.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden
from signflow.identity.methods import authentication_settings
from signflow.models import (
    Field,
    OneTimeCode,
    Package,
    ProcessStatus,
    Recipient,
    RecipientIdentity,
    WorkflowStatus,
)
from signflow.outbox.enqueue import enqueue
from signflow.workflow.common import NOT_ALLOWED, turn_is_open
from signflow.workflow.events import PackageEvent, email_turn_opened, write_package_event
from signflow.workflow.share import new_public_id

EMAIL_RECIPIENT_REPLACED = "email.recipient_replaced"
# Still to act: waiting for their turn, or on it without having acted.
REPLACEABLE = frozenset({ProcessStatus.UN_PROCESSED.value, ProcessStatus.IN_PROGRESS.value})
NEW_NUMBER_NEEDED = (
    "mobile_number is needed: the recipient opens the document with an SMS code, "
    "which cannot go to the previous person's number"
)


@dataclass(frozen=True)
class Replacement:
    email: str
    name: str
    mobile_number: str | None


async def reassign_recipient(
    session: AsyncSession,
    actor: Actor,
    package: Package,
    recipient: Recipient,
    replacement: Replacement,
) -> None:
    """Hand `recipient` (of the locked, shared `package`) over to another person."""
    if package.status != WorkflowStatus.SHARED.value:
        raise Forbidden(NOT_ALLOWED)
    if recipient.group_name is not None:
        raise BadRequest(
            "A group's place cannot be handed to a person once the package is shared: "
            "any one of its members acts for it"
        )
    if not recipient.email:
        raise BadRequest("A placeholder is filled with PUT workflow/{order}/placeholder")
    if recipient.process_status not in REPLACEABLE or recipient.finished_at is not None:
        raise Forbidden(NOT_ALLOWED)
    if await _has_acted(session, recipient):
        raise Forbidden(NOT_ALLOWED)
    if replacement.email == recipient.email:
        raise BadRequest("The new recipient must be another person")
    previous = Replacement(recipient.email, recipient.name, recipient.mobile_number)
    _require_number_for_sms(recipient, replacement)
    await _forget_previous_person(session, recipient)
    recipient.email, recipient.name = replacement.email, replacement.name
    recipient.mobile_number = replacement.mobile_number
    _move_opening_number(recipient, replacement.mobile_number)
    recipient.public_id = new_public_id()
    recipient.read_at = None
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        "RECIPIENT_REASSIGNED",
        actor,
        {"order": recipient.position, "previous": previous.email, "new": replacement.email},
    )
    # Auco's NOTIFICATION, naming the person who now holds the entry.
    await write_package_event(session, package, PackageEvent.NOTIFICATION, recipient=recipient)
    enqueue(
        session,
        EMAIL_RECIPIENT_REPLACED,
        {"package_id": package.id, "email": previous.email, "name": previous.name},
        enterprise_id=package.enterprise_id,
    )
    if turn_is_open(recipient):
        # Their turn is already open: the new person is told now (else when it opens).
        email_turn_opened(session, package, recipient)


async def _has_acted(session: AsyncSession, recipient: Recipient) -> bool:
    """Signed or filled in any of their fields (a turn can be half done)."""
    acted = await session.scalar(
        select(Field.id)
        .where(
            Field.recipient_id == recipient.id,
            or_(Field.signed_at.is_not(None), Field.filled_at.is_not(None)),
        )
        .limit(1)
    )
    return acted is not None


def _require_number_for_sms(recipient: Recipient, replacement: Replacement) -> None:
    settings = authentication_settings(recipient)
    sms = settings.get("sms_otp")
    by_sms = settings.get("enabled") and isinstance(sms, dict) and sms.get("enabled")
    if by_sms and not replacement.mobile_number:
        raise BadRequest(NEW_NUMBER_NEEDED)


def _move_opening_number(recipient: Recipient, number: str | None) -> None:
    """The stored opening settings name the new person's number (or none)."""
    stored = dict(recipient.authentication)
    nested = "authentication" in stored
    settings = dict(authentication_settings(recipient))
    sms = settings.get("sms_otp")
    if not isinstance(sms, dict):
        return
    settings["sms_otp"] = {**sms, "mobile_number": number}
    recipient.authentication = {**stored, "authentication": settings} if nested else settings


async def _forget_previous_person(session: AsyncSession, recipient: Recipient) -> None:
    await session.execute(delete(OneTimeCode).where(OneTimeCode.recipient_id == recipient.id))
    await session.execute(
        delete(RecipientIdentity).where(RecipientIdentity.recipient_id == recipient.id)
    )
