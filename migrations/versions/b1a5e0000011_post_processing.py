"""packages: post-processing settings; package_filings: users' own folders

Revision ID: b1a5e0000011
Revises: b1a5e000000e
Create Date: 2026-12-03 13:50:00.000000

`packages.post_process`: who receives a copy of the completed documents, with which
message (`PUT packages/{pid}/workflow/post_process`), honoured when the workflow
completes. `package_filings`: the folder a user moved a package to (`PUT
packages/{pid}/move_to`); a package without a row is in the user's INBOX.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signflow.db

revision: str = "b1a5e0000011"
down_revision: str | None = "b1a5e000000e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild on SQLite); NULL means never set (disabled).
    op.add_column("packages", sa.Column("post_process", sa.JSON(), nullable=True))
    op.create_table(
        "package_filings",
        sa.Column("id", signflow.db.BigId, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", signflow.db.BigId, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column(
            "user_id",
            signflow.db.BigId,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "package_id",
            signflow.db.BigId,
            sa.ForeignKey("packages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("folder", sa.String(100), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "package_id"),
    )
    op.create_index("ix_package_filings_user_folder", "package_filings", ["user_id", "folder"])


def downgrade() -> None:
    op.drop_index("ix_package_filings_user_folder", "package_filings")
    op.drop_table("package_filings")
    op.drop_column("packages", "post_process")
