"""`signflow audit verify PACKAGE_ID`: an intact chain passes, a tampered row is named."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from signflow.audit.history import Actor, record
from signflow.cli import app
from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import transaction
from signflow.migrate import migrate
from signflow.models import HistoryEntry, Job, Package, User
from tests.factories import make_tenant

ACTOR = Actor("owner@acme.test", "Owner", "203.0.113.9", "pytest")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SIGNFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SIGNFLOW_DATABASE_URL", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield tmp_path
    root.handlers, root.level = handlers, level


async def make_history(data_dir: Path) -> tuple[int, list[int]]:
    settings = Settings(data_dir=data_dir)
    await migrate(settings.effective_database_url)
    context = AppContext.create(settings)
    try:
        tenant = await make_tenant(context, "Acme")
        async with transaction(context.sessions) as session:
            owner_id = await session.scalar(select(User.id).where(User.email == tenant.user_email))
            assert owner_id is not None
            package = Package(enterprise_id=tenant.enterprise_id, owner_id=owner_id, name="Lease")
            session.add(package)
            await session.flush()
            for action in ("PACKAGE_CREATED", "PACKAGE_SHARED", "PROCESSING_FINISHED"):
                await record(session, package.id, action, ACTOR, {"step": action})
            ids = list(
                await session.scalars(
                    select(HistoryEntry.id)
                    .where(HistoryEntry.package_id == package.id)
                    .order_by(HistoryEntry.sequence)
                )
            )
            return package.id, ids
    finally:
        await context.close()


async def tamper(data_dir: Path, entry_id: int) -> None:
    context = AppContext.create(Settings(data_dir=data_dir))
    try:
        async with transaction(context.sessions) as session:
            await session.execute(
                update(HistoryEntry)
                .where(HistoryEntry.id == entry_id)
                .values(user_email="mallory@evil.test")
            )
    finally:
        await context.close()


def verify(package_id: int) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify", str(package_id)])
    return result.exit_code, result.output


def test_intact_chain_verifies_and_a_tampered_row_is_named(data_dir: Path):
    package_id, entry_ids = asyncio.run(make_history(data_dir))
    code, output = verify(package_id)
    assert code == 0, output
    assert "intact (3 entries)" in output

    asyncio.run(tamper(data_dir, entry_ids[1]))
    code, output = verify(package_id)
    assert code == 1
    assert f"history broken at entry {entry_ids[1]}" in output
    assert "content does not match its keyed link" in output


def test_unknown_package_fails(data_dir: Path):
    asyncio.run(make_history(data_dir))
    code, output = verify(999)
    assert code == 1
    assert "does not exist" in output


async def truncate(data_dir: Path, package_id: int) -> None:
    """Delete the newest entry and move the package's head back to the one before."""
    context = AppContext.create(Settings(data_dir=data_dir))
    try:
        async with transaction(context.sessions) as session:
            entries = list(
                await session.scalars(
                    select(HistoryEntry)
                    .where(HistoryEntry.package_id == package_id)
                    .order_by(HistoryEntry.sequence)
                )
            )
            await session.delete(entries[-1])
            await session.execute(
                update(Package)
                .where(Package.id == package_id)
                .values(history_head=entries[-2].entry_hash)
            )
    finally:
        await context.close()


def unkeyed_digest(entry: HistoryEntry, previous_hash: str | None) -> str:
    """The SHA-256 chain link anyone can compute (the format before keyed links)."""
    content = {
        "package_id": entry.package_id,
        "sequence": entry.sequence,
        "action": entry.action,
        "user_email": entry.user_email,
        "user_name": entry.user_name,
        "ip_address": entry.ip_address,
        "user_agent": entry.user_agent,
        "details": entry.details,
        "created_at": entry.created_at.isoformat(timespec="microseconds"),
        "previous_hash": previous_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def rewrite(data_dir: Path, package_id: int, entry_id: int) -> None:
    """Edit one row, then recompute every link after it with unkeyed SHA-256."""
    context = AppContext.create(Settings(data_dir=data_dir))
    try:
        async with transaction(context.sessions) as session:
            entries = list(
                await session.scalars(
                    select(HistoryEntry)
                    .where(HistoryEntry.package_id == package_id)
                    .order_by(HistoryEntry.sequence)
                )
            )
            edited = next(i for i, entry in enumerate(entries) if entry.id == entry_id)
            entries[edited].user_email = "mallory@evil.test"
            previous = entries[edited].previous_hash
            for entry in entries[edited:]:
                entry.previous_hash = previous
                entry.entry_hash = unkeyed_digest(entry, previous)
                previous = entry.entry_hash
            await session.execute(
                update(Package).where(Package.id == package_id).values(history_head=previous)
            )
    finally:
        await context.close()


def test_truncation_is_reported(data_dir: Path):
    package_id, _ = asyncio.run(make_history(data_dir))
    asyncio.run(truncate(data_dir, package_id))
    code, output = verify(package_id)
    assert code == 1, output
    assert "history broken" in output


def test_a_recomputed_unkeyed_chain_is_reported(data_dir: Path):
    package_id, entry_ids = asyncio.run(make_history(data_dir))
    asyncio.run(rewrite(data_dir, package_id, entry_ids[1]))
    code, output = verify(package_id)
    assert code == 1, output
    assert f"history broken at entry {entry_ids[1]}" in output


async def pending_jobs(data_dir: Path) -> list[str]:
    context = AppContext.create(Settings(data_dir=data_dir))
    try:
        async with transaction(context.sessions) as session:
            return list(await session.scalars(select(Job.kind).where(Job.status == "pending")))
    finally:
        await context.close()


async def history_rows(data_dir: Path, package_id: int) -> list[HistoryEntry]:
    context = AppContext.create(Settings(data_dir=data_dir))
    try:
        async with transaction(context.sessions) as session:
            return list(
                await session.scalars(
                    select(HistoryEntry).where(HistoryEntry.package_id == package_id)
                )
            )
    finally:
        await context.close()


def test_the_migration_queues_the_first_checkpoint(data_dir: Path):
    asyncio.run(make_history(data_dir))
    assert "history.checkpoint" in asyncio.run(pending_jobs(data_dir))


def test_checkpoint_then_erase_person_from_the_command_line(data_dir: Path):
    package_id, _ = asyncio.run(make_history(data_dir))
    runner = CliRunner()
    taken = runner.invoke(app, ["audit", "checkpoint"])
    assert taken.exit_code == 0, taken.output
    assert "checkpointed 1 changed package heads" in taken.output

    unknown = runner.invoke(app, ["erase-person", "--enterprise", "Nope", "--email", "a@b.test"])
    assert unknown.exit_code == 1
    assert "no enterprise named 'Nope'" in unknown.output
    bad = runner.invoke(app, ["erase-person", "--enterprise", "Acme", "--email", "nobody"])
    assert bad.exit_code == 1
    assert "e-mail address" in bad.output

    erased = runner.invoke(
        app, ["erase-person", "--enterprise", "Acme", "--email", "OWNER@acme.test"]
    )
    assert erased.exit_code == 0, erased.output
    assert "erased 12 values in 1 packages" in erased.output
    rows = asyncio.run(history_rows(data_dir, package_id))
    assert [r.action for r in rows][-1] == "PERSONAL_DATA_ERASED"
    assert not [
        r.id
        for r in rows
        if "owner@acme.test"
        in json.dumps([r.user_email, r.user_name, r.ip_address, r.user_agent, r.details])
    ]
    assert not [r.id for r in rows if "203.0.113.9" in (r.ip_address or "")]
    code, output = verify(package_id)
    assert code == 0, output
    assert "intact (4 entries)" in output
