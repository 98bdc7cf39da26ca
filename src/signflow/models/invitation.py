"""Invitations to join an enterprise (SigningHub's enterprise and account invitations).

An enterprise admin invites an address; the person who proved that address accepts or
declines while signed in (`accounts/invitations.py`). An invitation is never a proof of
the address: it gives nothing until the address's own account acts on it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    DECLINED = "DECLINED"


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "email", name="uq_invitations_enterprise_id_email"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(20), default=InvitationStatus.PENDING.value)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PasswordReset(Base):
    """A live forgot-password link: one per user (a newer one replaces it), stored as the
    SHA-256 digest of its token, used once."""

    __tablename__ = "password_resets"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
