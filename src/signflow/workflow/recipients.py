"""Recipients of a draft package: add, list, update, reorder, delete, and their settings.

Recipients are addressed by their 1-based `order` (position). `signing_order`
is their step: equal values act together, and giving a recipient the step of
another in a SERIAL workflow turns it CUSTOM.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden
from signflow.i18n import languages, supported
from signflow.models import (
    Field,
    Package,
    Recipient,
    RecipientMember,
    RecipientRole,
    User,
    WorkflowStatus,
    WorkflowType,
)
from signflow.packages.access import Need, get_package
from signflow.packages.enterprise import enterprise_package
from signflow.workflow.common import (
    LOCKED_WORKFLOW,
    owned_draft,
    owned_package,
    package_recipients,
    recipient_at,
)
from signflow.workflow.reassign import Replacement, reassign_recipient
from signflow.workflow.share import new_public_id

MAX_RECIPIENTS = 200


class RecipientSetting(StrEnum):
    PERMISSIONS = "permissions"
    AUTHENTICATION = "authentication"
    REMINDERS = "reminders"


@dataclass(frozen=True)
class NewRecipient:
    email: str
    name: str | None = None
    role: RecipientRole = RecipientRole.SIGNER
    email_notification: bool = True
    signing_order: int | None = None
    mobile_number: str | None = None
    language: str | None = None  # None: the enterprise's default


@dataclass(frozen=True)
class RecipientChange:
    email: str | None = None
    name: str | None = None
    role: RecipientRole | None = None
    email_notification: bool | None = None
    signing_order: int | None = None
    mobile_number: str | None = None
    language: str | None = None  # "" clears it (back to the enterprise's default)


def _clean_language(code: str | None) -> str | None:
    """A supported language code (`de`, `pt-BR` -> `pt`), None for none; else BadRequest."""
    if code is None or not code.strip():
        return None
    language = supported(code)
    if language is None:
        raise BadRequest(
            f"Language '{code}' is not supported; use one of: {', '.join(languages())}"
        )
    return language


def clean_email(email: str) -> str:
    cleaned = email.strip().lower()
    local, at, domain = cleaned.partition("@")
    if not (local and at and "." in domain) or len(cleaned) > 320:
        raise BadRequest(f"'{email}' is not a valid email address")
    return cleaned


async def _default_name(session: AsyncSession, enterprise_id: int, email: str) -> str:
    name = await session.scalar(
        select(User.name).where(User.email == email, User.enterprise_id == enterprise_id)
    )
    return name or email.partition("@")[0]


def settle_type(package: Package, recipients: list[Recipient]) -> None:
    """SERIAL with two recipients in one step is CUSTOM."""
    if package.workflow_type != WorkflowType.SERIAL.value:
        return
    orders = [r.signing_order for r in recipients]
    if len(set(orders)) != len(orders):
        package.workflow_type = WorkflowType.CUSTOM.value


def check_room(recipients: list[Recipient], adding: int) -> None:
    if len(recipients) + adding > MAX_RECIPIENTS:
        raise BadRequest(f"A workflow holds at most {MAX_RECIPIENTS} users")


def valid_step(signing_order: int) -> int:
    if signing_order < 1:
        raise BadRequest("signing_order must be 1 or more")
    return signing_order


def appended_step(recipients: list[Recipient], signing_order: int | None) -> int:
    """The step of a recipient added last: the one asked for, else a step after all others."""
    if signing_order is not None:
        return valid_step(signing_order)
    return max((r.signing_order for r in recipients), default=0) + 1


def append_recipient(
    session: AsyncSession,
    package: Package,
    recipients: list[Recipient],
    *,
    step: int,
    email: str,
    name: str,
    role: RecipientRole,
    email_notification: bool,
    **kind: str | None,
) -> Recipient:
    """A new recipient row after `recipients` (added to the session and to the list), with
    no settings yet; `kind` says what it is beyond a person: its placeholder or group name,
    or a person's mobile number."""
    recipient = Recipient(
        public_id=new_public_id(),
        package_id=package.id,
        position=len(recipients) + 1,
        signing_order=step,
        email=email,
        name=name,
        role=role.value,
        email_notification=email_notification,
        permissions={},
        authentication={},
        access_duration={},
        reminders={},
        **kind,
    )
    session.add(recipient)
    recipients.append(recipient)
    return recipient


def renumber_serial(package: Package, recipients: list[Recipient]) -> None:
    if package.workflow_type == WorkflowType.SERIAL.value:
        for recipient in recipients:
            recipient.signing_order = recipient.position


async def add_recipients(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    items: list[NewRecipient],
) -> list[Recipient]:
    """Append recipients after the existing ones."""
    package = await owned_draft(session, principal, package_id)
    if not items:
        raise BadRequest("Add at least one user")
    recipients = await package_recipients(session, package.id)
    check_room(recipients, len(items))
    added = []
    for item in items:
        email = clean_email(item.email)
        if item.signing_order is None and package.workflow_type == WorkflowType.PARALLEL.value:
            step = 1
        else:
            step = appended_step(recipients, item.signing_order)
        name = (item.name or "").strip() or await _default_name(
            session, package.enterprise_id, email
        )
        recipient = append_recipient(
            session,
            package,
            recipients,
            step=step,
            email=email,
            name=name,
            role=item.role,
            email_notification=item.email_notification,
            mobile_number=item.mobile_number,
            language=_clean_language(item.language),
        )
        added.append(recipient)
    settle_type(package, recipients)
    package.modified_at = utcnow()
    await session.flush()
    await record(
        session,
        package.id,
        "USERS_ADDED",
        actor,
        {
            "users": [{"order": r.position, "user_email": r.email, "role": r.role} for r in added],
            "workflow_type": package.workflow_type,
        },
    )
    return added


async def list_recipients(
    session: AsyncSession, principal: Principal, package_id: int
) -> list[Recipient]:
    access = await get_package(session, principal, package_id, Need.READ)
    return await package_recipients(session, access.package.id)


async def get_recipient(
    session: AsyncSession, principal: Principal, package_id: int, order: int
) -> Recipient:
    access = await get_package(session, principal, package_id, Need.READ)
    return recipient_at(await package_recipients(session, access.package.id), order)


async def update_recipient(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    order: int,
    change: RecipientChange,
) -> Recipient:
    package = await owned_package(session, principal, package_id)
    recipients = await package_recipients(session, package.id)
    if package.status != WorkflowStatus.DRAFT.value:
        # Once shared, only who the recipient is may change (workflow/reassign.py).
        recipient = recipient_at(recipients, order)
        other_role = change.role is not None and change.role.value != recipient.role
        other_step = change.signing_order not in (None, recipient.signing_order)
        if other_role or other_step or not change.email:
            raise Forbidden(LOCKED_WORKFLOW)
        if change.email_notification is not None:
            recipient.email_notification = change.email_notification
        email = clean_email(change.email)
        name = (change.name or "").strip() or await _default_name(
            session, package.enterprise_id, email
        )
        await reassign_recipient(
            session,
            actor,
            package,
            recipient,
            Replacement(email, name, change.mobile_number or None),
        )
        return recipient
    recipient = recipient_at(recipients, order)
    if change.email is not None:
        recipient.email = clean_email(change.email)
        if recipient.group_name is not None:
            # A person now holds the group's place (SigningHub's update-user on a group).
            await session.execute(
                delete(RecipientMember).where(RecipientMember.recipient_id == recipient.id)
            )
            recipient.group_name = None
            recipient.name = await _default_name(session, package.enterprise_id, recipient.email)
    if change.name is not None and change.name.strip():
        recipient.name = change.name.strip()
    if change.role is not None:
        recipient.role = change.role.value
    if change.email_notification is not None:
        recipient.email_notification = change.email_notification
    if change.mobile_number is not None:
        recipient.mobile_number = change.mobile_number or None
    if change.language is not None:
        recipient.language = _clean_language(change.language)
    if change.signing_order is not None:
        recipient.signing_order = valid_step(change.signing_order)
    settle_type(package, recipients)
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        "USER_UPDATED",
        actor,
        {
            "order": order,
            "user_email": recipient.email,
            "role": recipient.role,
            "signing_order": recipient.signing_order,
            "workflow_type": package.workflow_type,
            "language": recipient.language,
        },
    )
    return recipient


async def _apply_positions(session: AsyncSession, recipients: list[Recipient]) -> None:
    """Give each recipient its new position without tripping (package, position) uniqueness."""
    for recipient in recipients:
        recipient.position = -recipient.id
    await session.flush()
    for index, recipient in enumerate(recipients, start=1):
        recipient.position = index
    await session.flush()


async def reorder_recipient(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    order: int,
    new_order: int,
) -> None:
    package = await owned_draft(session, principal, package_id)
    recipients = await package_recipients(session, package.id)
    moving = recipient_at(recipients, order)
    if not 1 <= new_order <= len(recipients):
        raise BadRequest(f"order must be between 1 and {len(recipients)}")
    recipients.remove(moving)
    recipients.insert(new_order - 1, moving)
    await _apply_positions(session, recipients)
    renumber_serial(package, recipients)
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        "USER_REORDERED",
        actor,
        {"user_email": moving.email, "from_order": order, "to_order": new_order},
    )


async def delete_recipient(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int, order: int
) -> None:
    """Remove a recipient and the fields placed for them; those after move up."""
    package = await owned_draft(session, principal, package_id)
    recipients = await package_recipients(session, package.id)
    leaving = recipient_at(recipients, order)
    await session.execute(delete(Field).where(Field.recipient_id == leaving.id))
    await session.delete(leaving)
    await session.flush()
    recipients.remove(leaving)
    await _apply_positions(session, recipients)
    renumber_serial(package, recipients)
    package.modified_at = utcnow()
    await record(
        session, package.id, "USER_DELETED", actor, {"order": order, "user_email": leaving.email}
    )


async def update_recipient_settings(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    order: int,
    setting: RecipientSetting,
    values: dict[str, dict[str, object]],
    *,
    apply_to_all: bool,
) -> None:
    """Store permissions, document-opening authentication (with the access duration), or
    reminders for one recipient, or for all of them with `apply_to_all`."""
    package = await owned_draft(session, principal, package_id)
    await _store_settings(session, actor, package, order, setting, values, apply_to_all)


async def enterprise_recipient(
    session: AsyncSession, principal: Principal, package_id: int, order: int
) -> Recipient:
    """A recipient of a package of the caller's enterprise, for its owner or an admin."""
    package = await enterprise_package(session, principal, package_id)
    return recipient_at(await package_recipients(session, package.id), order)


async def update_enterprise_recipient_settings(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    order: int,
    setting: RecipientSetting,
    values: dict[str, dict[str, object]],
    *,
    apply_to_all: bool,
) -> None:
    """`update_recipient_settings` through `enterprise/packages/...`: the owner or an
    administrator of the package's enterprise, on a draft."""
    package = await enterprise_package(session, principal, package_id, for_update=True)
    if package.status != WorkflowStatus.DRAFT.value:
        raise Forbidden(LOCKED_WORKFLOW)
    await _store_settings(session, actor, package, order, setting, values, apply_to_all)


async def _store_settings(
    session: AsyncSession,
    actor: Actor,
    package: Package,
    order: int,
    setting: RecipientSetting,
    values: dict[str, dict[str, object]],
    apply_to_all: bool,
) -> None:
    recipients = await package_recipients(session, package.id)
    target = recipient_at(recipients, order)
    for recipient in recipients if apply_to_all else [target]:
        for column, value in values.items():
            setattr(recipient, column, dict(value))
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        f"USER_{setting.value.upper()}_UPDATED",
        actor,
        {"order": order, "apply_to_all": apply_to_all, **_redacted(values)},
    )


def _redacted(values: dict[str, dict[str, object]]) -> dict[str, object]:
    """The history keeps what changed, never a password."""

    def scrub(value: object) -> object:
        if isinstance(value, dict):
            return {
                k: "***" if "password" in k and isinstance(v, str) else scrub(v)
                for k, v in value.items()
            }
        return value

    return {key: scrub(value) for key, value in values.items()}
