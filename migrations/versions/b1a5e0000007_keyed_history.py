"""keyed history: link versions, head seals, checkpoints, room for erased values

Revision ID: b1a5e0000007
Revises: b1a5e0000006
Create Date: 2026-12-03 08:10:00.000000

Entries already written keep their unkeyed links and are marked chain_version 1; new
entries are keyed (2). The first periodic checkpoint job is queued here; each run
queues the next. ip_address widens so an erased value (`erased:` and a 64-hex digest)
fits.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signflow.db

revision: str = "b1a5e0000007"
down_revision: str | None = "b1a5e0000006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("history_entries") as batch:
        batch.add_column(
            sa.Column("chain_version", sa.Integer(), nullable=False, server_default="1")
        )
        batch.alter_column(
            "ip_address", existing_type=sa.String(length=64), type_=sa.String(length=100)
        )
    op.add_column("packages", sa.Column("history_head_mac", sa.String(length=64), nullable=True))
    op.create_table(
        "history_checkpoints",
        sa.Column("id", signflow.db.BigId, autoincrement=True, nullable=False),
        sa.Column("enterprise_id", signflow.db.BigId, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", signflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("previous_mac", sa.String(length=64), nullable=True),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_history_checkpoints_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_checkpoints")),
        sa.UniqueConstraint(
            "enterprise_id", "sequence", name=op.f("uq_history_checkpoints_enterprise_id")
        ),
    )
    op.create_table(
        "history_checkpoint_heads",
        sa.Column("checkpoint_id", signflow.db.BigId, nullable=False),
        sa.Column("package_id", signflow.db.BigId, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["history_checkpoints.id"],
            name=op.f("fk_history_checkpoint_heads_checkpoint_id_history_checkpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "checkpoint_id", "package_id", name=op.f("pk_history_checkpoint_heads")
        ),
    )
    op.create_index(
        "ix_history_checkpoint_heads_package_id", "history_checkpoint_heads", ["package_id"]
    )
    jobs = sa.table(
        "jobs",
        sa.column("kind", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("ordering_key", sa.String),
        sa.column("status", sa.String),
        sa.column("due_at", signflow.db.UTCDateTime(timezone=True)),
        sa.column("attempts", sa.Integer),
        sa.column("created_at", signflow.db.UTCDateTime(timezone=True)),
    )
    now = signflow.db.utcnow()
    op.bulk_insert(
        jobs,
        [
            {
                "kind": "history.checkpoint",
                "payload": {},
                "ordering_key": "history.checkpoint",
                "status": "pending",
                "due_at": now,
                "attempts": 0,
                "created_at": now,
            }
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE kind = 'history.checkpoint'")
    op.drop_index("ix_history_checkpoint_heads_package_id", table_name="history_checkpoint_heads")
    op.drop_table("history_checkpoint_heads")
    op.drop_table("history_checkpoints")
    op.drop_column("packages", "history_head_mac")
    with op.batch_alter_table("history_entries") as batch:
        batch.alter_column(
            "ip_address", existing_type=sa.String(length=100), type_=sa.String(length=64)
        )
        batch.drop_column("chain_version")
