"""templates, their versions and documents; placeholders; a package's template

Revision ID: b1a5e000000d
Revises: b1a5e0000008
Create Date: 2026-12-03 08:55:00.000000

Templates (SigningHub's library documents) are saved from a package as immutable
versions; their documents reference blobs by digest. A recipient may be a placeholder
(a title without a person yet), and a package records the template version it came from.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a5e000000d"
down_revision: str | None = "b1a5e0000008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", BIG_ID, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("owner_id", BIG_ID, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_templates_enterprise", "templates", ["enterprise_id", "shared", "id"])
    op.create_index("ix_templates_owner_id", "templates", ["owner_id"])
    op.create_table(
        "template_versions",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "template_id",
            BIG_ID,
            sa.ForeignKey("templates.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "source_package_id",
            BIG_ID,
            sa.ForeignKey("packages.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("template_id", "number"),
    )
    op.create_table(
        "template_documents",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "version_id",
            BIG_ID,
            sa.ForeignKey("template_versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("certify_enabled", sa.Boolean(), nullable=False),
        sa.Column("certify_permission", sa.String(40), nullable=False),
        sa.Column("lock_form_fields", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("version_id", "position"),
    )
    op.create_index("ix_template_documents_sha256", "template_documents", ["sha256"])
    # Plain ADD COLUMN, no batch rebuild: rebuilding `packages` on SQLite would drop the
    # triggers that keep `package_counts`. Templates are never deleted for good (a
    # deleted one keeps its row), so `template_id` needs no foreign key.
    op.add_column("packages", sa.Column("template_id", BIG_ID, nullable=True))
    op.add_column("packages", sa.Column("template_version", sa.Integer(), nullable=True))
    op.create_index("ix_packages_template_id", "packages", ["template_id"])
    op.add_column("recipients", sa.Column("placeholder", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("recipients", "placeholder")
    op.drop_index("ix_packages_template_id", table_name="packages")
    op.drop_column("packages", "template_version")
    op.drop_column("packages", "template_id")
    op.drop_table("template_documents")
    op.drop_table("template_versions")
    op.drop_index("ix_templates_owner_id", table_name="templates")
    op.drop_index("ix_templates_enterprise", table_name="templates")
    op.drop_table("templates")
