"""Reading a package's history: every action, who did it, when, from where."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.errors import BadRequest, NotFound
from signflow.models import HistoryEntry, Package
from signflow.packages.access import Need, get_package

LOG_NOT_FOUND = "Log entry not found"


MAX_PER_PAGE = 100


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


async def history_page(
    session: AsyncSession, principal: Principal, package_id: int, page_no: int, per_page: int
) -> tuple[Package, list[HistoryEntry], int]:
    """One page of the history, oldest first, with the total number of entries."""
    if page_no < 1:
        raise BadRequest("page_no must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"records_per_page must be between 1 and {MAX_PER_PAGE}")
    access = await get_package(session, principal, package_id, Need.READ)
    of_package = HistoryEntry.package_id == access.package.id
    total = await session.scalar(select(func.count()).select_from(HistoryEntry).where(of_package))
    rows = await session.scalars(
        select(HistoryEntry)
        .where(of_package)
        .order_by(HistoryEntry.sequence)
        .limit(per_page)
        .offset((page_no - 1) * per_page)
    )
    return access.package, list(rows), int(total or 0)


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
