"""package_counts: each owner's live packages by status, kept by triggers

Revision ID: 9d41c0e7a2b5
Revises: 7c2e9d4a1b3f
Create Date: 2026-11-23 10:40:00.000000

The package list answers an exact total (x-total-records) on every page; counting the
owner's packages grew linearly (190 ms at 1,000,000). The triggers keep one row per
owner exact for every writer, bulk SQL included: on PostgreSQL one upsert per statement
(transition tables), on SQLite one per row. Rows whose owner, status and deletion did
not change touch nothing, so ordinary package updates take no lock on the counts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d41c0e7a2b5"
down_revision: str | None = "7c2e9d4a1b3f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("DRAFT", "SHARED", "COMPLETED", "DECLINED", "EXPIRED")
COLUMNS = tuple(f"n_{s.lower()}" for s in STATUSES) + ("n_other",)
KNOWN = ", ".join(f"'{s}'" for s in STATUSES)


def _is(status: str, prefix: str = "") -> str:
    """SQL: 1 when the row's status counts under this column, else 0."""
    column = f"{prefix}status"
    if status == "OTHER":
        return f"(CASE WHEN {column} NOT IN ({KNOWN}) THEN 1 ELSE 0 END)"
    return f"(CASE WHEN {column} = '{status}' THEN 1 ELSE 0 END)"


ADD = ", ".join(f"{c} = package_counts.{c} + excluded.{c}" for c in COLUMNS)
NAMES = ", ".join(COLUMNS)
ALL = (*STATUSES, "OTHER")


def upgrade() -> None:
    op.create_table(
        "package_counts",
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        *(sa.Column(c, sa.BigInteger(), nullable=False, server_default="0") for c in COLUMNS),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_package_counts_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_package_counts")),
    )
    completed = sa.text("status = 'COMPLETED' AND deleted_at IS NULL")
    op.create_index(
        "ix_packages_owner_completed",
        "packages",
        ["owner_id", "completed_at"],
        postgresql_where=completed,
        sqlite_where=completed,
    )
    op.execute(
        f"INSERT INTO package_counts (owner_id, {NAMES}) "
        f"SELECT owner_id, {', '.join(f'sum({_is(s)})' for s in ALL)} "
        "FROM packages WHERE deleted_at IS NULL GROUP BY owner_id"
    )
    if op.get_bind().dialect.name == "postgresql":
        _pg_triggers()
    else:
        _sqlite_triggers()


def _pg_triggers() -> None:
    sums = ", ".join(f"sum(sign * {_is(s)})" for s in ALL)
    changed = " OR ".join(f"sum(sign * {_is(s)}) <> 0" for s in ALL)
    for event, new, old in (
        ("INSERT", "new_rows", None),
        ("UPDATE", "new_rows", "old_rows"),
        ("DELETE", None, "old_rows"),
    ):
        parts = []
        if new:
            parts.append(f"SELECT owner_id, status, 1 AS sign FROM {new} WHERE deleted_at IS NULL")
        if old:
            parts.append(f"SELECT owner_id, status, -1 AS sign FROM {old} WHERE deleted_at IS NULL")
        function = f"package_counts_{event.lower()}"
        op.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO package_counts AS package_counts (owner_id, {NAMES})
                SELECT owner_id, {sums}
                FROM ({" UNION ALL ".join(parts)}) AS delta
                GROUP BY owner_id
                HAVING {changed}
                ORDER BY owner_id
                ON CONFLICT (owner_id) DO UPDATE SET {ADD};
                RETURN NULL;
            END $$
            """
        )
        referencing = " ".join(
            f"{kind} TABLE AS {name}" for kind, name in (("NEW", new), ("OLD", old)) if name
        )
        op.execute(
            f"CREATE TRIGGER {function} AFTER {event} ON packages "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def _sqlite_upsert(row: str, sign: str) -> str:
    values = ", ".join(f"{sign}{_is(s, row + '.')} * ({row}.deleted_at IS NULL)" for s in ALL)
    return (
        f"INSERT INTO package_counts (owner_id, {NAMES}) VALUES ({row}.owner_id, {values}) "
        f"ON CONFLICT (owner_id) DO UPDATE SET {ADD};"
    )


def _sqlite_triggers() -> None:
    op.execute(
        "CREATE TRIGGER package_counts_insert AFTER INSERT ON packages "
        f"BEGIN {_sqlite_upsert('NEW', '')} END"
    )
    op.execute(
        "CREATE TRIGGER package_counts_update AFTER UPDATE OF owner_id, status, deleted_at "
        "ON packages WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.status IS NOT NEW.status "
        "OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) "
        f"BEGIN {_sqlite_upsert('OLD', '-')} {_sqlite_upsert('NEW', '')} END"
    )
    op.execute(
        "CREATE TRIGGER package_counts_delete AFTER DELETE ON packages "
        f"BEGIN {_sqlite_upsert('OLD', '-')} END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER package_counts_{event} ON packages")
            op.execute(f"DROP FUNCTION package_counts_{event}()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER package_counts_{event}")
    op.drop_index("ix_packages_owner_completed", table_name="packages")
    op.drop_table("package_counts")
