"""Invitations to join an enterprise (SigningHub's enterprise and account invitations).

An enterprise admin invites an address (`invite`). The answer is the same whether or not
the address has an account anywhere, so an admin cannot probe another enterprise's users;
the mail, decided when it is sent, tells the person what to do (`notify/account_mail.py`).

An invitation proves nothing and gives nothing by itself: only the account that proved
the address, signed in (not an admin acting for it through `scope`), may see
(`pending_for`), accept (`accept`) or decline (`decline_all`) it. So an admin cannot
take over an address that belongs to another enterprise's user by inviting it.
Accepting moves that account into the inviting enterprise with the invited role, when
nothing ties it to its current one (packages or templates it owns, being an
integration's API user or its enterprise's only admin); every token it held is revoked,
since each was issued through the old enterprise's application.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.accounts.tokens import revoke_user_grants
from signflow.accounts.users import normalise_email, require_admin
from signflow.errors import BadRequest, Conflict, Forbidden, NotFound
from signflow.models import (
    Application,
    Contact,
    Enterprise,
    EnterpriseRole,
    Invitation,
    InvitationStatus,
    Package,
    Template,
    User,
)
from signflow.outbox.enqueue import enqueue

INVITATION_MAIL_JOB = "email.enterprise_invitation"
INVITATION_NOT_FOUND = "Invitation not found"
OWN_ENTERPRISE = "This user is already a user of your enterprise"
SCOPED = "A token acting for another user cannot see or answer their invitations"
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class NewInvitation:
    email: str
    name: str | None
    role: EnterpriseRole = EnterpriseRole.USER


async def invite(session: AsyncSession, principal: Principal, new: NewInvitation) -> Invitation:
    """Invite an address (an admin's call), or invite it again: the name and role are
    updated, a declined invitation is pending again, and the mail is sent again."""
    require_admin(principal)
    email = normalise_email(new.email)
    member = await session.scalar(
        select(User.id).where(User.enterprise_id == principal.enterprise_id, User.email == email)
    )
    if member is not None:
        raise Conflict(OWN_ENTERPRISE)
    invitation = await session.scalar(
        select(Invitation)
        .where(Invitation.enterprise_id == principal.enterprise_id, Invitation.email == email)
        .with_for_update()
    )
    name = (new.name or "").strip() or email
    if invitation is None:
        invitation = Invitation(enterprise_id=principal.enterprise_id, email=email, name=name)
        session.add(invitation)
    invitation.name = name
    invitation.role = new.role.value
    invitation.status = InvitationStatus.PENDING.value
    invitation.invited_by_id = principal.user.id
    try:
        await session.flush()
    except IntegrityError as exc:  # the same address invited at the same moment
        raise Conflict(f"'{email}' was invited meanwhile") from exc
    enqueue(
        session,
        INVITATION_MAIL_JOB,
        {"invitation_id": invitation.id},
        enterprise_id=principal.enterprise_id,
    )
    return invitation


async def list_invitations(
    session: AsyncSession, principal: Principal, page_no: int, per_page: int
) -> tuple[list[Invitation], int]:
    require_admin(principal)
    if page_no < 1:
        raise BadRequest("page_no must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"records_per_page must be between 1 and {MAX_PER_PAGE}")
    query = select(Invitation).where(Invitation.enterprise_id == principal.enterprise_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Invitation.id).limit(per_page).offset((page_no - 1) * per_page)
    )
    return list(rows), int(total or 0)


async def withdraw(session: AsyncSession, principal: Principal, email: str) -> None:
    require_admin(principal)
    deleted = await session.execute(
        delete(Invitation)
        .where(
            Invitation.enterprise_id == principal.enterprise_id,
            Invitation.email == email.strip().lower(),
        )
        .returning(Invitation.id)
    )
    if deleted.first() is None:
        raise NotFound(INVITATION_NOT_FOUND)


def _addressed_to(principal: Principal) -> ColumnElement[bool]:
    """The invitations of the caller's proven address, from other enterprises."""
    return and_(
        Invitation.email == principal.user.email,
        Invitation.enterprise_id != principal.enterprise_id,
    )


async def pending_for(
    session: AsyncSession, principal: Principal
) -> list[tuple[Invitation, Enterprise]]:
    """The caller's own pending invitations, with the inviting enterprises."""
    _refuse_scope(principal)
    rows = await session.execute(
        select(Invitation, Enterprise)
        .join(Enterprise, Enterprise.id == Invitation.enterprise_id)
        .where(
            _addressed_to(principal),
            Invitation.status == InvitationStatus.PENDING.value,
            Enterprise.is_active.is_(True),
        )
        .order_by(Invitation.id)
    )
    return [(invitation, enterprise) for invitation, enterprise in rows]


def _refuse_scope(principal: Principal) -> None:
    """Invitations are the person's own business: an admin acting for them through
    `scope` may not answer them (nor see other enterprises' invitations)."""
    if principal.is_scoped:
        raise Forbidden(SCOPED)


async def decline_all(session: AsyncSession, principal: Principal) -> None:
    _refuse_scope(principal)
    await session.execute(
        update(Invitation)
        .where(_addressed_to(principal), Invitation.status == InvitationStatus.PENDING.value)
        .values(status=InvitationStatus.DECLINED.value)
        .execution_options(synchronize_session=False)
    )


async def _refuse_if_tied(session: AsyncSession, user: User) -> None:
    """What keeps an account in its enterprise: each its own 409."""
    if await session.scalar(select(exists().where(Package.owner_id == user.id))):
        raise Conflict(
            "Your account owns document packages in its enterprise: hand them over first"
        )
    if await session.scalar(select(exists().where(Template.owner_id == user.id))):
        raise Conflict("Your account owns templates in its enterprise: hand them over first")
    if await session.scalar(select(exists().where(Application.api_user_id == user.id))):
        raise Conflict("Your account is the API user of an integration application")
    if user.is_admin:
        other_admins = await session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.enterprise_id == user.enterprise_id,
                User.role == EnterpriseRole.ADMIN.value,
                User.id != user.id,
                User.is_active.is_(True),
            )
        )
        if not other_admins:
            raise Conflict("You are the only administrator of your enterprise")


async def accept(session: AsyncSession, principal: Principal, enterprise_name: str) -> Enterprise:
    """The caller accepts the pending invitation of the enterprise named: their account
    moves there with the invited role. A token acting through `scope` cannot accept for
    the user it acts for."""
    _refuse_scope(principal)
    found = await session.execute(
        select(Invitation, Enterprise)
        .join(Enterprise, Enterprise.id == Invitation.enterprise_id)
        .where(
            _addressed_to(principal),
            Invitation.status == InvitationStatus.PENDING.value,
            Enterprise.name == enterprise_name.strip(),
            Enterprise.is_active.is_(True),
        )
        .with_for_update(of=Invitation)
    )
    row = found.first()
    if row is None:
        raise NotFound(INVITATION_NOT_FOUND)
    invitation, enterprise = row
    user = await session.get_one(User, principal.user.id, with_for_update=True)
    await _refuse_if_tied(session, user)
    # A pending account of the address in the inviting enterprise can never be activated
    # (this account proved the address): it gives way, unless something is tied to it.
    placeholder = await session.scalar(
        select(User).where(User.enterprise_id == enterprise.id, User.email == user.email)
    )
    if placeholder is not None:
        await _refuse_if_tied(session, placeholder)
        await revoke_user_grants(session, placeholder.id)
        await session.delete(placeholder)
        await session.flush()
    old_enterprise_id = user.enterprise_id
    await session.execute(
        update(User)
        .where(User.delegate_user_id == user.id)
        .values(delegate_enabled=False, delegate_user_id=None)
        .execution_options(synchronize_session=False)
    )
    user.enterprise_id = enterprise.id
    user.role = invitation.role
    user.can_integrate = False
    user.delegate_enabled = False
    user.delegate_user_id = None
    await session.execute(
        update(Contact)
        .where(Contact.owner_id == user.id, Contact.enterprise_id == old_enterprise_id)
        .values(enterprise_id=enterprise.id)
        .execution_options(synchronize_session=False)
    )
    await session.delete(invitation)
    await revoke_user_grants(session, user.id)
    await session.flush()
    return enterprise
