"""The templates migration adds its columns without rebuilding `packages`: the triggers
that keep `package_counts` still count, on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from signflow.db import create_engine
from signflow.migrate import upgrade
from tests.test_migration_pki_key import empty_database, server_url  # noqa: F401

BEFORE = "b1a5e0000008"  # the revision before the templates migration


async def test_package_counts_still_follow_packages_after_the_migration(
    empty_database: str,  # noqa: F811
):
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, BEFORE)
        await upgrade(engine, "b1a5e000000d")
        async with engine.begin() as connection:
            enterprise_id = (
                await connection.execute(
                    sa.text(
                        "INSERT INTO enterprises (name, is_active, created_at, pki_key) "
                        "VALUES ('Acme', true, CURRENT_TIMESTAMP, 'k') RETURNING id"
                    )
                )
            ).scalar_one()
            owner_id = (
                await connection.execute(
                    sa.text(
                        "INSERT INTO users (enterprise_id, email, name, role, can_integrate, "
                        "is_active, must_change_password, created_at) VALUES (:e, "
                        "'o@acme.test', 'Owner', 'user', false, true, false, "
                        "CURRENT_TIMESTAMP) RETURNING id"
                    ),
                    {"e": enterprise_id},
                )
            ).scalar_one()
            await connection.execute(
                sa.text(
                    "INSERT INTO packages (enterprise_id, owner_id, name, workflow_mode, "
                    "workflow_type, continue_on_decline, status, tags, archived, created_at, "
                    "modified_at, template_id, template_version) VALUES (:e, :o, 'P', "
                    "'ME_AND_OTHERS', 'SERIAL', false, 'DRAFT', '[]', false, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 7, 2)"
                ),
                {"e": enterprise_id, "o": owner_id},
            )
            drafts = await connection.scalar(
                sa.text("SELECT n_draft FROM package_counts WHERE owner_id = :o"), {"o": owner_id}
            )
            assert drafts == 1
    finally:
        await engine.dispose()
