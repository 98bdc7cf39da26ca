"""The contacts migration: one list per owner and one per enterprise, each address at
most once in a list (the enterprise list through a partial unique index, on both
databases); removing a user removes their personal contacts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from signflow.db import create_engine
from signflow.migrate import upgrade
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
            enterprise = (
                await connection.execute(
                    sa.text(
                        "INSERT INTO enterprises (name, is_active, created_at, pki_key) "
                        "VALUES ('Acme', true, CURRENT_TIMESTAMP, 'k') RETURNING id"
                    )
                )
            ).scalar_one()
            owner = (
                await connection.execute(
                    sa.text(
                        "INSERT INTO users (enterprise_id, email, name, role, can_integrate, "
                        "is_active, must_change_password, created_at, delegate_enabled) "
                        "VALUES (:e, 'o@acme.test', 'Owner', 'user', false, true, false, "
                        "CURRENT_TIMESTAMP, false) RETURNING id"
                    ),
                    {"e": enterprise},
                )
            ).scalar_one()
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
