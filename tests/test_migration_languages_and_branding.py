"""The languages-and-branding migration adds nullable columns to existing rows, on both
databases, and goes back down."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from signflow.db import create_engine
from signflow.migrate import alembic_config, upgrade
from tests.test_migration_pki_key import empty_database, server_url  # noqa: F401

BEFORE = "b1a5e0000011"
REVISION = "b1a5e0000013"


async def test_existing_enterprises_have_no_branding_and_no_default_language(
    empty_database: str,  # noqa: F811
):
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, BEFORE)
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO enterprises (name, is_active, created_at, pki_key) "
                    "VALUES ('Acme', true, CURRENT_TIMESTAMP, 'k')"
                )
            )
        await upgrade(engine, REVISION)
        async with engine.begin() as connection:
            row = (
                await connection.execute(
                    sa.text(
                        "SELECT default_language, display_name, accent_color, logo, "
                        "logo_type, logo_sha256 FROM enterprises"
                    )
                )
            ).one()
            assert tuple(row) == (None,) * 6
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("recipients")}
            )
            assert "language" in columns
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), BEFORE))
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("enterprises")}
            )
            assert "logo" not in columns and "default_language" not in columns
    finally:
        await engine.dispose()
