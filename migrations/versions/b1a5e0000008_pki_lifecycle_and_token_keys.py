"""PKI lifecycle and token keys: CRL numbers, the current CRL, keys in a PKCS#11 token

Revision ID: b1a5e0000008
Revises: b1a5e000000b
Create Date: 2026-12-03 08:00:00.000000

Each enterprise CA keeps the number of its last CRL (CRL numbers only grow) and that CRL,
reissued when a certificate is revoked or the CRL nears its next update. A CA or seal key
may live in a PKCS#11 token: the rows then name the token and key label, and hold no key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e0000008"
down_revision: str | None = "b1a5e000000b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enterprise_cas") as batch:
        batch.add_column(sa.Column("crl_number", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("crl_der", sa.LargeBinary(), nullable=True))
        batch.add_column(
            sa.Column("key_store", sa.String(length=20), nullable=False, server_default="database")
        )
        batch.add_column(sa.Column("token_label", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("key_label", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("seal_key_label", sa.String(length=64), nullable=True))
    with op.batch_alter_table("signing_credentials") as batch:
        batch.add_column(sa.Column("token_label", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("token_key_label", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signing_credentials") as batch:
        batch.drop_column("token_key_label")
        batch.drop_column("token_label")
    with op.batch_alter_table("enterprise_cas") as batch:
        batch.drop_column("seal_key_label")
        batch.drop_column("key_label")
        batch.drop_column("token_label")
        batch.drop_column("key_store")
        batch.drop_column("crl_der")
        batch.drop_column("crl_number")
