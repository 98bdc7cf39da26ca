"""Contacts (SigningHub's settings and enterprise contacts): people a user sends to often.

A personal contact belongs to one user; an enterprise contact (no owner) is kept by the
enterprise's admins and seen by every user of the enterprise. An address appears at most
once in each list.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow

ENTERPRISE_LIST = text("owner_id IS NULL")


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("uq_contacts_personal", "owner_id", "email", unique=True),
        Index(
            "uq_contacts_enterprise",
            "enterprise_id",
            "email",
            unique=True,
            sqlite_where=ENTERPRISE_LIST,
            postgresql_where=ENTERPRISE_LIST,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # The user whose personal contact this is; None for an enterprise contact.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Stored lower-cased, as users' addresses are.
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    mobile_number: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
