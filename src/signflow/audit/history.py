"""Writing and checking the per-package history chain.

Each entry's link (entry_hash) covers the previous entry's link and its own content,
so changing, removing or reordering any row breaks every link after it. Links are
keyed (version 2): HMAC-SHA256 under the enterprise's link key, derived from
SECRET_KEY and never stored, so someone who can write the database but does not hold
the key cannot recompute them. The package's head is sealed the same way
(history_head_mac), so deleting the newest entries and moving the head back is seen.

Entries written before keyed links (version 1) keep their unkeyed SHA-256 link and
are checked as such; checkpoints (`audit.checkpoints`) cover them from the first
checkpoint on. Personal values enter a keyed link only as keyed digests
(`audit.personal`), which is what lets erasure keep the chain verifiable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.keys import HistoryKeys, history_keys, mac, same
from signflow.audit.personal import (
    EMAIL_LIST_KEYS,
    PERSONAL_COLUMNS,
    PERSONAL_KEYS,
    digested_details,
    is_erased,
    personal_digest,
)
from signflow.context import settings_of
from signflow.db import utcnow
from signflow.models import HistoryEntry, Package

LEGACY_CHAIN = 1
KEYED_CHAIN = 2
ERASURE_ACTION = "PERSONAL_DATA_ERASED"


@dataclass(frozen=True)
class Actor:
    """Who did something, and from where."""

    email: str | None
    name: str | None
    ip_address: str | None = None
    user_agent: str | None = None


SYSTEM = Actor(email=None, name="Signflow")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _canonical(content: dict[str, object]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def entry_digest(
    *,
    package_id: int,
    sequence: int,
    action: str,
    actor: Actor,
    details: dict[str, object],
    created_at: dt.datetime,
    previous_hash: str | None,
) -> str:
    """The unkeyed link of a version 1 entry (kept to check chains written before keys)."""
    content = {
        "package_id": package_id,
        "sequence": sequence,
        "action": action,
        "user_email": actor.email,
        "user_name": actor.name,
        "ip_address": actor.ip_address,
        "user_agent": actor.user_agent,
        "details": details,
        "created_at": _stamp(created_at),
        "previous_hash": previous_hash,
    }
    return hashlib.sha256(_canonical(content)).hexdigest()


def _keyed_content(keys: HistoryKeys, entry: HistoryEntry) -> dict[str, object]:
    content: dict[str, object] = {
        "v": KEYED_CHAIN,
        "package_id": entry.package_id,
        "sequence": entry.sequence,
        "action": entry.action,
        "details": digested_details(keys.personal, entry.details),
        "created_at": _stamp(entry.created_at),
        "previous_hash": entry.previous_hash,
    }
    for column in PERSONAL_COLUMNS:
        content[column] = personal_digest(keys.personal, getattr(entry, column))
    return content


def keyed_link(keys: HistoryKeys, entry: HistoryEntry) -> str:
    return mac(keys.link, _canonical(_keyed_content(keys, entry)))


def legacy_erasure_seal(keys: HistoryKeys, entry: HistoryEntry) -> str:
    """Keyed seal of an erased version 1 row: its unkeyed link covers the erased values,
    so the erasure entry vouches for the row's remaining content and original link."""
    content = _keyed_content(keys, entry) | {"v": "1-erased", "entry_hash": entry.entry_hash}
    return mac(keys.link, _canonical(content))


def head_seal(keys: HistoryKeys, package_id: int, sequence: int, head: str | None) -> str:
    return mac(keys.head, f"{package_id}\n{sequence}\n{head or ''}".encode())


def keys_for(session: AsyncSession, enterprise_id: int) -> HistoryKeys:
    return history_keys(settings_of(session).effective_secret_key, enterprise_id)


async def record(
    session: AsyncSession,
    package_id: int,
    action: str,
    actor: Actor,
    details: dict[str, object] | None = None,
) -> HistoryEntry:
    """Append one entry; the package row is locked so appends to one chain queue up."""
    package = await session.scalar(
        select(Package).where(Package.id == package_id).with_for_update()
    )
    if package is None:
        raise LookupError(f"package {package_id} does not exist")
    last = await session.scalar(
        select(func.max(HistoryEntry.sequence)).where(HistoryEntry.package_id == package_id)
    )
    keys = keys_for(session, package.enterprise_id)
    entry = HistoryEntry(
        package_id=package_id,
        sequence=(last or 0) + 1,
        chain_version=KEYED_CHAIN,
        action=action,
        user_email=actor.email,
        user_name=actor.name,
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
        details=dict(details or {}),
        created_at=utcnow(),
        previous_hash=package.history_head,
    )
    entry.entry_hash = keyed_link(keys, entry)
    session.add(entry)
    package.history_head = entry.entry_hash
    package.history_head_mac = head_seal(keys, package_id, entry.sequence, entry.entry_hash)
    await session.flush()
    return entry


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    broken_entry_id: int | None = None
    reason: str | None = None
    legacy_entries: int = 0
    """Entries with unkeyed links (written before keyed links); only checkpoints cover them."""


def _has_erased_values(entry: HistoryEntry) -> bool:
    if any(is_erased(getattr(entry, column)) for column in PERSONAL_COLUMNS):
        return True

    def walk(node: object) -> bool:
        if isinstance(node, dict):
            return any(
                (name in PERSONAL_KEYS and is_erased(value))
                or (
                    name in EMAIL_LIST_KEYS
                    and isinstance(value, list)
                    and any(map(is_erased, value))
                )
                or walk(value)
                for name, value in node.items()
            )
        if isinstance(node, list):
            return any(walk(item) for item in node)
        return False

    return walk(entry.details)


def _legacy_seals(entries: list[HistoryEntry]) -> dict[int, str]:
    seals: dict[int, str] = {}
    for entry in entries:
        legacy = entry.details.get("legacy_seals") if entry.action == ERASURE_ACTION else None
        if entry.chain_version == KEYED_CHAIN and isinstance(legacy, dict):
            seals.update({int(seq): str(seal) for seq, seal in legacy.items()})
    return seals


def _entry_problem(
    keys: HistoryKeys, entry: HistoryEntry, legacy_seals: dict[int, str]
) -> str | None:
    if entry.chain_version == KEYED_CHAIN:
        if not same(keyed_link(keys, entry), entry.entry_hash):
            return "content does not match its keyed link"
        return None
    if entry.chain_version != LEGACY_CHAIN:
        return f"unknown chain version {entry.chain_version}"
    if _has_erased_values(entry):
        if not same(legacy_erasure_seal(keys, entry), legacy_seals.get(entry.sequence)):
            return "erased content does not match the seal its erasure recorded"
        return None
    digest = entry_digest(
        package_id=entry.package_id,
        sequence=entry.sequence,
        action=entry.action,
        actor=Actor(entry.user_email, entry.user_name, entry.ip_address, entry.user_agent),
        details=entry.details,
        created_at=entry.created_at,
        previous_hash=entry.previous_hash,
    )
    return None if digest == entry.entry_hash else "content does not match its hash"


async def chain_entries(session: AsyncSession, package_id: int) -> list[HistoryEntry]:
    return list(
        await session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.package_id == package_id)
            .order_by(HistoryEntry.sequence)
        )
    )


async def verify_chain(session: AsyncSession, package_id: int) -> ChainCheck:
    """Check every link, then the head and its seal (see `audit.checkpoints` for the rest)."""
    package = await session.get_one(Package, package_id)
    keys = keys_for(session, package.enterprise_id)
    entries = await chain_entries(session, package_id)
    legacy_seals = _legacy_seals(entries)
    previous: str | None = None
    keyed_seen = False
    legacy = 0
    for expected_sequence, entry in enumerate(entries, start=1):
        if entry.sequence != expected_sequence:
            return ChainCheck(False, len(entries), entry.id, "a sequence number is missing")
        if entry.previous_hash != previous:
            return ChainCheck(False, len(entries), entry.id, "previous hash does not match")
        if entry.chain_version != KEYED_CHAIN and keyed_seen:
            return ChainCheck(False, len(entries), entry.id, "an unkeyed link follows a keyed one")
        problem = _entry_problem(keys, entry, legacy_seals)
        if problem:
            return ChainCheck(False, len(entries), entry.id, problem)
        keyed_seen = keyed_seen or entry.chain_version == KEYED_CHAIN
        legacy += entry.chain_version == LEGACY_CHAIN
        previous = entry.entry_hash
    if package.history_head != previous:
        return ChainCheck(False, len(entries), None, "the package's chain head does not match")
    sealed = package.history_head_mac
    if (sealed is not None or keyed_seen) and not same(
        head_seal(keys, package_id, len(entries), previous), sealed
    ):
        return ChainCheck(
            False, len(entries), None, "the head's seal does not match (entries removed?)"
        )
    return ChainCheck(True, len(entries), legacy_entries=legacy)
