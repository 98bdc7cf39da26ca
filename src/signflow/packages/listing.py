"""The package list: what a user owns, and what was sent to them, newest first.

Owned and received packages are two index-ordered queries joined with UNION ALL
(a package is never both: the received side excludes the caller's own), and the
database pages through their merge, so no more rows than the page needs leave it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.db import utcnow
from signflow.errors import BadRequest
from signflow.models import (
    Package,
    PackageFiling,
    ProcessStatus,
    Recipient,
    RecipientMember,
    User,
    WorkflowStatus,
)
from signflow.models.package import PackageCount
from signflow.packages.access import proven_email, recipient_email
from signflow.packages.folders import filed_folders

MAX_RECORDS_PER_PAGE = 100


class StatusFilter(StrEnum):
    ALL = "ALL"
    DRAFT = "DRAFT"
    PENDING = "PENDING"
    SIGNED = "SIGNED"
    DECLINED = "DECLINED"
    INPROGRESS = "INPROGRESS"
    EDITED = "EDITED"
    REVIEWED = "REVIEWED"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"


class Folder(StrEnum):
    INBOX = "INBOX"
    ARCHIVE = "ARCHIVE"


OWNER_VIEW = {
    WorkflowStatus.DRAFT.value: "DRAFT",
    WorkflowStatus.SHARED.value: "INPROGRESS",
    WorkflowStatus.COMPLETED.value: "COMPLETED",
    WorkflowStatus.DECLINED.value: "DECLINED",
    WorkflowStatus.EXPIRED.value: "EXPIRED",
}

RECIPIENT_VIEW = {
    ProcessStatus.IN_PROGRESS.value: "PENDING",
    ProcessStatus.BLOCKED.value: "PENDING",
    ProcessStatus.SIGNED.value: "SIGNED",
    ProcessStatus.REVIEWED.value: "REVIEWED",
    ProcessStatus.EDITED.value: "EDITED",
    ProcessStatus.DECLINED.value: "DECLINED",
}

_OWNED_STATUSES: dict[StatusFilter, tuple[str, ...]] = {
    StatusFilter.DRAFT: (WorkflowStatus.DRAFT.value,),
    StatusFilter.INPROGRESS: (WorkflowStatus.SHARED.value,),
    StatusFilter.COMPLETED: (WorkflowStatus.COMPLETED.value,),
    StatusFilter.DECLINED: (WorkflowStatus.DECLINED.value,),
    StatusFilter.EXPIRED: (WorkflowStatus.EXPIRED.value,),
}

_RECEIVED_PROCESS_STATUSES: dict[StatusFilter, tuple[str, ...]] = {
    StatusFilter.PENDING: (ProcessStatus.IN_PROGRESS.value, ProcessStatus.BLOCKED.value),
    StatusFilter.SIGNED: (ProcessStatus.SIGNED.value,),
    StatusFilter.REVIEWED: (ProcessStatus.REVIEWED.value,),
    StatusFilter.EDITED: (ProcessStatus.EDITED.value,),
    StatusFilter.DECLINED: (ProcessStatus.DECLINED.value,),
}


class SortKey(StrEnum):
    NEWEST = "NEWEST"  # the default: newest first, read from the index
    NAME = "NAME"
    UPLOADED_ON = "UPLOADED_ON"
    MODIFIED_ON = "MODIFIED_ON"


@dataclass(frozen=True)
class ListQuery:
    status: StatusFilter
    page_no: int
    per_page: int
    folder: Folder = Folder.INBOX
    # One of the caller's own folders (packages/folders.py): only what they filed there.
    custom_folder: str | None = None
    search: str | None = None
    sort: SortKey = SortKey.NEWEST
    descending: bool = True
    # Only packages created (uploaded) in this period, bounds included.
    uploaded_from: dt.datetime | None = None
    uploaded_to: dt.datetime | None = None

    @property
    def filtered(self) -> bool:
        """Anything that narrows the list beyond status and folder: counted in full."""
        return bool(self.search) or self.uploaded_from is not None or self.uploaded_to is not None

    def __post_init__(self) -> None:
        if self.page_no < 1:
            raise BadRequest("page_no must be 1 or more")
        if not 1 <= self.per_page <= MAX_RECORDS_PER_PAGE:
            raise BadRequest(f"records_per_page must be between 1 and {MAX_RECORDS_PER_PAGE}")


@dataclass(frozen=True)
class ListedPackage:
    package: Package
    owner: User
    status: str
    folder: str
    unread: bool
    current_recipients: tuple[Recipient, ...]


async def list_packages(
    session: AsyncSession, principal: Principal, query: ListQuery, archive_after_days: int
) -> tuple[list[ListedPackage], int]:
    archive_before = utcnow() - dt.timedelta(days=archive_after_days)
    common = _common_conditions(query, archive_before)
    filed = select(PackageFiling.package_id).where(PackageFiling.user_id == principal.user.id)
    # The per-owner counts know nothing of folders: with any filing, count in full.
    count_in_full = query.filtered
    if query.custom_folder is not None:
        common.append(Package.id.in_(filed.where(PackageFiling.folder == query.custom_folder)))
        count_in_full = True
    elif await session.scalar(filed.limit(1)) is not None:
        common.append(Package.id.not_in(filed))  # filed away: out of INBOX and ARCHIVE
        count_in_full = True
    owned = _owned(principal, query).where(*common)
    received = _received(principal, query).where(*common)
    total = await _total(
        session, principal, query, archive_before, owned, received, count_in_full=count_in_full
    )
    # Each side stops after the rows up to the end of the page (newest first, walking its
    # index backwards), so only ids leave the index and the page's rows are loaded after.
    end = query.page_no * query.per_page
    if query.sort is SortKey.NEWEST:
        both = union_all(
            select(owned.order_by(Package.id.desc()).limit(end).subquery()),
            select(received.order_by(Package.id.desc()).limit(end).subquery()),
        ).subquery()
        page = select(both.c.id).order_by(both.c.id.desc())
    else:
        key = _SORT_COLUMNS[query.sort]
        direction = key.desc() if query.descending else key.asc()
        both = union_all(
            *(
                select(
                    side.add_columns(key.label("sort_key"))
                    .order_by(direction, Package.id.desc())
                    .limit(end)
                    .subquery()
                )
                for side in (owned, received)
            )
        ).subquery()
        outer = both.c.sort_key.desc() if query.descending else both.c.sort_key.asc()
        page = select(both.c.id).order_by(outer, both.c.id.desc())
    page_ids = list(
        await session.scalars(
            page.limit(query.per_page).offset((query.page_no - 1) * query.per_page)
        )
    )
    return await _load(session, principal, page_ids, archive_before), total


async def _total(
    session: AsyncSession,
    principal: Principal,
    query: ListQuery,
    archive_before: dt.datetime,
    owned: Select[int],
    received: Select[int],
    *,
    count_in_full: bool,
) -> int:
    """x-total-records, exact. What was received is counted (it grows with what a user
    was sent). What they own is read from `package_counts` (kept by triggers), corrected
    for the completed packages on the other side of the archive line.
    A search, a date filter or the caller's folders count both sides."""
    received_count = select(func.count()).select_from(received.subquery()).scalar_subquery()
    if count_in_full:
        owned_count = select(func.count()).select_from(owned.subquery()).scalar_subquery()
        return int(await session.scalar(select(owned_count + received_count)) or 0)
    statuses = None if query.status is StatusFilter.ALL else _OWNED_STATUSES.get(query.status, ())
    with_completed = statuses is None or WorkflowStatus.COMPLETED.value in statuses
    recent_probe = _completed_count(principal, archive_before, recent=True, limit=BOUNDED_COUNT)
    archived_probe = _completed_count(principal, archive_before, recent=False, limit=BOUNDED_COUNT)
    row = (
        await session.execute(
            select(
                received_count,
                recent_probe if with_completed else literal(0),
                archived_probe if with_completed else literal(0),
            )
        )
    ).one()
    received_total, recent, archived = int(row[0]), int(row[1]), int(row[2])
    counts = await session.scalar(
        select(PackageCount).where(PackageCount.owner_id == principal.user.id)
    )
    if counts is None:
        return received_total
    if with_completed:
        # Completed packages split at the archive line: few recent ones for a long-lived
        # account, few archived ones for a new one. Each side was counted up to
        # BOUNDED_COUNT on a partial index; the one under it is exact and the other is
        # the owner's completed count less it, so the count costs the smaller side.
        if recent < BOUNDED_COUNT:
            archived = counts.n_completed - recent
        elif archived >= BOUNDED_COUNT:  # both sides large: count one in full
            archived = int(
                await session.scalar(
                    select(_completed_count(principal, archive_before, recent=False, limit=None))
                )
                or 0
            )
    else:
        archived = 0
    if query.folder is Folder.ARCHIVE:
        return received_total + archived
    return received_total + counts.of(statuses) - archived


# How far the total counts completed packages on either side of the archive line.
BOUNDED_COUNT = 10_000


def _completed_count(
    principal: Principal, archive_before: dt.datetime, *, recent: bool, limit: int | None
) -> ScalarSelect[int]:
    """The owner's live completed packages on one side of the archive line (up to limit),
    read from the partial index ix_packages_owner_completed."""
    side = (
        or_(Package.completed_at.is_(None), Package.completed_at >= archive_before)
        if recent
        else Package.completed_at < archive_before
    )
    rows = select(literal(1)).where(
        Package.owner_id == principal.user.id,
        Package.status == WorkflowStatus.COMPLETED.value,
        Package.deleted_at.is_(None),
        side,
    )
    if limit is not None:
        rows = rows.limit(limit)
    return select(func.count()).select_from(rows.subquery()).scalar_subquery()


def _common_conditions(query: ListQuery, archive_before: dt.datetime) -> list[ColumnElement[bool]]:
    archived = and_(
        Package.status == WorkflowStatus.COMPLETED.value,
        Package.completed_at.is_not(None),
        Package.completed_at < archive_before,
    )
    conditions: list[ColumnElement[bool]] = [Package.deleted_at.is_(None)]
    if query.custom_folder is None:  # a folder of the user's own holds whatever they filed
        conditions.append(archived if query.folder is Folder.ARCHIVE else not_(archived))
    if query.search:
        conditions.append(func.lower(Package.name).contains(query.search.lower(), autoescape=True))
    if query.uploaded_from is not None:
        conditions.append(Package.created_at >= query.uploaded_from)
    if query.uploaded_to is not None:
        conditions.append(Package.created_at <= query.uploaded_to)
    return conditions


_SORT_COLUMNS: dict[SortKey, ColumnElement[Any]] = {
    SortKey.NAME: func.lower(Package.name),
    SortKey.UPLOADED_ON: Package.created_at.expression,
    SortKey.MODIFIED_ON: Package.modified_at.expression,
}


def _owned(principal: Principal, query: ListQuery) -> Select[int]:
    statement = select(Package.id).where(Package.owner_id == principal.user.id)
    if query.status is StatusFilter.ALL:
        return statement
    statuses = _OWNED_STATUSES.get(query.status)
    return statement.where(Package.status.in_(statuses) if statuses else false())


def _received(principal: Principal, query: ListQuery) -> Select[int]:
    """What was sent to the caller: packages where they are a recipient, or a live member
    of a group recipient whose turn no member took yet (`access.visible_recipients`).
    One statement: the two ways in are each read from an index (ix_recipients_inbox,
    ix_recipient_members_email) and meet in a semi-join, so a package is listed once."""
    # The same rule as `access.recipient_email`, as SQL over every enterprise.
    email = proven_email(principal)
    if email is None:
        return select(Package.id).where(false())
    if query.status is StatusFilter.COMPLETED:
        process_statuses: tuple[str, ...] | None = None
        package_condition: ColumnElement[bool] | None = (
            Package.status == WorkflowStatus.COMPLETED.value
        )
    elif query.status is StatusFilter.ALL:
        process_statuses, package_condition = None, None
    else:
        process_statuses = _RECEIVED_PROCESS_STATUSES.get(query.status) or ()
        package_condition = None
        if not process_statuses:
            return select(Package.id).where(false())
    reached = [
        Recipient.turn_started_at.is_not(None),
        Recipient.process_status != ProcessStatus.SKIPPED.value,
    ]
    if process_statuses is not None:
        reached.append(Recipient.process_status.in_(process_statuses))
    as_recipient = select(Recipient.package_id).where(Recipient.email == email, *reached)
    as_member = (
        select(Recipient.package_id)
        .join(RecipientMember, RecipientMember.recipient_id == Recipient.id)
        .where(
            RecipientMember.email == email,
            RecipientMember.withdrawn_at.is_(None),
            Recipient.email == "",
            Recipient.group_name.is_not(None),
            *reached,
        )
    )
    statement = select(Package.id).where(
        Package.id.in_(union_all(as_recipient, as_member)),
        Package.owner_id != principal.user.id,
    )
    if principal.is_scoped:
        statement = statement.where(Package.enterprise_id == principal.enterprise_id)
    if package_condition is not None:
        statement = statement.where(package_condition)
    return statement


async def _load(
    session: AsyncSession,
    principal: Principal,
    ids: Sequence[int],
    archive_before: dt.datetime,
) -> list[ListedPackage]:
    if not ids:
        return []
    packages = {p.id: p for p in await session.scalars(select(Package).where(Package.id.in_(ids)))}
    owner_ids = {p.owner_id for p in packages.values()}
    owners = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(owner_ids)))}
    filed = await filed_folders(session, principal.user.id, list(ids))
    recipients = list(
        await session.scalars(
            select(Recipient)
            .where(Recipient.package_id.in_(ids))
            .order_by(Recipient.package_id, Recipient.position)
        )
    )
    member_of = await _live_memberships(session, principal, recipients)
    listed = []
    for package_id in ids:
        package = packages[package_id]
        own = package.owner_id == principal.user.id
        email = recipient_email(principal, package.enterprise_id)
        mine = [
            r
            for r in recipients
            if r.package_id == package_id
            and email is not None
            and (r.email == email or (r.is_untaken_group and r.id in member_of))
        ]
        current = tuple(
            r
            for r in recipients
            if r.package_id == package_id and r.process_status == ProcessStatus.IN_PROGRESS.value
        )
        archived = (
            package.status == WorkflowStatus.COMPLETED.value
            and package.completed_at is not None
            and package.completed_at < archive_before
        )
        listed.append(
            ListedPackage(
                package=package,
                owner=owners[package.owner_id],
                status=view_status(package, own, mine),
                folder=filed.get(package_id)
                or (Folder.ARCHIVE if archived else Folder.INBOX).value,
                unread=not own and any(r.read_at is None for r in mine),
                current_recipients=current,
            )
        )
    return listed


async def _live_memberships(
    session: AsyncSession, principal: Principal, recipients: Sequence[Recipient]
) -> set[int]:
    """The untaken group recipients of the page whose live members include the caller."""
    email = proven_email(principal)
    groups = [r.id for r in recipients if r.is_untaken_group]
    if email is None or not groups:
        return set()
    return set(
        await session.scalars(
            select(RecipientMember.recipient_id).where(
                RecipientMember.recipient_id.in_(groups),
                RecipientMember.email == email,
                RecipientMember.withdrawn_at.is_(None),
            )
        )
    )


def view_status(package: Package, own: bool, mine: list[Recipient]) -> str:
    """The package's status as the list shows it to its owner, or to a recipient."""
    if own or not mine:
        return OWNER_VIEW.get(package.status, package.status)
    for recipient in mine:
        view = RECIPIENT_VIEW.get(recipient.process_status)
        if view is not None:
            return view
    return OWNER_VIEW.get(package.status, package.status)
