"""Workflow recipients of a package, addressed by their 1-based order."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class RecipientRole(StrEnum):
    SIGNER = "SIGNER"
    REVIEWER = "REVIEWER"
    EDITOR = "EDITOR"
    CARBON_COPY = "CARBON_COPY"
    INPERSON_HOST = "INPERSON_HOST"


class ProcessStatus(StrEnum):
    UN_PROCESSED = "UN_PROCESSED"
    IN_PROGRESS = "IN_PROGRESS"
    SIGNED = "SIGNED"
    REVIEWED = "REVIEWED"
    EDITED = "EDITED"
    DECLINED = "DECLINED"
    PROCESSED = "PROCESSED"
    BLOCKED = "BLOCKED"
    SKIPPED = "SKIPPED"


class Recipient(Base):
    __tablename__ = "recipients"
    __table_args__ = (
        UniqueConstraint("package_id", "position"),
        # The inbox: what was sent to an email, newest first; covers the listing's
        # conditions on the recipient (packages/listing.py), so they need no table read.
        Index("ix_recipients_inbox", "email", "package_id", "process_status", "turn_started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Stable public id (webhook `signer.id`), never reused.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    signing_order: Mapped[int] = mapped_column()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    mobile_number: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20), default=RecipientRole.SIGNER.value)
    email_notification: Mapped[bool] = mapped_column(default=True)
    # Picks their mails and first page; None: the enterprise's default language.
    language: Mapped[str | None] = mapped_column(String(20), default=None)
    process_status: Mapped[str] = mapped_column(
        String(20), default=ProcessStatus.UN_PROCESSED.value
    )
    processed_on: Mapped[dt.datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    # Set when their step opens: from then on the package is in their inbox.
    turn_started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    read_at: Mapped[dt.datetime | None] = mapped_column()
    permissions: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    authentication: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    access_duration: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    reminders: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # A placeholder's title (SigningHub's `placeholder`): a slot whose person is not known
    # yet. Unfilled while `email` is empty; filled at apply time, by the owner, or by the
    # recipient just before it in the workflow. The title stays once filled.
    placeholder: Mapped[str | None] = mapped_column(String(200))
    # A group recipient's name (SigningHub's `group_name`): any one of its members
    # (models/group.py RecipientMember) acts for it; `email` is empty until one does.
    group_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def is_unfilled_placeholder(self) -> bool:
        return self.placeholder is not None and not self.email

    @property
    def is_untaken_group(self) -> bool:
        """A group whose turn no member has taken yet."""
        return self.group_name is not None and not self.email
