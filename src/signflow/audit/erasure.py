"""Erasing a person's personal data from an enterprise's history, chain kept verifiable.

Every personal value in a row the person is in (the actor columns when they acted, the
personal keys of `details` entries that name them) is replaced by `erased:<digest>`,
where the digest is the keyed digest (audit.personal) a version 2 link already covers:
each link still matches. Rows written before keyed links (version 1) covered the
values themselves; for those the erasure entry records a keyed seal of each erased
row (with its original link), which `audit verify` checks instead. Each package
touched gets a PERSONAL_DATA_ERASED entry saying how many values went, never which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.history import (
    ERASURE_ACTION,
    LEGACY_CHAIN,
    Actor,
    chain_entries,
    keys_for,
    legacy_erasure_seal,
    record,
    verify_chain,
)
from signflow.audit.personal import PERSONAL_COLUMNS, erase_in_details, erased, is_erased
from signflow.errors import BadRequest
from signflow.models import HistoryEntry, Package

MAX_EMAIL_LENGTH = 320


@dataclass
class ErasureResult:
    packages: list[int] = field(default_factory=list)
    values: int = 0
    refused: dict[int, str] = field(default_factory=dict)
    """Packages left untouched because their chain was already broken, with the reason."""
    remaining: list[int] = field(default_factory=list)
    """Entries still mentioning the address in text the chain covers as is (e.g. a
    document name); erasing it there would break the chain."""


def _mentions(entry: HistoryEntry, wanted: str) -> bool:
    text = json.dumps(
        [getattr(entry, column) for column in PERSONAL_COLUMNS] + [entry.details], default=str
    )
    return wanted in text.casefold()


def _erase_entry(key: bytes, entry: HistoryEntry, email: str) -> int:
    count = 0
    actor_is_person = (entry.user_email or "").casefold() == email.casefold()
    if actor_is_person:
        for column in PERSONAL_COLUMNS:
            value = getattr(entry, column)
            if isinstance(value, str) and not is_erased(value):
                setattr(entry, column, erased(key, value))
                count += 1
    details, in_details = erase_in_details(
        key, entry.details, email, actor_is_person=actor_is_person
    )
    if in_details:
        entry.details = details  # type: ignore[assignment]
    return count + in_details


async def erase_person(
    session: AsyncSession, enterprise_id: int, email: str, actor: Actor
) -> ErasureResult:
    email = email.strip()
    if not email or len(email) > MAX_EMAIL_LENGTH or "@" not in email:
        raise BadRequest("Give the e-mail address of the person whose data is to be erased")
    wanted = email.casefold()
    keys = keys_for(session, enterprise_id)
    package_ids = list(
        await session.scalars(
            select(HistoryEntry.package_id)
            .join(Package, Package.id == HistoryEntry.package_id)
            .where(
                Package.enterprise_id == enterprise_id,
                or_(
                    func.lower(HistoryEntry.user_email) == wanted,
                    func.lower(cast(HistoryEntry.details, Text)).contains(wanted, autoescape=True),
                ),
            )
            .distinct()
            .order_by(HistoryEntry.package_id)
        )
    )
    result = ErasureResult()
    for package_id in package_ids:
        await session.scalar(select(Package.id).where(Package.id == package_id).with_for_update())
        check = await verify_chain(session, package_id)
        if not check.ok:
            result.refused[package_id] = check.reason or "the chain is broken"
            continue
        values = 0
        legacy_seals: dict[str, str] = {}
        for entry in await chain_entries(session, package_id):
            changed = _erase_entry(keys.personal, entry, email)
            values += changed
            if changed and entry.chain_version == LEGACY_CHAIN:
                legacy_seals[str(entry.sequence)] = legacy_erasure_seal(keys, entry)
            if _mentions(entry, wanted):
                result.remaining.append(entry.id)
        if not values:
            continue
        await session.flush()
        details: dict[str, object] = {"values_erased": values}
        if legacy_seals:
            details["legacy_seals"] = legacy_seals
        await record(session, package_id, ERASURE_ACTION, actor, details)
        result.packages.append(package_id)
        result.values += values
    return result
