"""field_filled_by: who gave a field's value, and when

Revision ID: b1a5e0000005
Revises: 9d41c0e7a2b5
Create Date: 2026-12-01 10:00:00.000000

A value written into the PDF goes under the signature of the recipient who gave
it; for a field assigned to nobody, that is whoever filled it, so it is kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signflow.db

revision: str = "b1a5e0000005"
down_revision: str | None = "b1a5e0000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fields", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "filled_by_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("filled_at", signflow.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_fields_filled_by_id_recipients"),
            "recipients",
            ["filled_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_fields_filled_by_id"), ["filled_by_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fields_filled_by_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_fields_filled_by_id_recipients"), type_="foreignkey"
        )
        batch_op.drop_column("filled_at")
        batch_op.drop_column("filled_by_id")
