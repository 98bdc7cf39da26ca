"""A user's own folders (SigningHub's custom folders): `PUT packages/{pid}/move_to` files
a package the user can see into a folder of theirs, or back to their INBOX. A folder
exists while something is filed in it; each user's folders are theirs alone (moving a
package files it for the caller, not for the other people in its workflow).

ARCHIVE is kept by the server (completed packages go there after the archive period)
and shared spaces are not offered here: moving to either is refused.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.errors import BadRequest
from signflow.models import PackageFiling
from signflow.packages.access import Need, get_package

INBOX = "INBOX"
ARCHIVE = "ARCHIVE"
MAX_FOLDER_NAME = 100
ARCHIVE_IS_AUTOMATIC = (
    "The ARCHIVE folder is kept by the server: completed packages move there after the "
    "archive period"
)


def folder_name(value: str) -> str:
    """A folder's name as given, checked; INBOX and ARCHIVE in capitals."""
    name = " ".join(value.split())
    if not name:
        raise BadRequest("folder cannot be empty")
    if len(name) > MAX_FOLDER_NAME or not name.isprintable():
        raise BadRequest(f"folder must be printable text of at most {MAX_FOLDER_NAME} characters")
    return name.upper() if name.upper() in (INBOX, ARCHIVE) else name


async def move_to_folder(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int, folder: str
) -> str:
    """File the package (which the caller can see) in their folder; the folder's name."""
    access = await get_package(session, principal, package_id, Need.READ)
    name = folder_name(folder)
    if name == ARCHIVE:
        raise BadRequest(ARCHIVE_IS_AUTOMATIC)
    user_id = principal.user.id
    filing = await session.scalar(
        select(PackageFiling).where(
            PackageFiling.user_id == user_id, PackageFiling.package_id == access.package.id
        )
    )
    previous = filing.folder if filing is not None else INBOX
    if name == previous:
        return name
    if filing is not None and name == INBOX:
        await session.delete(filing)
    elif filing is None:
        session.add(
            PackageFiling(
                enterprise_id=access.package.enterprise_id,
                user_id=user_id,
                package_id=access.package.id,
                folder=name,
            )
        )
    else:
        filing.folder = name
    await record(session, access.package.id, "PACKAGE_MOVED", actor, {"from": previous, "to": name})
    return name


async def has_folder(session: AsyncSession, user_id: int, name: str) -> bool:
    found = await session.scalar(
        select(PackageFiling.id)
        .where(PackageFiling.user_id == user_id, PackageFiling.folder == name)
        .limit(1)
    )
    return found is not None


async def filed_folders(
    session: AsyncSession, user_id: int, package_ids: list[int]
) -> dict[int, str]:
    """The folder each of these packages is filed in by the user (absent: not filed)."""
    if not package_ids:
        return {}
    rows = await session.execute(
        select(PackageFiling.package_id, PackageFiling.folder).where(
            PackageFiling.user_id == user_id, PackageFiling.package_id.in_(package_ids)
        )
    )
    return {row[0]: row[1] for row in rows}
