"""email ownership: accounts prove their address before it gives them any right

Revision ID: b1a5e0000001
Revises: 9d41c0e7a2b5
Create Date: 2026-12-01 09:00:00.000000

An address may now be registered in several enterprises (a pending invitation each),
but at most one account may have proven it (`email_verified_at`, a partial unique
index): that account alone signs in and holds the address's recipient rights.

Accounts that exist before this revision were in use and are taken as verified, on
their creation date: the server cannot tell them apart, and leaving them pending would
lock every existing integration out. Sign-ins that went through another enterprise's
application are revoked: applications are now bound to their enterprise.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import signflow.db

revision: str = "b1a5e0000001"
down_revision: str | None = "9d41c0e7a2b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERIFIED = sa.text("email_verified_at IS NOT NULL")

users = sa.table(
    "users",
    sa.column("id", sa.BigInteger()),
    sa.column("enterprise_id", sa.BigInteger()),
    sa.column("created_at", signflow.db.UTCDateTime(timezone=True)),
    sa.column("email_verified_at", signflow.db.UTCDateTime(timezone=True)),
)
applications = sa.table(
    "applications", sa.column("id", sa.BigInteger()), sa.column("enterprise_id", sa.BigInteger())
)
token_grants = sa.table(
    "token_grants",
    sa.column("user_id", sa.BigInteger()),
    sa.column("application_id", sa.BigInteger()),
    sa.column("revoked_at", signflow.db.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_verified_at", signflow.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("activation_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "activation_expires_at", signflow.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.drop_constraint("uq_users_email", type_="unique")
        batch_op.create_unique_constraint("uq_users_enterprise_id_email", ["enterprise_id", "email"])
        batch_op.create_index(
            "ix_users_activation_token_hash", ["activation_token_hash"], unique=True
        )
    op.create_index(
        "uq_users_verified_email",
        "users",
        ["email"],
        unique=True,
        sqlite_where=VERIFIED,
        postgresql_where=VERIFIED,
    )
    bind = op.get_bind()
    bind.execute(sa.update(users).values(email_verified_at=users.c.created_at))
    user_enterprise = (
        sa.select(users.c.enterprise_id)
        .where(users.c.id == token_grants.c.user_id)
        .scalar_subquery()
    )
    app_enterprise = (
        sa.select(applications.c.enterprise_id)
        .where(applications.c.id == token_grants.c.application_id)
        .scalar_subquery()
    )
    bind.execute(
        sa.update(token_grants)
        .where(token_grants.c.revoked_at.is_(None), user_enterprise != app_enterprise)
        .values(revoked_at=datetime.now(UTC))
    )


def downgrade() -> None:
    op.drop_index("uq_users_verified_email", table_name="users")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_activation_token_hash")
        batch_op.drop_constraint("uq_users_enterprise_id_email", type_="unique")
        batch_op.create_unique_constraint("uq_users_email", ["email"])
        batch_op.drop_column("activation_expires_at")
        batch_op.drop_column("activation_token_hash")
        batch_op.drop_column("email_verified_at")
