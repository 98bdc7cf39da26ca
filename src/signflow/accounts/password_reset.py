"""Forgot password: a single-use, time-limited link mailed to the account's address.

`request_reset` answers the same whether or not the address has an account (nothing
leaks), and counts every request against the address and the client address
(`accounts/throttle.py`), so it cannot be used to flood a mailbox. The link's token is
made by the mail job after the request committed, and only its SHA-256 digest is
stored (`password_resets`, one live link per user: a newer one replaces it).

Using the token (`set_new_password`, from the API or the web page) sets the password
with argon2id, ends the link, and revokes every token the user held.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signflow.accounts.activation import check_new_password
from signflow.accounts.credentials import hash_password_off_loop, hash_secret, new_secret
from signflow.accounts.principal import Principal
from signflow.accounts.throttle import Bucket, reserve
from signflow.accounts.tokens import revoke_user_grants
from signflow.config import Settings
from signflow.db import dialect_insert, transaction, utcnow
from signflow.errors import Forbidden, TooManyRequests
from signflow.models import Enterprise, PasswordReset, User
from signflow.outbox.enqueue import enqueue

RESET_MAIL_JOB = "email.password_reset"
RESET_PATH = "/web/password"
TOKEN_PREFIX = "sfp_"  # noqa: S105  (marks a reset token, is no secret)
LINK_NOT_VALID = "This password reset link is not valid any more"
MAIL_THROTTLED = "Too many requests for this address; try again later"


def mail_buckets(settings: Settings, purpose: str, email: str, address: str | None) -> list[Bucket]:
    """The counters of a mail-sending request: the address asked for, from anywhere, and
    every such request from one client address."""
    return [
        Bucket(f"{purpose}:{email.strip().lower()[:320]}", settings.signin_max_failures),
        Bucket(f"{purpose}-from:{address or '-'}", settings.signin_address_max_failures),
    ]


async def count_mail_request(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    purpose: str,
    email: str,
    address: str | None,
) -> None:
    """Take one try from the request's buckets in a transaction of its own, so the count
    stays when the request fails; 429 with Retry-After when one is spent."""
    try:
        async with transaction(sessions) as counting:
            await reserve(counting, settings, mail_buckets(settings, purpose, email, address))
    except TooManyRequests as exc:
        raise TooManyRequests(MAIL_THROTTLED, retry_after=exc.retry_after) from exc


async def request_reset(session: AsyncSession, principal: Principal, email: str) -> None:
    """Queue the reset mail for the active, proven account of `email` in the caller's
    enterprise, if there is one; nothing otherwise. The caller learns nothing either way."""
    user = await session.scalar(
        select(User).where(
            User.enterprise_id == principal.enterprise_id,
            User.email == email.strip().lower(),
            User.email_verified_at.is_not(None),
            User.is_active.is_(True),
        )
    )
    if user is not None:
        enqueue(session, RESET_MAIL_JOB, {"user_id": user.id}, enterprise_id=user.enterprise_id)


async def request_reset_for_address(session: AsyncSession, email: str) -> None:
    """The sign-in page's "forgotten password", asked by someone not signed in: the reset
    mail for the active account that proved `email` (one account at most, in whichever
    enterprise), if there is one; nothing otherwise, and the caller learns nothing."""
    user = await session.scalar(
        select(User).where(
            User.email == email.strip().lower(),
            User.email_verified_at.is_not(None),
            User.is_active.is_(True),
        )
    )
    if user is not None:
        enqueue(session, RESET_MAIL_JOB, {"user_id": user.id}, enterprise_id=user.enterprise_id)


async def issue_reset_token(session: AsyncSession, user: User, ttl: dt.timedelta) -> str:
    """A new link token for `user` (the caller commits); an earlier one stops working."""
    token = new_secret(TOKEN_PREFIX)
    values = {
        "user_id": user.id,
        "token_hash": hash_secret(token),
        "expires_at": utcnow() + ttl,
        "created_at": utcnow(),
    }
    insert = dialect_insert(session)
    await session.execute(
        insert(PasswordReset)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[PasswordReset.user_id],
            set_={k: v for k, v in values.items() if k != "user_id"},
        )
    )
    return token


def reset_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}{RESET_PATH}/{token}"


def is_reset_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX) and len(value) <= 100


async def account_of_reset(
    session: AsyncSession, token: str, *, for_update: bool = False
) -> tuple[User, Enterprise]:
    """The account a live reset link names; Forbidden for a used, replaced, expired or
    made-up one, and for an account or enterprise disabled since."""
    if not is_reset_token(token):
        raise Forbidden(LINK_NOT_VALID)
    query = select(PasswordReset).where(PasswordReset.token_hash == hash_secret(token))
    if for_update:
        query = query.with_for_update()
    reset = await session.scalar(query)
    if reset is None or reset.expires_at <= utcnow():
        raise Forbidden(LINK_NOT_VALID)
    user = await session.get_one(User, reset.user_id)
    enterprise = await session.get_one(Enterprise, user.enterprise_id)
    if not (user.is_active and user.email_verified and enterprise.is_active):
        raise Forbidden(LINK_NOT_VALID)
    return user, enterprise


async def set_new_password(session: AsyncSession, token: str, password: str) -> User:
    """Use a reset link once: the new password (argon2id), the link gone, every token of
    the user revoked. BadRequest for a password out of bounds (the link stays usable)."""
    user, _ = await account_of_reset(session, token, for_update=True)
    check_new_password(password)
    user.password_hash = await hash_password_off_loop(password)
    user.must_change_password = False
    await session.execute(
        delete(PasswordReset)
        .where(PasswordReset.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    await revoke_user_grants(session, user.id)
    await session.flush()
    return user
