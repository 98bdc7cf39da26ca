"""An enterprise administrator's view of the packages of their enterprise's users
(SigningHub's `enterprise/packages/{pid}` calls): any package of the enterprise, but
only of their own enterprise."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.errors import Forbidden, NotFound
from signflow.models import Package
from signflow.packages.access import DOCUMENT_NOT_FOUND
from signflow.workflow.common import NOT_ALLOWED


async def enterprise_package(
    session: AsyncSession, principal: Principal, package_id: int, *, for_update: bool = False
) -> Package:
    """The package, for its owner or an administrator of its enterprise. Another
    enterprise's package does not exist for the caller."""
    query = select(Package).where(
        Package.id == package_id,
        Package.deleted_at.is_(None),
        Package.enterprise_id == principal.enterprise_id,
    )
    if for_update:
        query = query.with_for_update()
    package = await session.scalar(query)
    if package is None:
        raise NotFound(DOCUMENT_NOT_FOUND)
    # The real admin behind a scope keeps no admin rights: the token acts as the user.
    if package.owner_id != principal.user.id and not (
        principal.actor is None and principal.user.is_admin
    ):
        raise Forbidden(NOT_ALLOWED)
    return package
