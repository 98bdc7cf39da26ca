"""enterprise pki_key: an unguessable public id for the /pki URLs

Revision ID: b1a5e0000004
Revises: 9d41c0e7a2b5
Create Date: 2026-11-24 09:00:00.000000

/pki/{enterprise_id}/ca.crt let anyone walk every tenant's CA certificate (and so its
name) by counting. Each enterprise gets a random key instead; existing rows get one here.

On SQLite the column stays nullable in the schema: making it NOT NULL would mean
recreating `enterprises`, which every other table references (the application always
writes a key). PostgreSQL gets NOT NULL.
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e0000004"
down_revision: str | None = "b1a5e0000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("enterprises", sa.Column("pki_key", sa.String(length=43), nullable=True))
    connection = op.get_bind()
    enterprises = sa.table("enterprises", sa.column("id"), sa.column("pki_key"))
    for (enterprise_id,) in connection.execute(sa.select(enterprises.c.id)).all():
        connection.execute(
            enterprises.update()
            .where(enterprises.c.id == enterprise_id)
            .values(pki_key=secrets.token_urlsafe(16))
        )
    if connection.dialect.name == "postgresql":
        op.alter_column("enterprises", "pki_key", nullable=False)
    op.create_index("ix_enterprises_pki_key", "enterprises", ["pki_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_enterprises_pki_key", table_name="enterprises")
    op.drop_column("enterprises", "pki_key")  # native on SQLite 3.35+: no table rebuild
