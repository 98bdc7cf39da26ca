"""recipient groups (personal and enterprise) and group recipients in workflows

Revision ID: b1a5e000000e
Revises: b1a5e0000010
Create Date: 2026-12-03 13:40:00.000000

A group is a named list of members, personal (`owner_id`) or the enterprise's. Added to a
workflow, its members are copied per recipient (`recipient_members`, each with a signing
link of their own); the recipient row names the group and carries the address of the
member who acted for it once one did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e000000e"
down_revision: str | None = "b1a5e0000010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "recipient_groups",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", BIG_ID, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column(
            "owner_id", BIG_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_recipient_groups_enterprise",
        "recipient_groups",
        ["enterprise_id", "owner_id", "name"],
    )
    op.create_table(
        "recipient_group_members",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "group_id",
            BIG_ID,
            sa.ForeignKey("recipient_groups.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.UniqueConstraint("group_id", "email", name="uq_recipient_group_members_group_id"),
    )
    op.create_table(
        "recipient_members",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(40), nullable=False),
        sa.Column(
            "recipient_id",
            BIG_ID,
            sa.ForeignKey("recipients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("public_id", name="uq_recipient_members_public_id"),
        sa.UniqueConstraint("recipient_id", "email", name="uq_recipient_members_recipient_id"),
    )
    op.create_index(
        "ix_recipient_members_email", "recipient_members", ["email", "recipient_id"]
    )
    op.add_column("recipients", sa.Column("group_name", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("recipients", "group_name")
    op.drop_index("ix_recipient_members_email", table_name="recipient_members")
    op.drop_table("recipient_members")
    op.drop_table("recipient_group_members")
    op.drop_index("ix_recipient_groups_enterprise", table_name="recipient_groups")
    op.drop_table("recipient_groups")
