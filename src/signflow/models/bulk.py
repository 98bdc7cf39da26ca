"""Bulk send: one template applied to many recipients, one package per row.

A run holds its rows as submitted; the worker turns each pending row into a shared
package in one transaction with the row's outcome, so a row is sent once or not at all
whatever crashes in between.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class BulkAction(StrEnum):
    # One template applied to each row (ours).
    SEND = "SEND"
    # SigningHub's bulk share: each row is a draft package of the caller's, shared.
    SHARE = "SHARE"


class BulkRunStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"


class BulkRowStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class BulkRun(Base):
    __tablename__ = "bulk_runs"
    __table_args__ = (Index("ix_bulk_runs_enterprise", "enterprise_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20), default=BulkAction.SEND.value)
    # A SEND run's template, and the version every row is made from, whatever is saved
    # while the run goes on.
    template_id: Mapped[int | None] = mapped_column(ForeignKey("templates.id"))
    template_version: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=BulkRunStatus.QUEUED.value)
    total_rows: Mapped[int] = mapped_column()
    # Where the run was asked from, for the history of every package it makes.
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class BulkRow(Base):
    """One row: its placeholders' people and field values (SEND), or the package to
    share (SHARE); once done, its package or its error. (run_id, row_no) is the key
    that makes sending a row idempotent."""

    __tablename__ = "bulk_rows"
    __table_args__ = (
        UniqueConstraint("run_id", "row_no"),
        Index("ix_bulk_rows_pending", "run_id", "status", "row_no"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("bulk_runs.id", ondelete="CASCADE"))
    row_no: Mapped[int] = mapped_column()
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=BulkRowStatus.PENDING.value)
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
