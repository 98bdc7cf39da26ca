"""The contacts migration: one list per owner and one per enterprise, each address at
most once in a list (the enterprise list through a partial unique index, on both
databases); removing a user removes their personal contacts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from signflow.db import create_engine
from signflow.migrate import upgrade
from tests.migration_rows import insert_enterprise, insert_user
from tests.test_migration_pki_key import empty_database, server_url  # noqa: F401

BEFORE = "b1a5e0000012"  # the revision before the contacts migration
INSERT = sa.text(
    "INSERT INTO contacts (enterprise_id, owner_id, email, name, created_at, modified_at) "
    "VALUES (:e, :o, :m, 'Zoe', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


async def test_each_address_once_per_list(empty_database: str):  # noqa: F811
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, BEFORE)
        await upgrade(engine, "b1a5e000000f")
        async with engine.begin() as connection:
            enterprise = await insert_enterprise(connection)
            owner = await insert_user(connection, enterprise, delegate_enabled=False)
            for owner_id in (None, owner):
                await connection.execute(INSERT, {"e": enterprise, "o": owner_id, "m": "z@x.test"})
        for owner_id in (None, owner):
            with pytest.raises(IntegrityError):
                async with engine.begin() as connection:
                    await connection.execute(
                        INSERT, {"e": enterprise, "o": owner_id, "m": "z@x.test"}
                    )
        async with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                await connection.execute(sa.text("PRAGMA foreign_keys = ON"))
            await connection.execute(sa.text("DELETE FROM users WHERE id = :o"), {"o": owner})
            left = await connection.scalar(sa.text("SELECT count(*) FROM contacts"))
            assert left == 1  # the enterprise's contact stays
    finally:
        await engine.dispose()
