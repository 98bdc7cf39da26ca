"""Document-opening identity checks: each recipient's tries and verification, and the
one-time codes sent to them (stored only as keyed hashes)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class RecipientIdentity(Base):
    """One row per recipient who met an identity check; created on first need."""

    __tablename__ = "recipient_identities"

    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("recipients.id", ondelete="CASCADE"), primary_key=True
    )
    # Failed code or password tries since the last success or reset; 3 blocks.
    failures: Mapped[int] = mapped_column(default=0)
    verified_at: Mapped[dt.datetime | None] = mapped_column()
    # "password", "otp", "password+otp" or "owner" (approved by the owner).
    verified_by: Mapped[str | None] = mapped_column(String(20))
    blocked_at: Mapped[dt.datetime | None] = mapped_column()
    # OTP_CODE_INVALID or PASSWORD_INVALID.
    blocked_reason: Mapped[str | None] = mapped_column(String(40))
    # The process_status the recipient had when blocked, given back on unblock.
    status_before_block: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OneTimeCode(Base):
    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_recipient", "recipient_id", "purpose", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"))
    # "open", or "sign:<field id>" for a signing code.
    purpose: Mapped[str] = mapped_column(String(60))
    # "email", "sms:log" or "sms:http".
    channel: Mapped[str] = mapped_column(String(20))
    # HMAC-SHA256 of the code under a key derived from SECRET_KEY.
    code_hash: Mapped[str] = mapped_column(String(64))
    # The code sealed (AES-GCM) only until the worker has delivered it, then erased.
    pending_delivery: Mapped[bytes | None] = mapped_column(LargeBinary)
    destination: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()
    delivered_at: Mapped[dt.datetime | None] = mapped_column()
