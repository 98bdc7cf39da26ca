"""About the installation, and the caller's own profile and password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from signflow import __version__
from signflow.accounts.passwords import change_own_password
from signflow.faces.routing import (
    ContextDep,
    ReadOnly,
    SessionDep,
    SettingsDep,
    TransactionalRoute,
    client_address,
    empty_ok,
)
from signflow.faces.signinghub.deps import PrincipalBeforePasswordChangeDep, PrincipalDep
from signflow.faces.signinghub.schemas import (
    AboutBody,
    PasswordChange,
    ProfileBody,
    ProfileGeneral,
)

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


@router.put("/settings/profile/password")
async def change_password(
    body: PasswordChange,
    principal: PrincipalBeforePasswordChangeDep,
    session: SessionDep,
    context: ContextDep,
    request: Request,
) -> Response:
    """Change the caller's own password, giving the current one. Every other token of
    the caller, and every refresh token, stops working; this one keeps working."""
    await change_own_password(
        session,
        context.sessions,
        context.settings,
        principal,
        address=client_address(request),
        current=body.user_old_password,
        new=body.user_new_password,
    )
    return empty_ok()
