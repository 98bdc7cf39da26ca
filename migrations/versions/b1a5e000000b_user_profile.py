"""users: the profile SigningHub clients read and update (job title, company, locale)

Revision ID: b1a5e000000b
Revises: b1a5e0000009
Create Date: 2026-12-03 08:10:00.000000

`GET settings/profile` answers the guide's full shape and `PUT settings/profile/general`
and `PUT settings/profile/locale` change these columns; all optional.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e000000b"
down_revision: str | None = "b1a5e0000009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("job_title", 200),
    ("company_name", 200),
    ("country", 100),
    ("time_zone", 100),
    ("language", 20),
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for name, length in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for name, _length in reversed(COLUMNS):
            batch.drop_column(name)
