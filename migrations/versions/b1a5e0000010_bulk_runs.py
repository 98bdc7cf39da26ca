"""bulk send: runs and their rows

Revision ID: b1a5e0000010
Revises: b1a5e000000f
Create Date: 2026-12-03 13:45:00.000000

A bulk run applies one template version to many rows, one package per row (or shares
many draft packages: SigningHub's bulk share); each row records its package or its
error, keyed by (run, row) so that no row is sent twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e0000010"
down_revision: str | None = "b1a5e000000f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bulk_runs",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", BIG_ID, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("owner_id", BIG_ID, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("template_id", BIG_ID, sa.ForeignKey("templates.id"), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("ip_address", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_bulk_runs_enterprise", "bulk_runs", ["enterprise_id", "id"])
    op.create_index("ix_bulk_runs_owner_id", "bulk_runs", ["owner_id"])
    op.create_table(
        "bulk_rows",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", BIG_ID, sa.ForeignKey("bulk_runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column(
            "package_id", BIG_ID, sa.ForeignKey("packages.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("run_id", "row_no"),
    )
    op.create_index("ix_bulk_rows_pending", "bulk_rows", ["run_id", "status", "row_no"])


def downgrade() -> None:
    op.drop_index("ix_bulk_rows_pending", table_name="bulk_rows")
    op.drop_table("bulk_rows")
    op.drop_index("ix_bulk_runs_owner_id", table_name="bulk_runs")
    op.drop_index("ix_bulk_runs_enterprise", table_name="bulk_runs")
    op.drop_table("bulk_runs")
