"""The app-sessions migration creates its table on both databases, with the token's hash
unique, and goes back down."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from signflow.db import create_engine
from signflow.migrate import alembic_config, upgrade
from tests.test_migration_pki_key import empty_database, server_url  # noqa: F401

BEFORE = "b1a5e0000013"
REVISION = "aa0a99500001"


def _tables(sync: sa.Connection) -> set[str]:
    return set(sa.inspect(sync).get_table_names())


async def test_the_app_sessions_table_comes_and_goes(empty_database: str) -> None:  # noqa: F811
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, BEFORE)
        async with engine.begin() as connection:
            assert "app_sessions" not in await connection.run_sync(_tables)
        await upgrade(engine, REVISION)
        async with engine.begin() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("app_sessions")}
            )
            assert {"token_hash", "user_id", "enterprise_id", "expires_at", "revoked_at"} <= columns
            assert "token" not in columns
            unique = await connection.run_sync(
                lambda sync: sa.inspect(sync).get_unique_constraints("app_sessions")
            )
            assert [u["column_names"] for u in unique] == [["token_hash"]]
            sso = await connection.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("enterprise_sso")}
            )
            assert "client_secret_sealed" in sso and "client_secret" not in sso
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), BEFORE))
            assert "app_sessions" not in await connection.run_sync(_tables)
            assert "enterprise_sso" not in await connection.run_sync(_tables)
    finally:
        await engine.dispose()
