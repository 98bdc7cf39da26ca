"""Activation links: how a pending account proves its e-mail address and gets a password.

The link carries a random token; only its SHA-256 digest is stored, with an expiry.
The token is made by the mail job that sends it, after the registration committed,
so it exists in clear only in that mail. Using it once ends it; a newer link replaces
an older one. Opening the link changes nothing (mail scanners open links): the person
activates by choosing a password on the page, which posts the token back.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.credentials import hash_password, hash_secret, new_secret
from signflow.accounts.email_ownership import mark_email_verified
from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import BadRequest, NotFound
from signflow.models import Enterprise, User

ACTIVATION_LINK_TTL = dt.timedelta(days=7)
ACTIVATION_PATH = "/web/activate"
TOKEN_PREFIX = "sfv_"  # noqa: S105  (marks a link token, is no secret)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
LINK_NOT_VALID = "This activation link is not valid any more"
PASSWORD_TOO_SHORT = f"The password must have at least {MIN_PASSWORD_LENGTH} characters"
PASSWORD_TOO_LONG = f"The password must have at most {MAX_PASSWORD_LENGTH} characters"


def issue_activation_token(user: User) -> str:
    """A new link token for `user` (the caller commits); any earlier one stops working."""
    token = new_secret(TOKEN_PREFIX)
    user.activation_token_hash = hash_secret(token)
    user.activation_expires_at = utcnow() + ACTIVATION_LINK_TTL
    return token


def activation_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}{ACTIVATION_PATH}/{token}"


async def pending_account(
    session: AsyncSession, token: str, *, for_update: bool = False
) -> tuple[User, Enterprise]:
    """The pending account a live link names, with its enterprise; NotFound otherwise."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise NotFound(LINK_NOT_VALID)
    query = select(User).where(User.activation_token_hash == hash_secret(token))
    if for_update:
        query = query.with_for_update()
    user = await session.scalar(query)
    if (
        user is None
        or user.email_verified_at is not None
        or user.activation_expires_at is None
        or user.activation_expires_at <= utcnow()
        or not user.is_active
    ):
        raise NotFound(LINK_NOT_VALID)
    enterprise = await session.get_one(Enterprise, user.enterprise_id)
    if not enterprise.is_active:
        raise NotFound(LINK_NOT_VALID)
    return user, enterprise


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(PASSWORD_TOO_SHORT)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadRequest(PASSWORD_TOO_LONG)


async def activate_pending(session: AsyncSession, user: User, password: str) -> None:
    """Use the link of `user` (found by `pending_account`, locked for update): the
    address is proven and the chosen password set, once.

    Raises BadRequest for a password out of bounds, AddressTaken when another account
    proved the address first.
    """
    check_new_password(password)
    await mark_email_verified(session, user)
    # argon2 takes a CPU for a moment: not on the event loop.
    user.password_hash = await asyncio.to_thread(hash_password, password)
    await session.flush()
