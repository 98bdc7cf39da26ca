"""packages: post-processing settings (SigningHub's workflow/post_process)

Revision ID: b1a5e0000011
Revises: b1a5e000000c
Create Date: 2026-12-03 13:50:00.000000

Who receives a copy of the completed documents, with which message: set on a draft
with `PUT packages/{pid}/workflow/post_process`, honoured when the workflow completes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e0000011"
down_revision: str | None = "b1a5e000000c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild on SQLite); NULL means never set (disabled).
    op.add_column("packages", sa.Column("post_process", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("packages", "post_process")
