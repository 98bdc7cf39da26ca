"""languages and branding: a recipient's language, an enterprise's default language and
branding (display name, accent colour, logo)

Revision ID: b1a5e0000013
Revises: b1a5e0000011
Create Date: 2026-12-03 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e0000013"
down_revision: str | None = "b1a5e0000011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTERPRISE_COLUMNS = (
    ("default_language", sa.String(20)),
    ("display_name", sa.String(200)),
    ("accent_color", sa.String(7)),
    ("logo", sa.LargeBinary()),
    ("logo_type", sa.String(20)),
    ("logo_sha256", sa.String(64)),
)
LOGO_INDEX = "ix_enterprises_logo_sha256"


def upgrade() -> None:
    # Plain ADD COLUMN, nullable: no table rebuild on SQLite.
    op.add_column("recipients", sa.Column("language", sa.String(20), nullable=True))
    for name, kind in ENTERPRISE_COLUMNS:
        op.add_column("enterprises", sa.Column(name, kind, nullable=True))
    op.create_index(LOGO_INDEX, "enterprises", ["logo_sha256"])


def downgrade() -> None:
    op.drop_index(LOGO_INDEX, table_name="enterprises")
    for name, _ in reversed(ENTERPRISE_COLUMNS):
        op.drop_column("enterprises", name)
    op.drop_column("recipients", "language")
