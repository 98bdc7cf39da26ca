"""About the installation, and the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter

from signflow import __version__
from signflow.faces.routing import ReadOnly, SettingsDep, TransactionalRoute
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import AboutBody, ProfileBody, ProfileGeneral

router = APIRouter(route_class=TransactionalRoute, tags=["account"])


@router.get("/about", response_model=AboutBody)
async def about(settings: SettingsDep) -> AboutBody:
    return AboutBody(
        installation_name=settings.installation_name, version=__version__, build=__version__
    )


@router.get("/settings/profile", dependencies=[ReadOnly], response_model=ProfileBody)
async def profile(principal: PrincipalDep) -> ProfileBody:
    user = principal.user
    return ProfileBody(
        general=ProfileGeneral(
            user_email=user.email,
            user_name=user.name,
            mobile_number=user.mobile_number,
            enterprise_id=user.enterprise_id,
            enterprise_role=user.role,
            application_integration=user.can_integrate,
            acting_as_scope=principal.is_scoped,
        )
    )
