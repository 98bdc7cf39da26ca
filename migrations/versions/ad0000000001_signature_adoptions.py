"""signature adoptions: a signer's adopted signature and initials for their turn

Revision ID: ad0000000001
Revises: aa0a99500001
Create Date: 2026-12-03 18:05:00.000000

The signer pages' "Adopt your signature": what a recipient (or the group member acting
for it) adopted once, applied by one tap to each further signature or initials field.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ad0000000001"
down_revision: str | None = "aa0a99500001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "signature_adoptions",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", BIG_ID, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column(
            "recipient_id",
            BIG_ID,
            sa.ForeignKey("recipients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("style", sa.String(40), nullable=True),
        sa.Column("typed_name", sa.String(200), nullable=True),
        sa.Column("initials", sa.String(10), nullable=False),
        sa.Column("signature_png", sa.LargeBinary(), nullable=False),
        sa.Column("initials_png", sa.LargeBinary(), nullable=False),
        sa.Column("signature_sha256", sa.String(64), nullable=False),
        sa.Column("initials_sha256", sa.String(64), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "recipient_id", "user_id", name="uq_signature_adoptions_recipient_user"
        ),
    )
    op.create_index(
        "ix_signature_adoptions_enterprise_id", "signature_adoptions", ["enterprise_id"]
    )
    op.create_index("ix_signature_adoptions_recipient_id", "signature_adoptions", ["recipient_id"])


def downgrade() -> None:
    op.drop_index("ix_signature_adoptions_recipient_id", "signature_adoptions")
    op.drop_index("ix_signature_adoptions_enterprise_id", "signature_adoptions")
    op.drop_table("signature_adoptions")
