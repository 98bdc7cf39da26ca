"""The enterprise's record of packages deleted for good, which outlives the package.

A deleted package takes its rows and its history with it; this row says that it
existed, when and by whom it was deleted, under which policy, and which history chain
head it had (so a copy of its history kept elsewhere can be matched). It holds no
package name, no document and no personal data of the recipients.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class PackageDeletion(Base):
    __tablename__ = "package_deletions"
    __table_args__ = (Index("ix_package_deletions_enterprise", "enterprise_id", "deleted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    # No foreign key: the package is gone.
    package_id: Mapped[int] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(20))
    package_created_at: Mapped[dt.datetime] = mapped_column()
    ended_at: Mapped[dt.datetime | None] = mapped_column()
    history_head: Mapped[str | None] = mapped_column(String(64))
    history_entries: Mapped[int] = mapped_column(default=0)
    # "owner_request" (the SigningHub delete call) or "operator" (signflow packages delete).
    reason: Mapped[str] = mapped_column(String(40))
    deleted_by: Mapped[str] = mapped_column(String(320))
    # What was removed: counts of documents, versions, attachments, page images, blobs.
    removed: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    deleted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
