"""retention: purged packages and documents, destroyed keys, the deletion record

Revision ID: b1a5e0000009
Revises: b1a5e0000007
Create Date: 2026-12-03 08:00:00.000000

`packages.purged_at` and `documents.purged_at` mark content the retention policy removed
(the rows stay as a record); `signing_credentials.key_destroyed_at` marks an expired
certificate whose key was destroyed; `package_deletions` is each enterprise's record of
packages deleted for good, kept after the package and its history are gone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signflow.db

revision: str = "b1a5e0000009"
down_revision: str | None = "b1a5e0000007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    moment = signflow.db.UTCDateTime(timezone=True)
    op.add_column("packages", sa.Column("purged_at", moment, nullable=True))
    op.add_column("documents", sa.Column("purged_at", moment, nullable=True))
    op.add_column("signing_credentials", sa.Column("key_destroyed_at", moment, nullable=True))
    op.create_table(
        "package_deletions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("enterprise_id", BigId, nullable=False),
        sa.Column("package_id", BigId, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("package_created_at", moment, nullable=False),
        sa.Column("ended_at", moment, nullable=True),
        sa.Column("history_head", sa.String(length=64), nullable=True),
        sa.Column("history_entries", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("deleted_by", sa.String(length=320), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("deleted_at", moment, nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_package_deletions_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_deletions")),
    )
    op.create_index(
        "ix_package_deletions_enterprise", "package_deletions", ["enterprise_id", "deleted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_package_deletions_enterprise", table_name="package_deletions")
    op.drop_table("package_deletions")
    op.drop_column("signing_credentials", "key_destroyed_at")
    op.drop_column("documents", "purged_at")
    op.drop_column("packages", "purged_at")
