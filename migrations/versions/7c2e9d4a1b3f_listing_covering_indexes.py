"""listing: partial covering indexes for the package list

Revision ID: 7c2e9d4a1b3f
Revises: f5a278e47860
Create Date: 2026-11-23 10:30:00.000000

The package list (packages/listing.py) pages and counts one owner's live packages;
these indexes hold every column it tests, so on PostgreSQL both are index-only scans.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2e9d4a1b3f"
down_revision: str | None = "f5a278e47860"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_packages_owner_listing", table_name="packages")
    op.drop_index("ix_packages_owner_status_listing", table_name="packages")
    op.create_index(
        "ix_packages_owner_live",
        "packages",
        ["owner_id", "id", "status", "completed_at"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.create_index(
        "ix_packages_owner_status_live",
        "packages",
        ["owner_id", "status", "id", "completed_at"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.drop_index("ix_recipients_inbox", table_name="recipients")
    op.create_index(
        "ix_recipients_inbox",
        "recipients",
        ["email", "package_id", "process_status", "turn_started_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_recipients_inbox", table_name="recipients")
    op.create_index("ix_recipients_inbox", "recipients", ["email", "package_id"])
    op.drop_index("ix_packages_owner_status_live", table_name="packages")
    op.drop_index("ix_packages_owner_live", table_name="packages")
    op.create_index("ix_packages_owner_status_listing", "packages", ["owner_id", "status", "id"])
    op.create_index("ix_packages_owner_listing", "packages", ["owner_id", "id"])
