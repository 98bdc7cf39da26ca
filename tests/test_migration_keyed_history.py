"""Chains written before keyed links still verify after the migration that keys new
entries, can grow with keyed entries, and can have a person erased; on both databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from signflow.audit.checkpoints import checkpoint_all
from signflow.audit.erasure import erase_person
from signflow.audit.history import SYSTEM, Actor, entry_digest, record
from signflow.audit.verification import audit_package
from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import UTCDateTime, create_engine, transaction
from signflow.migrate import upgrade
from signflow.models import Package
from tests.migration_rows import insert_draft_package, insert_enterprise, insert_user
from tests.test_migration_pki_key import empty_database, server_url  # noqa: F401

BEFORE = "b1a5e0000006"
PERSON = Actor("early.signer@example.test", "Early Signer", "198.51.100.4", "old-agent")

HISTORY = sa.table(
    "history_entries",
    sa.column("package_id", sa.Integer),
    sa.column("sequence", sa.Integer),
    sa.column("action", sa.String),
    sa.column("user_email", sa.String),
    sa.column("user_name", sa.String),
    sa.column("ip_address", sa.String),
    sa.column("user_agent", sa.String),
    sa.column("details", sa.JSON),
    sa.column("created_at", UTCDateTime()),
    sa.column("previous_hash", sa.String),
    sa.column("entry_hash", sa.String),
)


async def write_old_chain(engine: AsyncEngine) -> int:
    now = dt.datetime(2026, 11, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
    async with engine.begin() as connection:
        enterprise_id = await insert_enterprise(connection)
        owner_id = await insert_user(connection, enterprise_id, "owner@acme.test", "ADMIN")
        package_id = await insert_draft_package(connection, enterprise_id, owner_id, "Old")
        previous = None
        rows = [
            ("PACKAGE_CREATED", Actor("owner@acme.test", "Owner"), {"package_name": "Old"}),
            ("USERS_ADDED", SYSTEM, {"users": [{"order": 1, "user_email": PERSON.email}]}),
            ("DOCUMENT_OPENED", PERSON, {"orders": [1]}),
        ]
        for sequence, (action, actor, details) in enumerate(rows, start=1):
            created_at = now + dt.timedelta(seconds=sequence)
            digest = entry_digest(
                package_id=package_id,
                sequence=sequence,
                action=action,
                actor=actor,
                details=details,
                created_at=created_at,
                previous_hash=previous,
            )
            await connection.execute(
                sa.insert(HISTORY).values(
                    package_id=package_id,
                    sequence=sequence,
                    action=action,
                    user_email=actor.email,
                    user_name=actor.name,
                    ip_address=actor.ip_address,
                    user_agent=actor.user_agent,
                    details=details,
                    created_at=created_at,
                    previous_hash=previous,
                    entry_hash=digest,
                )
            )
            previous = digest
        await connection.execute(
            sa.text("UPDATE packages SET history_head = :h WHERE id = :p"),
            {"h": previous, "p": package_id},
        )
    return int(package_id)


async def test_an_old_chain_verifies_grows_and_erases_after_the_migration(
    empty_database: str,  # noqa: F811
    tmp_path: Path,
):
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, BEFORE)
        package_id = await write_old_chain(engine)
        await upgrade(engine)  # this migration and every later one: the models need them
    finally:
        await engine.dispose()

    context = AppContext.create(Settings(database_url=empty_database, data_dir=tmp_path))
    try:
        async with transaction(context.sessions) as session:
            result = await audit_package(session, package_id)
            assert (result.ok, result.entries, result.legacy_entries) == (True, 3, 3)
            assert (await session.get_one(Package, package_id)).history_head_mac is None
        assert await checkpoint_all(context) == 1  # checks the old chain, seals its head
        async with transaction(context.sessions) as session:
            assert (await session.get_one(Package, package_id)).history_head_mac is not None
            await record(session, package_id, "PACKAGE_SHARED", SYSTEM, {})
        async with transaction(context.sessions) as session:
            enterprise_id = (await session.get_one(Package, package_id)).enterprise_id
            erased = await erase_person(session, enterprise_id, str(PERSON.email), SYSTEM)
            assert erased.packages == [package_id]
        async with transaction(context.sessions) as session:
            result = await audit_package(session, package_id)
            assert (result.ok, result.entries, result.reason) == (True, 5, None)
            text = str((await session.execute(sa.text("SELECT * FROM history_entries"))).all())
            assert PERSON.email not in text and "198.51.100.4" not in text
    finally:
        await context.close()
