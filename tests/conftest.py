"""Shared fixtures: every API test runs on SQLite and on PostgreSQL, each test isolated.

PostgreSQL comes from SIGNFLOW_TEST_DATABASE_URL (default: the local server). When it
does not answer the tests fail, unless SIGNFLOW_TEST_POSTGRESQL=skip chose SQLite only
(see tests/prerequisites.py).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from signflow.app import create_app
from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import Base
from signflow.migrate import migrate
from signflow.pdf.intake import close_intake_sandboxes
from tests.factories import Tenant, make_tenant
from tests.prerequisites import postgresql_unavailable
from tests.webhooks.receiver import Receiver

# One database per test run, so that runs in parallel (two checkouts, two shells) never
# wipe each other's tables; it is dropped when the run ends.
DEFAULT_PG_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/signflow_test_{os.getpid()}"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-the-settings-check"


async def _admin_connection(url: str) -> asyncpg.Connection:
    admin_dsn = (
        make_url(url)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )
    return await asyncpg.connect(admin_dsn, timeout=5)


async def _ensure_postgres_database(url: str) -> None:
    name = make_url(url).database
    connection = await _admin_connection(url)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_postgres_database(url: str) -> None:
    connection = await _admin_connection(url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session", autouse=True)
def _stop_intake_sandboxes() -> Iterator[None]:
    yield
    close_intake_sandboxes()


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    given = os.environ.get("SIGNFLOW_TEST_DATABASE_URL")
    url = given or DEFAULT_PG_URL
    try:
        await _ensure_postgres_database(url)
    except (OSError, asyncpg.PostgresError) as exc:
        postgresql_unavailable(url, exc)
    await migrate(url)
    yield url
    if not given:
        await _drop_postgres_database(url)


@pytest.fixture(scope="session")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "signflow.db"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "postgres_url" if request.param == "postgresql" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    # The principal cache on both databases (its default is off on PostgreSQL), so that
    # every test also checks that it never serves what a change made stale.
    values: dict[str, object] = {
        "base_url": "http://testserver",
        "principal_cache": "host",
        **overrides,
    }
    return Settings(
        env="test",
        database_url=database_url,
        data_dir=data_dir,
        secret_key=TEST_SECRET,
        **values,  # type: ignore[arg-type]
    )


async def wipe(context: AppContext) -> None:
    tables = [table.name for table in Base.metadata.sorted_tables]
    async with context.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                await connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module to change settings for its tests."""
    return {}


@pytest.fixture
async def context(
    database_url: str, tmp_path: Path, settings_overrides: dict[str, object]
) -> AsyncIterator[AppContext]:
    context = AppContext.create(make_settings(database_url, tmp_path / "var", **settings_overrides))
    await wipe(context)
    try:
        yield context
    finally:
        await context.close()


@pytest.fixture
async def client(context: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(context=context)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def tenant(context: AppContext) -> Tenant:
    return await make_tenant(context, "Acme")


@pytest.fixture
async def other_tenant(context: AppContext) -> Tenant:
    return await make_tenant(context, "Globex")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real HTTP server on loopback that records what it receives (webhooks, callbacks)."""
    server = Receiver()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
