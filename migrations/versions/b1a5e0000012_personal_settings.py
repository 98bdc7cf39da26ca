"""personal signature settings, profile photos, security questions, signing capacities

Revision ID: b1a5e0000012
Revises: b1a5e000000c
Create Date: 2026-12-03 13:40:00.000000

SigningHub's settings/signatures (appearance design, metadata, hand signatures and
initials), settings/profile/general/photo, settings/profile/security, and the
enterprise signing certificates (enterprise/signingcertificates) of each user.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e0000012"
down_revision: str | None = "b1a5e000000c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _user_key() -> sa.Column[int]:
    return sa.Column(
        "user_id", BIG_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


def upgrade() -> None:
    op.create_table(
        "signature_settings",
        _user_key(),
        sa.Column("default_design", sa.String(40), nullable=False),
        sa.Column("signing_reason", sa.String(200), nullable=True),
        sa.Column("signing_location", sa.String(200), nullable=True),
        sa.Column("contact_information", sa.String(200), nullable=True),
        sa.Column("browser_method", sa.String(10), nullable=False),
        sa.Column("browser_text", sa.String(100), nullable=True),
        sa.Column("browser_image", sa.LargeBinary(), nullable=True),
        sa.Column("mobile_method", sa.String(10), nullable=False),
        sa.Column("mobile_text", sa.String(100), nullable=True),
        sa.Column("mobile_image", sa.LargeBinary(), nullable=True),
        sa.Column("initials_method", sa.String(10), nullable=False),
        sa.Column("initials_text", sa.String(10), nullable=True),
        sa.Column("initials_image", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "profile_photos",
        _user_key(),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "security_questions",
        _user_key(),
        sa.Column("question", sa.String(200), nullable=False),
        sa.Column("answer_hash", sa.String(200), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "signing_capacities",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", BIG_ID, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("user_id", BIG_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("capacity_name", sa.String(100), nullable=False),
        sa.Column("certificate_alias", sa.String(100), nullable=False),
        sa.Column("level_of_assurance", sa.String(60), nullable=False),
        sa.Column("key_protection_option", sa.String(40), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("credential_id", BIG_ID, sa.ForeignKey("signing_credentials.id"), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("user_id", "capacity_name", name="uq_signing_capacities_user_name"),
    )
    op.create_index("ix_signing_capacities_enterprise_id", "signing_capacities", ["enterprise_id"])
    op.create_index("ix_signing_capacities_user_id", "signing_capacities", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_signing_capacities_user_id", "signing_capacities")
    op.drop_index("ix_signing_capacities_enterprise_id", "signing_capacities")
    for table in ("signing_capacities", "security_questions", "profile_photos"):
        op.drop_table(table)
    op.drop_table("signature_settings")
