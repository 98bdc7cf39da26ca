"""The post-processing and folders migration adds a column to `packages` (no rebuild: the
package_counts triggers still count) and the `package_filings` table, and goes back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from signflow.db import create_engine
from signflow.migrate import upgrade
from tests.migration_rows import insert_draft_package, insert_enterprise, insert_user
from tests.test_migration_pki_key import empty_database, server_url  # noqa: F401

BEFORE = "b1a5e000000e"
REVISION = "b1a5e0000011"


async def test_the_migration_keeps_packages_and_counts(empty_database: str):  # noqa: F811
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, BEFORE)
        async with engine.begin() as connection:
            enterprise_id = await insert_enterprise(connection)
            owner_id = await insert_user(connection, enterprise_id)
            package_id = await insert_draft_package(connection, enterprise_id, owner_id)
        await upgrade(engine, REVISION)
        async with engine.begin() as connection:
            kept = await connection.scalar(
                sa.text("SELECT post_process FROM packages WHERE id = :p"), {"p": package_id}
            )
            assert kept is None
            await insert_draft_package(connection, enterprise_id, owner_id)
            drafts = await connection.scalar(
                sa.text("SELECT n_draft FROM package_counts WHERE owner_id = :o"), {"o": owner_id}
            )
            assert drafts == 2
            await connection.execute(
                sa.text(
                    "INSERT INTO package_filings (enterprise_id, user_id, package_id, folder, "
                    "filed_at) VALUES (:e, :o, :p, 'Contracts', CURRENT_TIMESTAMP)"
                ),
                {"e": enterprise_id, "o": owner_id, "p": package_id},
            )
        twice = sa.text(
            "INSERT INTO package_filings (enterprise_id, user_id, package_id, folder, "
            "filed_at) VALUES (:e, :o, :p, 'Other', CURRENT_TIMESTAMP)"
        )
        with pytest.raises(sa.exc.IntegrityError):  # one folder per user and package
            async with engine.begin() as connection:
                await connection.execute(
                    twice, {"e": enterprise_id, "o": owner_id, "p": package_id}
                )
    finally:
        await engine.dispose()
