"""Applying the Alembic migrations, identically on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from signflow.db import create_engine


def migrations_directory() -> Path:
    packaged = Path(__file__).parent / "migrations"
    return packaged if packaged.is_dir() else Path(__file__).parents[2] / "migrations"


def alembic_config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    config.attributes["connection"] = connection
    return config


class BrokenForeignKeys(RuntimeError):
    """A migration left rows that refer to rows that do not exist."""


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def run(connection: Any) -> None:
        command.upgrade(alembic_config(connection), revision)
        if connection.dialect.name == "sqlite":
            # Migrations run with enforcement off (see `migrate`): check what they left.
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise BrokenForeignKeys(f"rows refer to missing rows: {broken[:10]}")

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def migrate(database_url: str) -> None:
    # On SQLite, a migration that rebuilds a table (batch mode) needs foreign-key
    # enforcement off; `upgrade` checks every reference afterwards, in the same transaction.
    engine = create_engine(database_url, foreign_keys=False)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def autogenerate(database_url: str, message: str) -> None:
    """Developers: write a new revision from the difference between models and database."""
    engine = create_engine(database_url, foreign_keys=False)

    def run(connection: Any) -> None:
        command.revision(alembic_config(connection), message=message, autogenerate=True)

    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()
