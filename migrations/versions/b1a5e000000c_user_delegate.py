"""users: personal delegation of signing (SigningHub's settings/delegate)

Revision ID: b1a5e000000c
Revises: b1a5e000000d
Create Date: 2026-12-03 08:45:00.000000

While enabled and within its period, a turn that opens for the user goes to the delegate
(another user of the same enterprise) instead; the history records the hand-over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signflow.db

revision: str = "b1a5e000000c"
down_revision: str | None = "b1a5e000000d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FOREIGN_KEY = "fk_users_delegate_user_id_users"


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild on SQLite, which other tables' keys would refuse).
    op.add_column(
        "users",
        sa.Column("delegate_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a REFERENCES clause (default NULL) in place.
        op.execute(
            "ALTER TABLE users ADD COLUMN delegate_user_id INTEGER "
            "REFERENCES users (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("users", sa.Column("delegate_user_id", signflow.db.BigId, nullable=True))
        op.create_foreign_key(
            FOREIGN_KEY, "users", "users", ["delegate_user_id"], ["id"], ondelete="SET NULL"
        )
    for name in ("delegate_from", "delegate_to"):
        op.add_column(
            "users", sa.Column(name, signflow.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FOREIGN_KEY, "users", type_="foreignkey")
    for name in ("delegate_to", "delegate_from", "delegate_user_id", "delegate_enabled"):
        op.drop_column("users", name)
