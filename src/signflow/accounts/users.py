"""Enterprise user administration, always inside the caller's enterprise.

An admin registers a person as a pending account: it holds no password and no
right until the person proves the address through the activation link mailed to
them (see `accounts/activation.py`). The answer is the same whether or not the
address has an account in another enterprise: that enterprise's account stays the
address's, the pending one can never be activated, and the mail tells the person
instead of inviting them (`notify/account_mail.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.credentials import hash_password
from signflow.accounts.passwords import reset_by_admin
from signflow.accounts.principal import Principal
from signflow.errors import BadRequest, Conflict, Forbidden, NotFound
from signflow.models import Application, EnterpriseRole, TokenGrant, User
from signflow.outbox.enqueue import enqueue

ACTIVATION_MAIL_JOB = "email.account_activation"

NOT_ALLOWED = "You are not allowed to perform the requested operation"
USER_NOT_FOUND = "User not found"


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    password: str | None = None
    mobile_number: str | None = None
    role: EnterpriseRole = EnterpriseRole.USER
    can_integrate: bool = False


@dataclass(frozen=True)
class UserChanges:
    name: str | None = None
    role: EnterpriseRole | None = None
    enabled: bool | None = None
    mobile_number: str | None = None
    can_integrate: bool | None = None
    password: str | None = None


def require_admin(principal: Principal) -> None:
    if not principal.user.is_admin:
        raise Forbidden(NOT_ALLOWED)


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise BadRequest(f"'{email}' is not a valid email address")
    return email


async def create_user(session: AsyncSession, enterprise_id: int, new: NewUser) -> User:
    """The account row, pending (its address not proven), in `enterprise_id`.

    Only an account of the same enterprise makes the address a duplicate; an account
    elsewhere is never looked at here, so nothing about it can leak into the answer.
    """
    email = normalise_email(new.email)
    duplicate = await session.scalar(
        select(User.id).where(User.email == email, User.enterprise_id == enterprise_id)
    )
    if duplicate is not None:
        raise Conflict(f"A user with email '{email}' already exists")
    user = User(
        enterprise_id=enterprise_id,
        email=email,
        name=new.name.strip() or email,
        mobile_number=new.mobile_number,
        password_hash=hash_password(new.password) if new.password else None,
        role=new.role.value,
        can_integrate=new.can_integrate,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same address registered at the same moment
        raise Conflict(f"A user with email '{email}' already exists") from exc
    return user


async def register_user(session: AsyncSession, principal: Principal, new: NewUser) -> User:
    """An admin registers a person: a pending account, and the activation mail to send
    once this transaction commits. A password given here is not kept: the person
    chooses their own when they activate."""
    require_admin(principal)
    user = await create_user(session, principal.enterprise_id, replace(new, password=None))
    enqueue(
        session,
        ACTIVATION_MAIL_JOB,
        {"user_id": user.id},
        enterprise_id=principal.enterprise_id,
    )
    return user


async def list_users(session: AsyncSession, principal: Principal) -> list[User]:
    require_admin(principal)
    rows = await session.scalars(
        select(User).where(User.enterprise_id == principal.enterprise_id).order_by(User.id)
    )
    return list(rows)


async def find_enterprise_user(session: AsyncSession, principal: Principal, email: str) -> User:
    """A user of the caller's enterprise; users elsewhere do not exist for the caller."""
    require_admin(principal)
    user = await session.scalar(
        select(User).where(
            User.email == email.strip().lower(), User.enterprise_id == principal.enterprise_id
        )
    )
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return user


async def update_user(
    session: AsyncSession, principal: Principal, email: str, changes: UserChanges
) -> User:
    user = await find_enterprise_user(session, principal, email)
    demoting_self = user.id == principal.user.id and (
        changes.enabled is False or changes.role is EnterpriseRole.USER
    )
    if demoting_self:
        raise BadRequest("You cannot disable or demote your own account")
    if changes.name is not None:
        user.name = changes.name.strip() or user.name
    if changes.role is not None:
        user.role = changes.role.value
    if changes.enabled is not None:
        user.is_active = changes.enabled
    if changes.mobile_number is not None:
        user.mobile_number = changes.mobile_number or None
    if changes.can_integrate is not None:
        user.can_integrate = changes.can_integrate
    if changes.password:
        await reset_by_admin(session, principal, user, changes.password)
    await session.flush()
    return user


async def delete_user(session: AsyncSession, principal: Principal, email: str) -> None:
    user = await find_enterprise_user(session, principal, email)
    if user.id == principal.user.id:
        raise BadRequest("You cannot delete your own account")
    api_user_of = await session.scalar(
        select(func.count()).select_from(Application).where(Application.api_user_id == user.id)
    )
    if api_user_of:
        raise Conflict("This user is the API user of an integration application")
    await session.execute(
        delete(TokenGrant).where(
            (TokenGrant.user_id == user.id) | (TokenGrant.actor_user_id == user.id)
        )
    )
    await session.delete(user)
    await session.flush()
