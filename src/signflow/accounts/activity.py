"""What a user's account shows about them: their in-app notifications and their activity.

Both are read from what the workflow already records, so nothing is written twice:

- a notification is a package turn that opened for the user's (proven) address: the
  packages that waited, or wait, for them, newest first, with whether they acted;
- the activity log is the history entries the user made themselves (their address is
  the entry's actor), newest first; its details are the entry's details.

Deleted packages vanish from both, as from every read.

A user only ever reads their own: an entry another person made is "not found".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.errors import BadRequest, NotFound
from signflow.models import HistoryEntry, Package, ProcessStatus, Recipient, User
from signflow.packages.access import proven_email

MAX_PER_PAGE = 100
LOG_NOT_FOUND = "Log not found"


def check_page(page_no: int, per_page: int) -> None:
    if page_no < 1:
        raise BadRequest("page_no must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"records_per_page must be between 1 and {MAX_PER_PAGE}")


def _own_address(principal: Principal) -> str:
    # An account that has not proven its address matches nobody's entries.
    return proven_email(principal) or ""


def _reach(principal: Principal) -> list[ColumnElement[bool]]:
    """An admin acting for a member through `scope` sees only their own enterprise's
    packages, as everywhere (`packages/access.py: recipient_email`)."""
    if principal.is_scoped:
        return [Package.enterprise_id == principal.enterprise_id]
    return []


@dataclass(frozen=True)
class Notification:
    recipient: Recipient
    package: Package
    sender_name: str


async def notifications(
    session: AsyncSession, principal: Principal, page_no: int, per_page: int
) -> tuple[list[Notification], int]:
    check_page(page_no, per_page)
    query = (
        select(Recipient, Package, User.name)
        .join(Package, Package.id == Recipient.package_id)
        .join(User, User.id == Package.owner_id)
        .where(
            Recipient.email == _own_address(principal),
            Recipient.turn_started_at.is_not(None),
            Recipient.process_status != ProcessStatus.SKIPPED.value,
            Package.deleted_at.is_(None),
            *_reach(principal),
        )
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(Recipient.turn_started_at.desc(), Recipient.id.desc())
        .limit(per_page)
        .offset((page_no - 1) * per_page)
    )
    found = [Notification(r, p, name) for r, p, name in rows]
    return found, int(total or 0)


@dataclass(frozen=True)
class Activity:
    entry: HistoryEntry
    package_name: str


def _own_entries(principal: Principal) -> Select[HistoryEntry, str]:
    return (
        select(HistoryEntry, Package.name)
        .join(Package, Package.id == HistoryEntry.package_id)
        .where(
            HistoryEntry.user_email == _own_address(principal),
            Package.deleted_at.is_(None),
            *_reach(principal),
        )
    )


async def activity_log(
    session: AsyncSession, principal: Principal, page_no: int, per_page: int
) -> tuple[list[Activity], int]:
    check_page(page_no, per_page)
    query = _own_entries(principal)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(HistoryEntry.created_at.desc(), HistoryEntry.id.desc())
        .limit(per_page)
        .offset((page_no - 1) * per_page)
    )
    return [Activity(entry, name) for entry, name in rows], int(total or 0)


async def activity(session: AsyncSession, principal: Principal, log_id: int) -> Activity:
    row = (await session.execute(_own_entries(principal).where(HistoryEntry.id == log_id))).first()
    if row is None:
        raise NotFound(LOG_NOT_FOUND)
    entry, name = row
    return Activity(entry, name)


def when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
