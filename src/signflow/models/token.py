"""Opaque bearer tokens (stored only as SHA-256 hashes) and sign-in throttling counters."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class TokenGrant(Base):
    """One sign-in (a refresh-token family): an access token and the refresh token that
    renews it.

    Refreshing rotates both hashes in place, so a used refresh token stops working, and
    keeps the used one in `spent_refresh_tokens`: presented again, it revokes the grant.
    Logout and password changes revoke grants.
    """

    __tablename__ = "token_grants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Set when an admin acts on behalf of user_id through `scope`.
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    access_expires_at: Mapped[dt.datetime] = mapped_column()
    refresh_expires_at: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    # Signed in with a password an administrator set: only the password change (and
    # logout) answer until the user has chosen a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False)


class SpentRefreshToken(Base):
    """A refresh token already exchanged: presenting it again revokes its grant."""

    __tablename__ = "spent_refresh_tokens"

    refresh_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("token_grants.id", ondelete="CASCADE"), index=True
    )
    spent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuthFailure(Base):
    """Sign-in tries per key in a window: a try counts from before its secret is checked
    until it is proven right (see `accounts/throttle.py` for the keys)."""

    __tablename__ = "auth_failures"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column()
    # When the last try was taken: past an account's ceiling, the backoff counts from it.
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column()
