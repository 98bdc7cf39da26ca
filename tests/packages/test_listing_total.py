"""The package list's total comes from trigger-kept counts; it must equal a plain count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from signflow.accounts.principal import Principal
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Enterprise, Package, User, WorkflowStatus
from signflow.packages import listing
from signflow.packages.listing import Folder, ListQuery, StatusFilter, list_packages
from tests.factories import make_tenant

ARCHIVE_AFTER_DAYS = 30


async def _exact(context: AppContext, owner_id: int, query: ListQuery) -> int:
    """The total counted row by row, as the list used to."""
    cutoff = utcnow() - dt.timedelta(days=ARCHIVE_AFTER_DAYS)
    archived = (
        (Package.status == "COMPLETED")
        & Package.completed_at.is_not(None)
        & (Package.completed_at < cutoff)
    )
    conditions: list[Any] = [
        Package.owner_id == owner_id,
        Package.deleted_at.is_(None),
        archived if query.folder is Folder.ARCHIVE else ~archived,
    ]
    if query.status is not StatusFilter.ALL:
        status = {"INPROGRESS": "SHARED"}.get(query.status.value, query.status.value)
        conditions.append(Package.status == status)
    async with context.sessions() as session:
        return int(await session.scalar(select(func.count()).where(*conditions)) or 0)


async def _listed_total(context: AppContext, user: User, query: ListQuery) -> int:
    async with transaction(context.sessions) as session:
        enterprise = await session.get_one(Enterprise, user.enterprise_id)
        principal = Principal(user=user, enterprise=enterprise, grant_id=0)
        _, total = await list_packages(session, principal, query, ARCHIVE_AFTER_DAYS)
    return total


QUERIES = [
    ListQuery(status, 1, 20, folder)
    for status in (
        StatusFilter.ALL,
        StatusFilter.DRAFT,
        StatusFilter.INPROGRESS,
        StatusFilter.COMPLETED,
        StatusFilter.DECLINED,
    )
    for folder in (Folder.INBOX, Folder.ARCHIVE)
]


async def _check(context: AppContext, users: list[User]) -> None:
    for user in users:
        for query in QUERIES:
            assert await _listed_total(context, user, query) == await _exact(
                context, user.id, query
            ), (user.email, query)


@pytest.mark.parametrize("bound", [10_000, 1, 0])
async def test_total_follows_every_change_to_packages(
    context: AppContext, bound: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bound: how far each side of the archive line is counted before the other is used
    monkeypatch.setattr(listing, "BOUNDED_COUNT", bound)
    tenant = await make_tenant(context, "Counts")
    async with context.sessions() as session:
        users = list(
            await session.scalars(
                select(User).where(User.email.in_([tenant.admin_email, tenant.user_email]))
            )
        )
    alice, bob = users
    now = utcnow()
    old = now - dt.timedelta(days=ARCHIVE_AFTER_DAYS + 5)
    async with transaction(context.sessions) as session:
        for n in range(12):
            session.add(
                Package(
                    enterprise_id=tenant.enterprise_id,
                    owner_id=alice.id,
                    name=f"P{n}",
                    status=["DRAFT", "SHARED", "COMPLETED", "DECLINED"][n % 4],
                    completed_at=(old if n % 8 == 2 else now) if n % 4 == 2 else None,
                )
            )
    await _check(context, users)
    async with transaction(context.sessions) as session:
        ids = list(await session.scalars(select(Package.id).order_by(Package.id)))
        # a status change, a completion long ago, a soft delete, a change of owner
        await session.execute(
            update(Package).where(Package.id == ids[0]).values(status=WorkflowStatus.SHARED)
        )
        await session.execute(
            update(Package)
            .where(Package.id == ids[1])
            .values(status=WorkflowStatus.COMPLETED, completed_at=old)
        )
        await session.execute(update(Package).where(Package.id == ids[3]).values(deleted_at=now))
        await session.execute(update(Package).where(Package.id == ids[4]).values(owner_id=bob.id))
        # an update that changes nothing counted
        await session.execute(update(Package).where(Package.id == ids[5]).values(name="Renamed"))
    await _check(context, users)
    async with transaction(context.sessions) as session:
        await session.execute(delete(Package).where(Package.id.in_([ids[2], ids[4]])))
        await session.execute(update(Package).where(Package.id == ids[3]).values(deleted_at=None))
    await _check(context, users)
