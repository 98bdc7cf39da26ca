"""The migration that gives existing enterprises their /pki key, on both databases."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from signflow.db import create_engine
from signflow.migrate import upgrade
from tests.conftest import _drop_postgres_database, _ensure_postgres_database

BEFORE = "b1a5e0000002"
THIS = "b1a5e0000004"


@pytest.fixture(params=["sqlite", "postgresql"])
def server_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")  # skips when there is no server
    return url


@pytest.fixture
async def empty_database(server_url: str | None, tmp_path: Path) -> AsyncIterator[str]:
    if server_url is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrating.db'}"
        return
    url = (
        make_url(server_url)
        .set(database=f"signflow_migration_{os.getpid()}")
        .render_as_string(hide_password=False)
    )
    await _drop_postgres_database(url)
    await _ensure_postgres_database(url)
    yield url
    await _drop_postgres_database(url)


async def test_existing_enterprises_get_distinct_unguessable_keys(empty_database: str):
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, BEFORE)
        async with engine.begin() as connection:
            for name in ("Acme", "Globex", "Initech"):
                await connection.execute(
                    text(
                        "INSERT INTO enterprises (name, is_active, created_at) "
                        "VALUES (:name, true, CURRENT_TIMESTAMP)"
                    ),
                    {"name": name},
                )
        await upgrade(engine, THIS)
        async with engine.begin() as connection:
            rows = (await connection.execute(text("SELECT id, pki_key FROM enterprises"))).all()
        keys = [key for _, key in rows]
        assert len(rows) == 3
        assert len(set(keys)) == 3
        assert all(len(key) >= 22 and not key.isdigit() for key in keys)
        # Unique: two enterprises can never share one.
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO enterprises (name, is_active, created_at, pki_key) "
                        "VALUES ('Hooli', true, CURRENT_TIMESTAMP, :key)"
                    ),
                    {"key": keys[0]},
                )
    finally:
        await engine.dispose()
