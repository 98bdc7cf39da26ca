"""Writing and checking the per-package history chain.

Each entry's hash covers the previous entry's hash and its own content, so
changing, removing or reordering any row breaks every hash after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.db import utcnow
from signflow.models import HistoryEntry, Package


@dataclass(frozen=True)
class Actor:
    """Who did something, and from where."""

    email: str | None
    name: str | None
    ip_address: str | None = None
    user_agent: str | None = None


SYSTEM = Actor(email=None, name="Signflow")


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
    content = {
        "package_id": package_id,
        "sequence": sequence,
        "action": action,
        "user_email": actor.email,
        "user_name": actor.name,
        "ip_address": actor.ip_address,
        "user_agent": actor.user_agent,
        "details": details,
        "created_at": created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "previous_hash": previous_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    sequence = (last or 0) + 1
    created_at = utcnow()
    details = dict(details or {})
    digest = entry_digest(
        package_id=package_id,
        sequence=sequence,
        action=action,
        actor=actor,
        details=details,
        created_at=created_at,
        previous_hash=package.history_head,
    )
    entry = HistoryEntry(
        package_id=package_id,
        sequence=sequence,
        action=action,
        user_email=actor.email,
        user_name=actor.name,
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
        details=details,
        created_at=created_at,
        previous_hash=package.history_head,
        entry_hash=digest,
    )
    session.add(entry)
    package.history_head = digest
    await session.flush()
    return entry


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    broken_entry_id: int | None = None
    reason: str | None = None


async def verify_chain(session: AsyncSession, package_id: int) -> ChainCheck:
    entries = list(
        await session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.package_id == package_id)
            .order_by(HistoryEntry.sequence)
        )
    )
    previous: str | None = None
    for expected_sequence, entry in enumerate(entries, start=1):
        if entry.sequence != expected_sequence:
            return ChainCheck(False, len(entries), entry.id, "a sequence number is missing")
        if entry.previous_hash != previous:
            return ChainCheck(False, len(entries), entry.id, "previous hash does not match")
        digest = entry_digest(
            package_id=entry.package_id,
            sequence=entry.sequence,
            action=entry.action,
            actor=Actor(entry.user_email, entry.user_name, entry.ip_address, entry.user_agent),
            details=entry.details,
            created_at=entry.created_at,
            previous_hash=entry.previous_hash,
        )
        if digest != entry.entry_hash:
            return ChainCheck(False, len(entries), entry.id, "content does not match its hash")
        previous = entry.entry_hash
    head = await session.scalar(select(Package.history_head).where(Package.id == package_id))
    if head != previous:
        return ChainCheck(False, len(entries), None, "the package's chain head does not match")
    return ChainCheck(True, len(entries))
