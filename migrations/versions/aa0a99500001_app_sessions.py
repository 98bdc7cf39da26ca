"""the web app's sign-in sessions and the enterprises' single sign-on

Revision ID: aa0a99500001
Revises: b1a5e0000013
Create Date: 2026-12-03 18:05:00.000000

One row per browser signed in to /app/: the SHA-256 of its cookie, who, from where,
until when, and whether it was revoked. One row per enterprise with OpenID Connect
single sign-on: the provider, the client id and the sealed client secret.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "aa0a99500001"
down_revision: str | None = "b1a5e0000013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "app_sessions",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", BIG_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("enterprise_id", BIG_ID, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_seen_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("ip_address", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(500), nullable=True),
        sa.Column("method", sa.String(20), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_app_sessions_token_hash"),
    )
    op.create_index("ix_app_sessions_user_id", "app_sessions", ["user_id"])
    op.create_index("ix_app_sessions_enterprise_id", "app_sessions", ["enterprise_id"])
    op.create_table(
        "enterprise_sso",
        sa.Column(
            "enterprise_id",
            BIG_ID,
            sa.ForeignKey("enterprises.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(300), nullable=False),
        sa.Column("client_secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("auto_create_users", sa.Boolean(), nullable=False),
        sa.Column("signin_key", sa.String(64), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint("signin_key", name="uq_enterprise_sso_signin_key"),
    )


def downgrade() -> None:
    op.drop_table("enterprise_sso")
    op.drop_index("ix_app_sessions_enterprise_id", table_name="app_sessions")
    op.drop_index("ix_app_sessions_user_id", table_name="app_sessions")
    op.drop_table("app_sessions")
