"""Documents of a package, every version of each, and their attachments."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class VersionKind(StrEnum):
    ORIGINAL = "ORIGINAL"
    SIGNED = "SIGNED"
    FILLED = "FILLED"
    TIMESTAMPED = "TIMESTAMPED"
    """An archive (document) timestamp added over the signed bytes (B-LTA)."""
    ATTACHMENT = "ATTACHMENT"
    QR_CODE = "QR_CODE"


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_package_position", "package_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column()
    source: Mapped[str | None] = mapped_column(String(100))
    # Pages as [[width_pt, height_pt], ...]: the same for every version.
    pages: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    current_sha256: Mapped[str] = mapped_column(String(64))
    current_size: Mapped[int] = mapped_column(BigInteger)
    original_sha256: Mapped[str] = mapped_column(String(64))
    version_count: Mapped[int] = mapped_column(default=1)
    certify_enabled: Mapped[bool] = mapped_column(default=False)
    certify_permission: Mapped[str] = mapped_column(String(40), default="NO_CHANGES_ALLOWED")
    lock_form_fields: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set when the retention policy removed this document's content: the row stays as a
    # record (name, pages, the SHA-256 of the last version), its bytes are gone.
    purged_at: Mapped[dt.datetime | None] = mapped_column()

    @property
    def page_count(self) -> int:
        return len(self.pages)


class DocumentVersion(Base):
    """Every state a document's bytes have had: the upload, then each signed revision."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
