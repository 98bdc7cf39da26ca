"""Reading a package's history: every action, who did it, when, from where."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.errors import NotFound
from signflow.models import HistoryEntry, Package
from signflow.packages.access import Need, get_package

LOG_NOT_FOUND = "Log entry not found"


async def list_history(
    session: AsyncSession, principal: Principal, package_id: int
) -> tuple[Package, list[HistoryEntry]]:
    access = await get_package(session, principal, package_id, Need.READ)
    rows = await session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.package_id == access.package.id)
        .order_by(HistoryEntry.sequence)
    )
    return access.package, list(rows)


async def history_entry(
    session: AsyncSession, principal: Principal, package_id: int, log_id: int
) -> HistoryEntry:
    access = await get_package(session, principal, package_id, Need.READ)
    entry = await session.scalar(
        select(HistoryEntry).where(
            HistoryEntry.id == log_id, HistoryEntry.package_id == access.package.id
        )
    )
    if entry is None:
        raise NotFound(LOG_NOT_FOUND, value=str(log_id))
    return entry
