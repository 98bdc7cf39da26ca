"""About the installation, and the caller's own profile and password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from signflow import __version__
from signflow.accounts.passwords import change_own_password
from signflow.accounts.profile import ProfileChange, enterprise_owner, update_profile
from signflow.errors import Forbidden
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
    DeviceBody,
    LocaleUpdate,
    PasswordChange,
    ProfileBody,
    ProfileEnterprise,
    ProfileGeneral,
    ProfileLocale,
    ProfileUpdate,
)

router = APIRouter(route_class=TransactionalRoute, tags=["account"])


@router.get("/about", response_model=AboutBody)
async def about(settings: SettingsDep) -> AboutBody:
    return AboutBody(
        installation_name=settings.installation_name, version=__version__, build=__version__
    )


@router.get("/settings/profile", dependencies=[ReadOnly], response_model=ProfileBody)
async def profile(principal: PrincipalDep, session: SessionDep) -> ProfileBody:
    user = principal.user
    found = await enterprise_owner(session, user.enterprise_id)
    owner = found.owner
    return ProfileBody(
        general=ProfileGeneral(
            user_email=user.email,
            user_name=user.name,
            job_title=user.job_title,
            company_name=user.company_name,
            mobile_number=user.mobile_number,
            enterprise_id=user.enterprise_id,
            enterprise_role=user.role,
            application_integration=user.can_integrate,
            acting_as_scope=principal.is_scoped,
        ),
        locale=ProfileLocale(country=user.country, timezone=user.time_zone, language=user.language),
        enterprise=ProfileEnterprise(
            enterprise_name=found.enterprise_name,
            owner=owner.name if owner else None,
            owner_email=owner.email if owner else None,
            mobile_number=owner.mobile_number if owner else None,
        ),
    )


@router.put("/settings/profile/general")
async def update_general(
    body: ProfileUpdate, principal: PrincipalDep, session: SessionDep
) -> Response:
    change = ProfileChange(
        name=body.user_name,
        job_title=body.job_title,
        company_name=body.company_name,
        mobile_number=body.mobile_number,
        country=body.country,
        time_zone=body.time_zone,
        language=body.language,
    )
    await update_profile(session, principal.user.id, change)
    return empty_ok()


@router.put("/settings/profile/locale")
async def update_locale(
    body: LocaleUpdate, principal: PrincipalDep, session: SessionDep
) -> Response:
    change = ProfileChange(country=body.country, time_zone=body.timezone, language=body.language)
    await update_profile(session, principal.user.id, change)
    return empty_ok()


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


@router.get("/authorization/devices", dependencies=[ReadOnly], response_model=list[DeviceBody])
async def registered_devices(principal: PrincipalDep) -> list[DeviceBody]:
    """Devices registered for authorized remote signing. Signflow has no mobile app, so
    no account ever has one: the guide's answer for such an account, an empty list."""
    return []


NO_LOGIN_OTP = "You are not authorized to perform the requested operation"


@router.post("/authentication/otp")
async def login_otp(principal: PrincipalDep) -> Response:
    """A second factor by SMS at sign-in to SigningHub's own web app: Signflow has no such
    sign-in, so every account is one whose role does not allow it, and the guide answers
    such an account 403 with this message."""
    raise Forbidden(NO_LOGIN_OTP)
