"""Where a user filed a package: one of their own folders (SigningHub's custom folders).
A package no user filed is in their INBOX (or, completed long ago, in ARCHIVE)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class PackageFiling(Base):
    __tablename__ = "package_filings"
    __table_args__ = (
        UniqueConstraint("user_id", "package_id"),
        Index("ix_package_filings_user_folder", "user_id", "folder"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    folder: Mapped[str] = mapped_column(String(100))
    filed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
