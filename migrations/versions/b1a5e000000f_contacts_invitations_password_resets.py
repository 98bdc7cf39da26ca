"""contacts, enterprise invitations and forgot-password links

Revision ID: b1a5e000000f
Revises: b1a5e0000012
Create Date: 2026-12-03 13:40:00.000000

Personal and enterprise contacts (SigningHub's settings and enterprise contacts); an
enterprise's invitations to an address; and the live forgot-password link of a user
(its token's SHA-256 digest only).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e000000f"
down_revision: str | None = "b1a5e0000012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ENTERPRISE_LIST = sa.text("owner_id IS NULL")


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", BIG_ID, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column(
            "owner_id", BIG_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("mobile_number", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_contacts_enterprise_id", "contacts", ["enterprise_id"])
    op.create_index("uq_contacts_personal", "contacts", ["owner_id", "email"], unique=True)
    op.create_index(
        "uq_contacts_enterprise",
        "contacts",
        ["enterprise_id", "email"],
        unique=True,
        sqlite_where=ENTERPRISE_LIST,
        postgresql_where=ENTERPRISE_LIST,
    )
    op.create_table(
        "invitations",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", BIG_ID, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column(
            "invited_by_id",
            BIG_ID,
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("enterprise_id", "email", name="uq_invitations_enterprise_id_email"),
    )
    op.create_index("ix_invitations_email", "invitations", ["email"])
    op.create_table(
        "password_resets",
        sa.Column(
            "user_id",
            BIG_ID,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("password_resets")
    op.drop_index("ix_invitations_email", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("uq_contacts_enterprise", table_name="contacts")
    op.drop_index("uq_contacts_personal", table_name="contacts")
    op.drop_index("ix_contacts_enterprise_id", table_name="contacts")
    op.drop_table("contacts")
