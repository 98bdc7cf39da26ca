"""Migration b1a5e0000001 on a database holding data: existing accounts stay usable
(taken as verified), cross-enterprise sign-ins are revoked, and on SQLite the rebuilt
users table keeps every row that refers to it (packages, their counts, tokens)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from signflow.db import create_engine
from signflow.migrate import migrate, upgrade
from tests.conftest import _drop_postgres_database, _ensure_postgres_database

BEFORE = "9d41c0e7a2b5"
CREATED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the database of this test goes: a file, or a database of its own on the
    test server (skipped, like every PostgreSQL test, when that is away)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'before.db'}"
    shared: str = request.getfixturevalue("postgres_url")
    url = make_url(shared).set(database=f"signflow_migration_{os.getpid()}")
    return url.render_as_string(hide_password=False)


@pytest.fixture
async def empty_database(database_at: str) -> AsyncIterator[str]:
    if not database_at.startswith("postgresql"):
        yield database_at
        return
    await _drop_postgres_database(database_at)
    await _ensure_postgres_database(database_at)
    try:
        yield database_at
    finally:
        await _drop_postgres_database(database_at)


async def _tables(connection: AsyncConnection) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    await connection.run_sync(metadata.reflect)
    return dict(metadata.tables)


async def _insert(connection: AsyncConnection, table: sa.Table, **values: Any) -> None:
    await connection.execute(sa.insert(table).values(**values))


async def test_existing_accounts_survive_and_are_taken_as_verified(empty_database: str):
    engine = create_engine(empty_database, foreign_keys=False)
    try:
        await upgrade(engine, BEFORE)
        async with engine.begin() as connection:
            t = await _tables(connection)
            for id_, name in ((1, "Acme"), (2, "Globex")):
                enterprise = {"id": id_, "name": name, "is_active": True, "created_at": CREATED}
                await _insert(connection, t["enterprises"], **enterprise)
            for id_, enterprise, email in ((1, 1, "boss@acme.test"), (2, 2, "boss@globex.test")):
                await _insert(
                    connection,
                    t["users"],
                    id=id_,
                    enterprise_id=enterprise,
                    email=email,
                    name=email,
                    role="admin",
                    can_integrate=True,
                    is_active=True,
                    created_at=CREATED,
                )
            for id_, enterprise in ((1, 1), (2, 2)):
                await _insert(
                    connection,
                    t["applications"],
                    id=id_,
                    enterprise_id=enterprise,
                    name=f"app-{id_}",
                    secret_hash="0" * 64,
                    api_user_id=id_,
                    allowed_domains=[],
                    is_active=True,
                    created_at=CREATED,
                )
            # Globex's admin signed in through Acme's application (allowed before).
            for id_, user, application in ((1, 1, 1), (2, 2, 1)):
                await _insert(
                    connection,
                    t["token_grants"],
                    id=id_,
                    access_hash=f"{id_}" * 64,
                    refresh_hash=f"{id_ + 5}" * 64,
                    user_id=user,
                    application_id=application,
                    access_expires_at=CREATED,
                    refresh_expires_at=CREATED,
                    created_at=CREATED,
                )
            await _insert(
                connection,
                t["packages"],
                id=1,
                enterprise_id=1,
                owner_id=1,
                name="Lease",
                workflow_mode="ME_AND_OTHERS",
                workflow_type="SERIAL",
                continue_on_decline=False,
                status="DRAFT",
                tags=[],
                archived=False,
                created_at=CREATED,
                modified_at=CREATED,
            )
    finally:
        await engine.dispose()

    await migrate(empty_database)

    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            t = await _tables(connection)
            users = t["users"]
            verified = (
                await connection.execute(
                    sa.select(users.c.id, users.c.email_verified_at).order_by(users.c.id)
                )
            ).all()
            assert [(row[0], row[1] is not None) for row in verified] == [(1, True), (2, True)]
            grants = t["token_grants"]
            revoked = (
                await connection.execute(
                    sa.select(grants.c.id, grants.c.revoked_at).order_by(grants.c.id)
                )
            ).all()
            assert [(row[0], row[1] is not None) for row in revoked] == [(1, False), (2, True)]
            counts = t["package_counts"]
            assert (
                await connection.execute(sa.select(counts.c.owner_id, counts.c.n_draft))
            ).all() == [(1, 1)]
            assert await connection.scalar(sa.select(sa.func.count()).select_from(t["packages"]))
            # The same address may now be pending in another enterprise.
            await _insert(
                connection,
                users,
                id=3,
                enterprise_id=2,
                email="boss@acme.test",
                name="Pending",
                role="user",
                can_integrate=False,
                is_active=True,
                created_at=CREATED,
            )
        # ...but only one account may have proven it.
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(
                    sa.update(users).where(users.c.id == 3).values(email_verified_at=CREATED)
                )
    finally:
        await engine.dispose()
