"""Blob stores under test: filesystem, database on SQLite, database on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from signflow.db import Base, create_engine
from signflow.models.blob import Blob
from signflow.storage import BlobStore, DatabaseBlobStore, FilesystemBlobStore
from tests.prerequisites import postgresql_unavailable

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
# One database per run, dropped at its end: parallel runs never share tables.
PG_DATABASE = f"signflow_storage_test_{os.getpid()}"
PG_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DATABASE}"


async def _create_blobs_table(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all, tables=[Blob.__table__])


async def _ensure_pg_database() -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        if not await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", PG_DATABASE
        ):
            await connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    finally:
        await connection.close()


async def _drop_pg_database() -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    path = tmp_path_factory.mktemp("blobs-sqlite") / "blobs.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await _create_blobs_table(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def postgresql_engine() -> AsyncIterator[AsyncEngine]:
    try:
        await _ensure_pg_database()
    except (OSError, asyncpg.PostgresError) as exc:
        postgresql_unavailable("127.0.0.1:5432", exc)
    engine = create_engine(PG_URL)
    await _create_blobs_table(engine)
    yield engine
    await engine.dispose()
    await _drop_pg_database()


async def _empty(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM blobs"))


@pytest.fixture(params=["filesystem", "sqlite", "postgresql"])
def engine_or_none(request: pytest.FixtureRequest) -> AsyncEngine | None:
    if request.param == "filesystem":
        return None
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_engine")
    return engine


@pytest.fixture
async def store(engine_or_none: AsyncEngine | None, tmp_path: Path) -> BlobStore:
    if engine_or_none is None:
        return FilesystemBlobStore(tmp_path / "blobs")
    await _empty(engine_or_none)
    return DatabaseBlobStore(async_sessionmaker(engine_or_none, expire_on_commit=False))
