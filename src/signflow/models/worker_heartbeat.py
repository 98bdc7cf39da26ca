"""Each running outbox worker's last sign of life, for readiness checks and metrics."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, utcnow


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"
    __table_args__ = (Index("ix_worker_heartbeats_beat_at", "beat_at"),)

    worker_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column()
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
