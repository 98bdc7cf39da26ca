"""The recipient's side of document-opening security: ask for a code, present a password."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor
from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden
from signflow.identity.checks import Blocked, Credentials, require_access_window, verify_identity
from signflow.identity.codes import code_holder, issue_code
from signflow.identity.methods import opening_methods
from signflow.models import Package, ProcessStatus, Recipient
from signflow.packages.access import Need, get_package, recipient_email
from signflow.workflow.common import NOT_ALLOWED, package_recipients, recipient_at

NO_CODE_NEEDED = "This user does not need a one-time code"
NO_PASSWORD_NEEDED = "This user does not need a password"  # noqa: S105
NO_MEMBER_ACTING = (
    "No member has acted for the group '{group}' yet: each member asks for their own code"
)
ACCESS_GRANTED = "access to the document is granted"


async def _recipient_for(
    session: AsyncSession, principal: Principal, package_id: int, order: int, *, owner_may: bool
) -> tuple[Recipient, Package]:
    access = await get_package(session, principal, package_id, Need.READ, for_update=True)
    recipient = recipient_at(await package_recipients(session, access.package.id), order)
    mine = any(r.id == recipient.id for r in access.recipients) or (
        recipient.email == recipient_email(principal, access.package.enterprise_id)
        and recipient.turn_started_at is not None
    )
    if not (mine or (owner_may and access.is_owner)):
        raise Forbidden(NOT_ALLOWED)
    if recipient.turn_started_at is None:
        raise Forbidden(NOT_ALLOWED)
    return recipient, access.package


async def send_opening_code(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    actor: Actor,
    package_id: int,
    order: int,
) -> None:
    """Send the recipient at `order` their opening code (by SMS or email, as configured)."""
    recipient, package = await _recipient_for(session, principal, package_id, order, owner_may=True)
    if recipient.process_status == ProcessStatus.BLOCKED.value:
        raise Blocked()
    methods = opening_methods(recipient)
    if methods.otp_channel is None:
        raise BadRequest(NO_CODE_NEEDED)
    require_access_window(recipient, utcnow())
    holder = await code_holder(
        session, recipient, recipient_email(principal, package.enterprise_id)
    )
    if holder is None:  # the owner, for a group: the code is a member's to ask for
        raise BadRequest(NO_MEMBER_ACTING.format(group=recipient.group_name))
    await issue_code(
        session,
        settings,
        package,
        recipient,
        purpose=holder.purpose,
        channel=methods.otp_channel,
        mobile_number=methods.mobile_number,
        actor=actor,
        email=holder.email,
    )


async def open_with_password(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    order: int,
    credentials: Credentials,
) -> None:
    """The recipient presents their password (and x-otp when a code is also asked for)."""
    recipient, package = await _recipient_for(
        session, principal, package_id, order, owner_may=False
    )
    if not opening_methods(recipient).password:
        raise BadRequest(NO_PASSWORD_NEEDED)
    holder = await code_holder(
        session, recipient, recipient_email(principal, package.enterprise_id)
    )
    if holder is None:
        raise Forbidden(NOT_ALLOWED)
    await verify_identity(
        session, package, recipient, credentials, actor, code_purpose=holder.purpose
    )
