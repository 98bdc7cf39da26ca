"""A package as the app opens it: for its owner or one of its recipients, else not found.

The core answers a colleague of the same enterprise 403 (`Need.READ`); the app answers
anyone who may not read the package 404, so an id says nothing about what it names.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.errors import Forbidden, NotFound
from signflow.packages.access import Need, PackageAccess, get_package

NOT_FOUND = "viewer.not_found"


async def readable_package(
    session: AsyncSession, principal: Principal, package_id: int, need: Need = Need.READ
) -> PackageAccess:
    try:
        return await get_package(session, principal, package_id, need)
    except (Forbidden, NotFound) as exc:
        raise NotFound(NOT_FOUND) from exc
