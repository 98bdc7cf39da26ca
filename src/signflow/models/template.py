"""Workflow templates (SigningHub's library documents): a package's documents, recipients,
fields and settings saved under a name, personal or shared with the enterprise.

Every save is a new version; a version never changes, so a package that records the
template version it came from can always be traced back to what was applied.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class Template(Base):
    __tablename__ = "templates"
    __table_args__ = (Index("ix_templates_enterprise", "enterprise_id", "shared", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    # Shared with every user of the enterprise (SigningHub's enterprise templates).
    shared: Mapped[bool] = mapped_column(default=False)
    current_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Deleted templates keep their versions (packages name them); they vanish from reads.
    deleted_at: Mapped[dt.datetime | None] = mapped_column()


class TemplateVersion(Base):
    """One saved state: the workflow (type, mode, message, settings), the recipients
    (placeholders or fixed people) and the fields, as JSON written by `templates/snapshot.py`."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    source_package_id: Mapped[int | None] = mapped_column(
        ForeignKey("packages.id", ondelete="SET NULL")
    )
    content: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TemplateDocument(Base):
    """A document of a template version: its bytes by reference (the blob store is
    content-addressed, so saving and applying copy no bytes)."""

    __tablename__ = "template_documents"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    certify_enabled: Mapped[bool] = mapped_column(default=False)
    certify_permission: Mapped[str] = mapped_column(String(40), default="NO_CHANGES_ALLOWED")
    lock_form_fields: Mapped[bool] = mapped_column(default=False)
