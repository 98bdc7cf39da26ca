"""sign-in throttles, forced password changes and refresh-token reuse detection

Revision ID: b1a5e0000002
Revises: 9d41c0e7a2b5
Create Date: 2026-12-03 10:00:00.000000

- auth_failures.last_attempt_at: past an account's ceiling, each try waits twice as long
  as the one before, counted from the last;
- users.must_change_password and token_grants.must_change_password: a password an admin
  set must be replaced before the user's token does anything else;
- spent_refresh_tokens: each refresh token already exchanged, so that presenting it again
  revokes its grant (the refresh-token family).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signflow.db

revision: str = "b1a5e0000002"
down_revision: str | None = "b1a5e0000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_attempt_at", signflow.db.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("token_grants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "spent_refresh_tokens",
        sa.Column("refresh_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "grant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("spent_at", signflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["token_grants.id"],
            name=op.f("fk_spent_refresh_tokens_grant_id_token_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("refresh_hash", name=op.f("pk_spent_refresh_tokens")),
    )
    with op.batch_alter_table("spent_refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spent_refresh_tokens_grant_id"), ["grant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("spent_refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spent_refresh_tokens_grant_id"))
    op.drop_table("spent_refresh_tokens")
    with op.batch_alter_table("token_grants", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.drop_column("last_attempt_at")
