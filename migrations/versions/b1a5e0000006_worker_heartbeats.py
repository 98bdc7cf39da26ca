"""worker_heartbeats: each outbox worker's last sign of life (readiness, metrics)

Revision ID: b1a5e0000006
Revises: 9d41c0e7a2b5
Create Date: 2026-12-02 19:10:00.000000

Every worker (embedded in `serve` or `signflow worker`) writes its row every few seconds
and deletes it when it stops; /readyz answers 503 when no row is recent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signflow.db

revision: str = "b1a5e0000006"
down_revision: str | None = "b1a5e0000005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(length=100), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", signflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", signflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    op.create_index("ix_worker_heartbeats_beat_at", "worker_heartbeats", ["beat_at"])


def downgrade() -> None:
    op.drop_index("ix_worker_heartbeats_beat_at", table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
