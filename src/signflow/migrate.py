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


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def run(connection: Any) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def migrate(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def autogenerate(database_url: str, message: str) -> None:
    """Developers: write a new revision from the difference between models and database."""
    engine = create_engine(database_url)

    def run(connection: Any) -> None:
        command.revision(alembic_config(connection), message=message, autogenerate=True)

    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()
