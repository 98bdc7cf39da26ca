"""Self-registration (SigningHub's `POST account`) and resending the activation mail.

Registration is off unless the operator turns it on (`SIGNFLOW_SELF_REGISTRATION`): a
self-hosted server decides who has accounts. When on, a person registers into the
enterprise that invited their address (`invitation.enterprise_name`), or else into the
operator's `SELF_REGISTRATION_ENTERPRISE`. Either way the account is pending until the
address is proven through the activation link, as for an account an admin registers.

Both calls answer the same whether or not the address has an account, so neither can be
used to learn who has one; both are counted per address (`password_reset.count_mail_request`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.accounts.users import ACTIVATION_MAIL_JOB, NewUser, create_user, normalise_email
from signflow.config import Settings
from signflow.errors import Forbidden
from signflow.models import Enterprise, EnterpriseRole, Invitation, InvitationStatus, User
from signflow.outbox.enqueue import enqueue

REGISTRATION_DISABLED = "Registration is disabled on this server"


@dataclass(frozen=True)
class Registration:
    email: str
    name: str
    mobile_number: str | None = None
    job_title: str | None = None
    company_name: str | None = None
    country: str | None = None
    time_zone: str | None = None
    language: str | None = None
    invited_by: str | None = None  # the inviting enterprise's name


async def _target(
    session: AsyncSession, settings: Settings, email: str, invited_by: str | None
) -> tuple[Enterprise, EnterpriseRole, Invitation | None]:
    if invited_by:
        found = await session.execute(
            select(Invitation, Enterprise)
            .join(Enterprise, Enterprise.id == Invitation.enterprise_id)
            .where(
                Enterprise.name == invited_by.strip(),
                Enterprise.is_active.is_(True),
                Invitation.email == email,
                Invitation.status == InvitationStatus.PENDING.value,
            )
        )
        row = found.first()
        if row is not None:
            invitation, enterprise = row
            return enterprise, EnterpriseRole(invitation.role), invitation
    if settings.self_registration_enterprise:
        configured = await session.scalar(
            select(Enterprise).where(
                Enterprise.name == settings.self_registration_enterprise,
                Enterprise.is_active.is_(True),
            )
        )
        if configured is not None:
            return configured, EnterpriseRole.USER, None
    raise Forbidden(REGISTRATION_DISABLED, code="registration_disabled")


async def register(session: AsyncSession, settings: Settings, new: Registration) -> None:
    """A pending account and its activation mail; nothing new if the address is already
    registered in the target enterprise (the answer is the same)."""
    if not settings.self_registration:
        raise Forbidden(REGISTRATION_DISABLED, code="registration_disabled")
    email = normalise_email(new.email)
    enterprise, role, invitation = await _target(session, settings, email, new.invited_by)
    existing = await session.scalar(
        select(User.id).where(User.enterprise_id == enterprise.id, User.email == email)
    )
    if existing is not None:
        return
    user = await create_user(
        session,
        enterprise.id,
        NewUser(email=email, name=new.name, mobile_number=new.mobile_number, role=role),
    )
    user.job_title = new.job_title
    user.company_name = new.company_name
    user.country = new.country
    user.time_zone = new.time_zone
    user.language = new.language
    if invitation is not None:  # used: the account now exists in that enterprise
        await session.delete(invitation)
    await session.flush()
    enqueue(session, ACTIVATION_MAIL_JOB, {"user_id": user.id}, enterprise_id=enterprise.id)


async def resend_activation(session: AsyncSession, principal: Principal, email: str) -> None:
    """Mail a new activation link to the pending account of `email` in the caller's
    enterprise, if there is one (an older link stops working when the new one is made)."""
    user = await session.scalar(
        select(User).where(
            User.enterprise_id == principal.enterprise_id,
            User.email == email.strip().lower(),
            User.email_verified_at.is_(None),
            User.is_active.is_(True),
        )
    )
    if user is not None:
        enqueue(
            session, ACTIVATION_MAIL_JOB, {"user_id": user.id}, enterprise_id=user.enterprise_id
        )
