"""The package history: append-only, hash-chained per package."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class HistoryEntry(Base):
    __tablename__ = "history_entries"
    __table_args__ = (UniqueConstraint("package_id", "sequence"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column()
    # 1: unkeyed SHA-256 link (entries written before keyed links); 2: keyed (HMAC) link.
    chain_version: Mapped[int] = mapped_column(default=2, server_default="1")
    action: Mapped[str] = mapped_column(String(60))
    user_email: Mapped[str | None] = mapped_column(String(320))
    user_name: Mapped[str | None] = mapped_column(String(200))
    ip_address: Mapped[str | None] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class HistoryCheckpoint(Base):
    """A keyed record of chain heads: periodic (every enterprise's changed heads) or taken
    when an evidence report is sealed (that package's head). Each one's MAC covers the one
    before, so checkpoints form a chain of their own per enterprise."""

    __tablename__ = "history_checkpoints"
    __table_args__ = (UniqueConstraint("enterprise_id", "sequence"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    previous_mac: Mapped[str | None] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class HistoryCheckpointHead(Base):
    """One package's head as a checkpoint saw it."""

    __tablename__ = "history_checkpoint_heads"

    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("history_checkpoints.id", ondelete="CASCADE"), primary_key=True
    )
    # No foreign key: a hard-deleted package's heads stay with the checkpoint they belong to.
    package_id: Mapped[int] = mapped_column(BigId, primary_key=True, index=True)
    sequence: Mapped[int] = mapped_column()
    head: Mapped[str] = mapped_column(String(64))
