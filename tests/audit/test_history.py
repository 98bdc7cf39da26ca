"""The history writer: each entry's keyed link and the head's seal are exactly what the
documented formula gives (recomputed here independently of `audit.history`), whether
entries are written one by one or several at once, in one transaction or across
savepoints; the chain verifies, and a tampered entry is still refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from sqlalchemy import select, update

from signflow.audit.history import (
    SYSTEM,
    Actor,
    Event,
    record,
    record_each,
    verify_chain,
)
from signflow.audit.keys import history_keys
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import HistoryEntry, Package, User
from tests.conftest import TEST_SECRET
from tests.factories import Tenant

ALICE = Actor("alice@acme.test", "Alice", "192.0.2.7", "Mozilla/5.0")


def _hmac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _digest(key: bytes, value: str | None) -> str | None:
    return None if value is None else _hmac(key, value.encode())


def expected_link(enterprise_id: int, row: HistoryEntry) -> str:
    """Version 2's link, from its definition: HMAC-SHA256 under the link key of the sorted,
    compact JSON of the entry, personal values (columns, and `users`/`name`-like keys of
    the details) by their HMAC under the personal key."""
    keys = history_keys(TEST_SECRET, enterprise_id)

    def personal(node: object) -> object:
        if isinstance(node, dict):
            out: dict[str, object] = {}
            for name, value in node.items():
                if name in {"users", "emails", "recipients"} and isinstance(value, list):
                    out[name] = [
                        _digest(keys.personal, v) if isinstance(v, str) else personal(v)
                        for v in value
                    ]
                elif name in {"email", "name", "user_email", "user_name"} and isinstance(
                    value, str
                ):
                    out[name] = _digest(keys.personal, value)
                else:
                    out[name] = personal(value)
            return out
        if isinstance(node, list):
            return [personal(item) for item in node]
        return node

    content = {
        "v": 2,
        "package_id": row.package_id,
        "sequence": row.sequence,
        "action": row.action,
        "details": personal(row.details),
        "created_at": row.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "previous_hash": row.previous_hash,
        "user_email": _digest(keys.personal, row.user_email),
        "user_name": _digest(keys.personal, row.user_name),
        "ip_address": _digest(keys.personal, row.ip_address),
        "user_agent": _digest(keys.personal, row.user_agent),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    return _hmac(keys.link, canonical)


def expected_seal(enterprise_id: int, package_id: int, sequence: int, head: str) -> str:
    keys = history_keys(TEST_SECRET, enterprise_id)
    return _hmac(keys.head, f"{package_id}\n{sequence}\n{head}".encode())


async def new_package(context: AppContext, tenant: Tenant) -> int:
    async with transaction(context.sessions) as session:
        owner_id = await session.scalar(select(User.id).where(User.email == tenant.admin_email))
        assert owner_id is not None
        package = Package(enterprise_id=tenant.enterprise_id, owner_id=owner_id, name="Deed")
        session.add(package)
        await session.flush()
        return package.id


async def stored_chain(context: AppContext, package_id: int) -> list[HistoryEntry]:
    async with transaction(context.sessions) as session:
        return list(
            await session.scalars(
                select(HistoryEntry)
                .where(HistoryEntry.package_id == package_id)
                .order_by(HistoryEntry.sequence)
            )
        )


async def assert_chain_as_defined(
    context: AppContext, tenant: Tenant, package_id: int, actions: list[str]
) -> None:
    rows = await stored_chain(context, package_id)
    assert [r.action for r in rows] == actions
    assert [r.sequence for r in rows] == list(range(1, len(actions) + 1))
    previous = None
    for row in rows:
        assert row.chain_version == 2
        assert row.previous_hash == previous
        assert row.entry_hash == expected_link(tenant.enterprise_id, row)
        previous = row.entry_hash
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, package_id)
        assert package.history_head == previous
        assert previous is not None
        assert package.history_head_mac == expected_seal(
            tenant.enterprise_id, package_id, len(rows), previous
        )
        assert (await verify_chain(session, package_id)).ok


async def test_entries_written_one_by_one_link_as_defined(context: AppContext, tenant: Tenant):
    package_id = await new_package(context, tenant)
    async with transaction(context.sessions) as session:
        await record(session, package_id, "PACKAGE_CREATED", SYSTEM, {"package_name": "Deed"})
    async with transaction(context.sessions) as session:
        first = await record(
            session,
            package_id,
            "STEP_OPENED",
            ALICE,
            {"orders": [1, 2], "users": ["b@acme.test", "c@acme.test"], "note": "é ✓"},
        )
        second = await record(session, package_id, "DOCUMENT_APPROVED", ALICE, {"reason": None})
    assert (first.sequence, second.sequence) == (2, 3)
    await assert_chain_as_defined(
        context, tenant, package_id, ["PACKAGE_CREATED", "STEP_OPENED", "DOCUMENT_APPROVED"]
    )


async def test_entries_written_at_once_link_as_one_by_one(context: AppContext, tenant: Tenant):
    package_id = await new_package(context, tenant)
    async with transaction(context.sessions) as session:
        await record(session, package_id, "PACKAGE_CREATED", SYSTEM, {})
        written = await record_each(
            session,
            package_id,
            (
                Event("DOCUMENT_APPROVED", ALICE, {"order": 1, "reason": "fine"}),
                Event("PROCESSING_FINISHED", ALICE, {"order": 1, "process_status": "REVIEWED"}),
            ),
        )
    assert [w.sequence for w in written] == [2, 3]
    await assert_chain_as_defined(
        context,
        tenant,
        package_id,
        ["PACKAGE_CREATED", "DOCUMENT_APPROVED", "PROCESSING_FINISHED"],
    )
    rows = await stored_chain(context, package_id)
    assert [w.entry_hash for w in written] == [r.entry_hash for r in rows[1:]]


async def test_the_loaded_package_holds_the_new_head(context: AppContext, tenant: Tenant):
    package_id = await new_package(context, tenant)
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, package_id)
        written = await record(session, package_id, "STEP", SYSTEM, {})
        assert package.history_head == written.entry_hash
        assert package.history_head_mac == expected_seal(
            tenant.enterprise_id, package_id, 1, written.entry_hash
        )
        assert (await verify_chain(session, package_id)).ok


@pytest.mark.parametrize("savepoint_ends", ["rolled back", "released"])
async def test_a_savepoint_does_not_leave_a_wrong_tail_behind(
    context: AppContext, tenant: Tenant, savepoint_ends: str
):
    package_id = await new_package(context, tenant)
    async with transaction(context.sessions) as session:
        await record(session, package_id, "BEFORE", SYSTEM, {})
        nested = await session.begin_nested()
        await record(session, package_id, "INSIDE", SYSTEM, {})
        if savepoint_ends == "rolled back":
            await nested.rollback()
        else:
            await nested.commit()
        await record(session, package_id, "AFTER", SYSTEM, {})
    expected = (
        ["BEFORE", "AFTER"] if savepoint_ends == "rolled back" else ["BEFORE", "INSIDE", "AFTER"]
    )
    await assert_chain_as_defined(context, tenant, package_id, expected)


async def test_a_tampered_entry_written_by_the_writer_is_refused(
    context: AppContext, tenant: Tenant
):
    package_id = await new_package(context, tenant)
    async with transaction(context.sessions) as session:
        await record_each(
            session,
            package_id,
            (Event("A", ALICE, {"reason": "one"}), Event("B", ALICE, {"reason": "two"})),
        )
    async with transaction(context.sessions) as session:
        await session.execute(
            update(HistoryEntry)
            .where(HistoryEntry.package_id == package_id, HistoryEntry.sequence == 1)
            .values(details={"reason": "forged"})
        )
    async with transaction(context.sessions) as session:
        check = await verify_chain(session, package_id)
    assert not check.ok
    assert check.reason == "content does not match its keyed link"


async def test_a_package_that_does_not_exist_has_no_history(context: AppContext):
    async with transaction(context.sessions) as session:
        with pytest.raises(LookupError):
            await record(session, 987654, "STEP", SYSTEM, {})
