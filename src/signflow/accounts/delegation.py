"""A user's personal delegation of signing: to whom, and for which period. While enabled
and within its period, a turn that opens for the user goes to the delegate instead
(`workflow/delegation.py`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.errors import BadRequest
from signflow.models import User


@dataclass(frozen=True)
class Delegation:
    enabled: bool
    delegate: User | None
    starts: dt.datetime | None
    ends: dt.datetime | None


@dataclass(frozen=True)
class DelegationChange:
    """None leaves a value as it is; `delegate_email` names a user of the same enterprise."""

    enabled: bool | None = None
    delegate_email: str | None = None
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None


async def delegation_of(session: AsyncSession, user: User) -> Delegation:
    delegate = await session.get(User, user.delegate_user_id) if user.delegate_user_id else None
    return Delegation(user.delegate_enabled, delegate, user.delegate_from, user.delegate_to)


async def update_delegation(
    session: AsyncSession, user_id: int, change: DelegationChange
) -> Delegation:
    user = await session.get_one(User, user_id, with_for_update=True)
    if change.delegate_email is not None:
        delegate = await session.scalar(
            select(User).where(
                User.enterprise_id == user.enterprise_id,
                func.lower(User.email) == change.delegate_email.strip().lower(),
                User.is_active.is_(True),
            )
        )
        if delegate is None:
            raise BadRequest("The delegate must be an active user of your enterprise")
        if delegate.id == user.id:
            raise BadRequest("You cannot delegate your signing to yourself")
        user.delegate_user_id = delegate.id
    if change.starts is not None:
        user.delegate_from = change.starts
    if change.ends is not None:
        user.delegate_to = change.ends
    if change.enabled is not None:
        user.delegate_enabled = change.enabled
    if user.delegate_enabled and user.delegate_user_id is None:
        raise BadRequest("delegate.user_email is required to enable delegation")
    if user.delegate_from and user.delegate_to and user.delegate_from > user.delegate_to:
        raise BadRequest("delegate.from must not be after delegate.to")
    await session.flush()
    return await delegation_of(session, user)


async def active_delegate(
    session: AsyncSession, enterprise_id: int, email: str, now: dt.datetime
) -> User | None:
    """The user a turn for `email` goes to now, if that user of the enterprise delegates."""
    user = await session.scalar(
        select(User).where(
            User.enterprise_id == enterprise_id,
            func.lower(User.email) == email.lower(),
            User.delegate_enabled.is_(True),
        )
    )
    if user is None or user.delegate_user_id is None:
        return None
    if (user.delegate_from and now < user.delegate_from) or (
        user.delegate_to and now > user.delegate_to
    ):
        return None
    delegate = await session.get(User, user.delegate_user_id)
    return delegate if delegate is not None and delegate.is_active else None
