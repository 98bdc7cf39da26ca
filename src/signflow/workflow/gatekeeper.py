"""SigningHub's gatekeeper (an approver who releases a package before its workflow runs)
is not a step of Signflow's workflows: no package has one, so approving or declining
as its gatekeeper is refused, after the package itself was found for the caller."""

from __future__ import annotations

from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.errors import Forbidden
from signflow.packages.access import Need, get_package
from signflow.workflow.common import NOT_ALLOWED


async def refuse_gatekeeper(
    session: AsyncSession, principal: Principal, package_id: int
) -> NoReturn:
    """404 for a package the caller cannot see, else 403: nobody is its gatekeeper."""
    await get_package(session, principal, package_id, Need.READ)
    raise Forbidden(NOT_ALLOWED)
