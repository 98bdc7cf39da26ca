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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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


class Linked(Protocol):
    """What a keyed link covers: a `HistoryEntry`, or an entry about to be written."""

    @property
    def package_id(self) -> int: ...
    @property
    def sequence(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def user_email(self) -> str | None: ...
    @property
    def user_name(self) -> str | None: ...
    @property
    def ip_address(self) -> str | None: ...
    @property
    def user_agent(self) -> str | None: ...
    @property
    def details(self) -> dict[str, object]: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def previous_hash(self) -> str | None: ...


@dataclass(frozen=True)
class _NewEntry:
    package_id: int
    sequence: int
    action: str
    user_email: str | None
    user_name: str | None
    ip_address: str | None
    user_agent: str | None
    details: dict[str, object]
    created_at: dt.datetime
    previous_hash: str | None


def _keyed_content(keys: HistoryKeys, entry: Linked) -> dict[str, object]:
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


def keyed_link(keys: HistoryKeys, entry: Linked) -> str:
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


@dataclass(frozen=True)
class Appended:
    """The entry `record` wrote: its place in the chain and its link."""

    package_id: int
    sequence: int
    entry_hash: str


@dataclass
class _Tail:
    """What this transaction knows of a package's chain while it holds the package's lock:
    its enterprise, and once read or written here, its length and head."""

    enterprise_id: int | None = None
    sequence: int | None = None
    head: str | None = None


_TAILS = "signflow.history.tails"


def _tails(session: AsyncSession) -> dict[int, _Tail]:
    """The chains' tails known to the innermost transaction now under way. A savepoint
    begun or ended since they were noted makes them unknown again (a lock or an entry of
    a rolled-back savepoint is gone), as does the end of the transaction."""
    sync = session.sync_session
    current = sync.get_nested_transaction() or sync.get_transaction()
    held: tuple[object, dict[int, _Tail]] | None = sync.info.get(_TAILS)
    if held is None or held[0] is not current:
        held = (current, {})
        sync.info[_TAILS] = held
    return held[1]


def note_package_locked(session: AsyncSession, package_id: int) -> None:
    """The caller holds the package row's lock (SELECT ... FOR UPDATE) in this transaction:
    `record` may then read the chain's tail in the statement that takes its lock."""
    _tails(session).setdefault(package_id, _Tail())


_HISTORY = cast(Table, HistoryEntry.__table__)
_PACKAGES = cast(Table, Package.__table__)
_LENGTH = (
    select(func.max(_HISTORY.c.sequence))
    .where(_HISTORY.c.package_id == _PACKAGES.c.id)
    .scalar_subquery()
)
# The tail with the lock: one statement, when the lock is held already (or on SQLite,
# whose transaction reads one snapshot). On PostgreSQL a SELECT that waits for the lock
# reads the rest of its row's subqueries in the snapshot it took before waiting, so a
# lock not held yet is taken first and the length read after (two statements).
_LOCK_WITH_TAIL = (
    select(_PACKAGES.c.enterprise_id, _PACKAGES.c.history_head, _LENGTH)
    .where(_PACKAGES.c.id == bindparam("package_id"))
    .with_for_update(of=_PACKAGES)
)
_LOCK = (
    select(_PACKAGES.c.enterprise_id, _PACKAGES.c.history_head)
    .where(_PACKAGES.c.id == bindparam("package_id"))
    .with_for_update(of=_PACKAGES)
)
_CHAIN_LENGTH = select(func.max(_HISTORY.c.sequence)).where(
    _HISTORY.c.package_id == bindparam("package_id")
)
_APPEND = insert(_HISTORY)
_MOVE_HEAD = (
    update(_PACKAGES)
    .where(_PACKAGES.c.id == bindparam("package_id"))
    .values(
        history_head=bindparam("head"),
        history_head_mac=bindparam("head_mac"),
        modified_at=bindparam("now"),
    )
)


async def _locked_tail(session: AsyncSession, package_id: int) -> _Tail:
    tails = _tails(session)
    tail = tails.get(package_id)
    if tail is not None and tail.sequence is not None:
        return tail
    params = {"package_id": package_id}
    if tail is not None or session.get_bind().dialect.name != "postgresql":
        with_tail = (await session.execute(_LOCK_WITH_TAIL, params)).first()
        if with_tail is None:
            raise LookupError(f"package {package_id} does not exist")
        enterprise_id, head, length = with_tail
    else:
        locked = (await session.execute(_LOCK, params)).first()
        if locked is None:
            raise LookupError(f"package {package_id} does not exist")
        enterprise_id, head = locked
        length = await session.scalar(_CHAIN_LENGTH, params)
    tail = tails[package_id] = _Tail(enterprise_id, length or 0, head)
    return tail


@dataclass(frozen=True)
class Event:
    """One entry to append: what was done, by whom, and its details."""

    action: str
    actor: Actor
    details: dict[str, object] | None = None


async def record(
    session: AsyncSession,
    package_id: int,
    action: str,
    actor: Actor,
    details: dict[str, object] | None = None,
) -> Appended:
    """Append one entry; the package row is locked so appends to one chain queue up."""
    return (await record_each(session, package_id, (Event(action, actor, details),)))[0]


async def record_each(
    session: AsyncSession, package_id: int, events: Sequence[Event]
) -> list[Appended]:
    """Append entries one after the other, as that many `record` calls would.

    Written as two statements (the entries, the package's head and its seal), after at
    most one that takes the lock and reads the chain's tail: the tail is kept for the rest
    of the transaction, so a later entry in it reads nothing. A `Package` this session has
    loaded is given the new head as the database holds it."""
    if session.new or session.dirty or session.deleted:
        # What the caller changed through the ORM is written first, as before.
        await session.flush()
    tail = await _locked_tail(session, package_id)
    assert tail.enterprise_id is not None and tail.sequence is not None
    keys = keys_for(session, tail.enterprise_id)
    rows: list[dict[str, object]] = []
    appended: list[Appended] = []
    sequence, head = tail.sequence, tail.head
    for event in events:
        actor = event.actor
        entry = _NewEntry(
            package_id=package_id,
            sequence=sequence + 1,
            action=event.action,
            user_email=actor.email,
            user_name=actor.name,
            ip_address=actor.ip_address,
            user_agent=actor.user_agent,
            details=dict(event.details or {}),
            created_at=utcnow(),
            previous_hash=head,
        )
        sequence, head = entry.sequence, keyed_link(keys, entry)
        rows.append(
            {
                "package_id": package_id,
                "sequence": sequence,
                "chain_version": KEYED_CHAIN,
                "action": entry.action,
                "user_email": entry.user_email,
                "user_name": entry.user_name,
                "ip_address": entry.ip_address,
                "user_agent": entry.user_agent,
                "details": entry.details,
                "created_at": entry.created_at,
                "previous_hash": entry.previous_hash,
                "entry_hash": head,
            }
        )
        appended.append(Appended(package_id, sequence, head))
    if not rows:
        return appended
    seal = head_seal(keys, package_id, sequence, head)
    now = utcnow()
    await session.execute(_APPEND, rows)
    await session.execute(
        _MOVE_HEAD, {"package_id": package_id, "head": head, "head_mac": seal, "now": now}
    )
    tail.sequence, tail.head = sequence, head
    loaded = session.sync_session.identity_map.get(identity_key(Package, package_id))
    if loaded is not None:
        set_committed_value(loaded, "history_head", head)
        set_committed_value(loaded, "history_head_mac", seal)
        set_committed_value(loaded, "modified_at", now)
    return appended


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
