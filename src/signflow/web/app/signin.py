"""Signing in to the web app with an e-mail address and a password.

The same rules as the API's password grant (`accounts/signin.py`): the try is paid for
first (`accounts/throttle.py`) in a transaction that commits before argon2 runs, only
the account that proved the address may sign in, an unknown address costs as much as
a wrong password, and a right password gives the try back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signflow.accounts.credentials import verify_password_off_loop
from signflow.accounts.throttle import Bucket, reserve, settle_success, user_buckets
from signflow.config import Settings
from signflow.db import transaction
from signflow.errors import BadRequest, KeepsChanges
from signflow.models import Enterprise, User

MAX_EMAIL_CHARS = 320
MAX_PASSWORD_CHARS = 1000


class WrongCredentials(BadRequest):
    default_message = "app.signin.invalid"


class PasswordMustChange(KeepsChanges):
    """The password was right but an administrator set it: until its owner chooses their
    own (the forgotten-password link, or the API), it opens nothing here."""

    status_code = 403
    default_message = "app.signin.must_change"


class AccountDisabled(KeepsChanges):
    """The password was right (its try is given back), but the account or its
    enterprise is disabled."""

    status_code = 403
    default_message = "app.signin.disabled"


@dataclass(frozen=True)
class _Checked:
    user_id: int
    password_hash: str | None
    buckets: tuple[Bucket, ...]


async def _check(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    email: str,
    password: str,
    address: str | None,
) -> _Checked:
    buckets = user_buckets(settings, email, address)
    async with transaction(sessions) as counting:
        await reserve(counting, settings, buckets)  # 429 once spent; commits the try
        account = (
            await counting.execute(
                select(User.id, User.password_hash).where(
                    User.email == email, User.email_verified_at.is_not(None)
                )
            )
        ).first()
    stored = account.password_hash if account is not None else None
    if account is None or not await verify_password_off_loop(stored, password):
        raise WrongCredentials()
    return _Checked(account.id, stored, buckets)


async def password_sign_in(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    email: str,
    password: str,
    address: str | None,
) -> User:
    """The account `email` and `password` open, in the request's `session`; the try is
    counted in a transaction of its own (`sessions`) first."""
    email = email.strip().lower()
    if not email or not password or len(email) > MAX_EMAIL_CHARS:
        raise WrongCredentials()
    if len(password) > MAX_PASSWORD_CHARS:
        raise WrongCredentials()
    checked = await _check(sessions, settings, email, password, address)
    user = await session.get(User, checked.user_id)
    if user is None or user.password_hash != checked.password_hash:
        raise WrongCredentials()  # changed while it was being checked
    await settle_success(session, checked.buckets)
    enterprise = await session.get_one(Enterprise, user.enterprise_id)
    if not (user.is_active and enterprise.is_active):
        raise AccountDisabled()
    if user.must_change_password:
        raise PasswordMustChange()
    return user
