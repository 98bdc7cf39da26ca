"""Opaque bearer tokens (stored only as SHA-256 hashes) and sign-in throttling counters."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class TokenGrant(Base):
    """One sign-in: an access token and the refresh token that renews it.

    Refreshing rotates both hashes in place, so a used refresh token stops working;
    logout revokes the grant.
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


class AuthFailure(Base):
    """Failed sign-in attempts per key ("account:<email>" or "address:<ip>") in a window."""

    __tablename__ = "auth_failures"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column()
