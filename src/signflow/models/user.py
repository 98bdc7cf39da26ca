from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow

VERIFIED = text("email_verified_at IS NOT NULL")


class EnterpriseRole(StrEnum):
    ADMIN = "admin"
    USER = "user"


class User(Base):
    """An account of one enterprise.

    An address may be registered in several enterprises, but only one account may
    have proven it (`email_verified_at`): that one alone can sign in and holds the
    address's recipient rights. The others stay pending (see docs/security.md,
    "E-mail ownership").
    """

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "email", name="uq_users_enterprise_id_email"),
        Index(
            "uq_users_verified_email",
            "email",
            unique=True,
            sqlite_where=VERIFIED,
            postgresql_where=VERIFIED,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # Stored lower-cased: emails are compared case-insensitively everywhere.
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    mobile_number: Mapped[str | None] = mapped_column(String(40))
    # The profile SigningHub clients read and update (settings/profile).
    job_title: Mapped[str | None] = mapped_column(String(200), default=None)
    company_name: Mapped[str | None] = mapped_column(String(200), default=None)
    country: Mapped[str | None] = mapped_column(String(100), default=None)
    time_zone: Mapped[str | None] = mapped_column(String(100), default=None)
    language: Mapped[str | None] = mapped_column(String(20), default=None)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=EnterpriseRole.USER.value)
    can_integrate: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # An administrator set the password: the user must choose a new one before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the account proved it receives mail at `email`; None while pending.
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # The pending activation link: SHA-256 of its token, and until when it works.
    activation_token_hash: Mapped[str | None] = mapped_column(
        String(64), index=True, unique=True, default=None
    )
    activation_expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Personal delegation (settings/delegate): while enabled and within [from, to], a turn
    # opening for this user goes to the delegate, another user of the same enterprise.
    delegate_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    delegate_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    delegate_from: Mapped[dt.datetime | None] = mapped_column(default=None)
    delegate_to: Mapped[dt.datetime | None] = mapped_column(default=None)

    @property
    def is_admin(self) -> bool:
        return self.role == EnterpriseRole.ADMIN.value

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None
