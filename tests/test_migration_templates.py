"""The templates migration adds its columns without rebuilding `packages`: the triggers
that keep `package_counts` still count, on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from signflow.db import create_engine
from signflow.migrate import upgrade
from tests.migration_rows import insert_draft_package, insert_enterprise, insert_user
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
            enterprise_id = await insert_enterprise(connection)
            owner_id = await insert_user(connection, enterprise_id)
            await insert_draft_package(
                connection, enterprise_id, owner_id, template_id=7, template_version=2
            )
            drafts = await connection.scalar(
                sa.text("SELECT n_draft FROM package_counts WHERE owner_id = :o"), {"o": owner_id}
            )
            assert drafts == 1
    finally:
        await engine.dispose()
