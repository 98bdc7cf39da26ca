"""The documents home's folders, as SigningHub's web app names them, over the core's list.

Each folder is a `ListQuery` of `packages.listing.list_packages`, the query behind the
API's `GET /packages/{status}/{page_no}/{records_per_page}` (with `x-folder`), so the
home page lists and counts exactly what the API answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.packages.listing import (
    Folder,
    ListedPackage,
    ListQuery,
    StatusFilter,
    list_packages,
)

PER_PAGE = 20
# "Waiting for me" shows at most this many, above the folder's list.
WAITING_SHOWN = 5
MAX_SEARCH_CHARS = 200


class HomeFolder(StrEnum):
    INBOX = "inbox"
    DRAFTS = "drafts"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    DECLINED = "declined"
    EXPIRED = "expired"
    ARCHIVE = "archive"


# (status filter, x-folder) for each folder, as a SigningHub client asks the API.
FOLDER_QUERIES: dict[HomeFolder, tuple[StatusFilter, Folder]] = {
    HomeFolder.INBOX: (StatusFilter.ALL, Folder.INBOX),
    HomeFolder.DRAFTS: (StatusFilter.DRAFT, Folder.INBOX),
    HomeFolder.IN_PROGRESS: (StatusFilter.INPROGRESS, Folder.INBOX),
    HomeFolder.COMPLETED: (StatusFilter.COMPLETED, Folder.INBOX),
    HomeFolder.DECLINED: (StatusFilter.DECLINED, Folder.INBOX),
    HomeFolder.EXPIRED: (StatusFilter.EXPIRED, Folder.INBOX),
    HomeFolder.ARCHIVE: (StatusFilter.ALL, Folder.ARCHIVE),
}


@dataclass(frozen=True)
class FolderCount:
    folder: HomeFolder
    total: int


@dataclass(frozen=True)
class FolderPage:
    folder: HomeFolder
    search: str | None
    page_no: int
    items: list[ListedPackage]
    total: int
    waiting: list[ListedPackage]
    waiting_total: int
    counts: list[FolderCount]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def folder_query(
    folder: HomeFolder, page_no: int, search: str | None, per_page: int = PER_PAGE
) -> ListQuery:
    status, where = FOLDER_QUERIES[folder]
    return ListQuery(
        status=status, page_no=page_no, per_page=per_page, folder=where, search=search or None
    )


async def folder_page(
    session: AsyncSession,
    principal: Principal,
    folder: HomeFolder,
    page_no: int,
    search: str | None,
    archive_after_days: int,
) -> FolderPage:
    items, total = await list_packages(
        session, principal, folder_query(folder, page_no, search), archive_after_days
    )
    waiting_query = ListQuery(
        status=StatusFilter.PENDING, page_no=1, per_page=WAITING_SHOWN, search=search or None
    )
    waiting, waiting_total = await list_packages(
        session, principal, waiting_query, archive_after_days
    )
    counts = []
    for each in HomeFolder:
        _, count = await list_packages(
            session, principal, folder_query(each, 1, search, per_page=1), archive_after_days
        )
        counts.append(FolderCount(each, count))
    return FolderPage(folder, search, page_no, items, total, waiting, waiting_total, counts)
