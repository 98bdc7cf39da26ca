"""Document packages: the unit a workflow walks through."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class WorkflowMode(StrEnum):
    ONLY_ME = "ONLY_ME"
    ME_AND_OTHERS = "ME_AND_OTHERS"
    ONLY_OTHERS = "ONLY_OTHERS"


class WorkflowType(StrEnum):
    SERIAL = "SERIAL"
    PARALLEL = "PARALLEL"
    INDIVIDUAL = "INDIVIDUAL"
    CUSTOM = "CUSTOM"


class WorkflowStatus(StrEnum):
    DRAFT = "DRAFT"
    SHARED = "SHARED"
    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"


class Package(Base):
    __tablename__ = "packages"
    __table_args__ = (
        # The owner's listing (packages/listing.py): newest first, optionally by status.
        # Partial (live packages only) and covering the archive test (status, completed_at),
        # so paging and the exact count read the index alone (index-only scans on PostgreSQL).
        Index(
            "ix_packages_owner_live",
            "owner_id",
            "id",
            "status",
            "completed_at",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_packages_owner_status_live",
            "owner_id",
            "status",
            "id",
            "completed_at",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # The list's total (packages/listing.py): completed packages still in the inbox.
        Index(
            "ix_packages_owner_completed",
            "owner_id",
            "completed_at",
            postgresql_where=text("status = 'COMPLETED' AND deleted_at IS NULL"),
            sqlite_where=text("status = 'COMPLETED' AND deleted_at IS NULL"),
        ),
        Index("ix_packages_enterprise", "enterprise_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(255))
    workflow_mode: Mapped[str] = mapped_column(String(20), default=WorkflowMode.ME_AND_OTHERS.value)
    workflow_type: Mapped[str] = mapped_column(String(20), default=WorkflowType.SERIAL.value)
    continue_on_decline: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=WorkflowStatus.DRAFT.value)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set on the copies an INDIVIDUAL workflow makes, one per recipient.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"))
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    shared_at: Mapped[dt.datetime | None] = mapped_column()
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    # Deleted packages keep their history and blobs; they vanish from every read.
    deleted_at: Mapped[dt.datetime | None] = mapped_column()
    # Set when the retention policy removed the package's documents (retention/purge.py):
    # the package record and its history stay.
    purged_at: Mapped[dt.datetime | None] = mapped_column()
    # Hash of the newest history entry: the head of this package's chain.
    history_head: Mapped[str | None] = mapped_column(String(64))
    # Keyed seal of (package, newest sequence, head): moving the head back is seen.
    history_head_mac: Mapped[str | None] = mapped_column(String(64))
    # The template (and its version) the package's workflow was applied from, if any.
    # No foreign key: templates are never deleted for good (see migration b1a5e000000d).
    template_id: Mapped[int | None] = mapped_column(BigId, index=True)
    template_version: Mapped[int | None] = mapped_column()
    # SigningHub's post-processing: who gets a copy of the completed documents (see
    # workflow/post_process.py); None until set.
    post_process: Mapped[dict[str, object] | None] = mapped_column(JSON)


# The columns of PackageCount, one per status (statuses not listed count under n_other).
COUNTED_STATUSES = tuple(status.value for status in WorkflowStatus)


class PackageCount(Base):
    """How many live (not deleted) packages each user owns, by status.

    Kept by database triggers on `packages` (migration 9d41c0e7a2b5), so every writer,
    bulk SQL included, keeps it exact; one row per owner, so a change of status touches
    one row. The package list reads its total from here instead of counting.
    """

    __tablename__ = "package_counts"

    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    n_draft: Mapped[int] = mapped_column(BigInteger, default=0)
    n_shared: Mapped[int] = mapped_column(BigInteger, default=0)
    n_completed: Mapped[int] = mapped_column(BigInteger, default=0)
    n_declined: Mapped[int] = mapped_column(BigInteger, default=0)
    n_expired: Mapped[int] = mapped_column(BigInteger, default=0)
    n_other: Mapped[int] = mapped_column(BigInteger, default=0)

    def of(self, statuses: tuple[str, ...] | None) -> int:
        """The live packages in these statuses (None: all of them)."""
        if statuses is None:
            return (
                int(sum(getattr(self, f"n_{s.lower()}") for s in COUNTED_STATUSES)) + self.n_other
            )
        return int(sum(getattr(self, f"n_{s.lower()}", 0) for s in statuses))
