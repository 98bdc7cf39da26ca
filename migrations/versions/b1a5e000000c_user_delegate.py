"""users: personal delegation of signing (SigningHub's settings/delegate)

Revision ID: b1a5e000000c
Revises: b1a5e000000b
Create Date: 2026-12-03 08:45:00.000000

While enabled and within its period, a turn that opens for the user goes to the delegate
(another user of the same enterprise) instead; the history records the hand-over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signflow.db

revision: str = "b1a5e000000c"
down_revision: str | None = "b1a5e000000b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("delegate_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("delegate_user_id", signflow.db.BigId, nullable=True))
        batch.add_column(sa.Column("delegate_from", signflow.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("delegate_to", signflow.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_users_delegate_user_id_users",
            "users",
            ["delegate_user_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_delegate_user_id_users", type_="foreignkey")
        batch.drop_column("delegate_to")
        batch.drop_column("delegate_from")
        batch.drop_column("delegate_user_id")
        batch.drop_column("delegate_enabled")
