"""The caller's account (SigningHub's account management): registration, activation and
forgotten passwords, the password policy, the role, the account, the service agreements,
in-app notifications and the activity log; and the calls for services Signflow has not.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from signflow.accounts.activation import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from signflow.accounts.activity import activity, activity_log, notifications, when
from signflow.accounts.password_reset import (
    count_mail_request,
    is_reset_token,
    request_reset,
    set_new_password,
)
from signflow.accounts.registration import Registration, register, resend_activation
from signflow.errors import Forbidden, Unauthorized
from signflow.faces.routing import (
    ContextDep,
    ReadOnly,
    SessionDep,
    SettingsDep,
    TransactionalRoute,
    client_address,
    empty_ok,
)
from signflow.faces.signinghub.account_schemas import (
    AccountBody,
    EmailBody,
    LogDetail,
    LogDetails,
    LogItem,
    NewPasswordBody,
    NotificationBody,
    PasswordPolicyBody,
    RegistrationBody,
    RoleBody,
    TermsBody,
)
from signflow.faces.signinghub.deps import AUTHENTICATION_REQUIRED, PrincipalDep
from signflow.models import EnterpriseRole, HistoryEntry

router = APIRouter(route_class=TransactionalRoute, tags=["account"])

NO_SERVICE = "You are not authorized to perform the requested operation"
ROLE_NAMES = {EnterpriseRole.ADMIN: "Enterprise Admin", EnterpriseRole.USER: "Enterprise User"}


@router.post("/account")
async def register_user(
    body: RegistrationBody, principal: PrincipalDep, session: SessionDep, context: ContextDep
) -> Response:
    """Self-registration: refused (403) unless the operator enabled it."""
    invitation = body.invitation.enterprise_name if body.invitation else None
    new = Registration(
        email=body.user_email,
        name=body.user_name,
        mobile_number=body.mobile_number,
        job_title=body.job_title,
        company_name=body.company_name,
        country=body.country,
        time_zone=body.time_zone,
        language=body.language,
        invited_by=invitation,
    )
    await register(session, context.settings, new)
    return empty_ok()


@router.post("/account/activation/resend")
async def resend_activation_email(
    body: EmailBody,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
    request: Request,
) -> Response:
    await count_mail_request(
        context.sessions, context.settings, "activation", body.user_email, client_address(request)
    )
    await resend_activation(session, principal, body.user_email)
    return empty_ok()


@router.post("/account/password/reset")
async def forgot_password(
    body: EmailBody,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
    request: Request,
) -> Response:
    """Mail a reset link to the address's account in the caller's enterprise; the same
    answer whether or not there is one."""
    await count_mail_request(
        context.sessions, context.settings, "reset", body.user_email, client_address(request)
    )
    await request_reset(session, principal, body.user_email)
    return empty_ok()


def _reset_token(authorization: str | None, header_token: str | None) -> str:
    """The reset link's token: as the bearer token (a client sets it as its access token)
    or in `x-change-password-token`."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and is_reset_token(value.strip()):
        return value.strip()
    if header_token and header_token.strip():
        return header_token.strip()
    if not authorization:
        raise Unauthorized(AUTHENTICATION_REQUIRED)
    raise Unauthorized()


@router.put(
    "/account/password/new",
    # Not behind a session's bearer token, so the statuses of the reset token are declared.
    responses={
        401: {"description": "No reset link's token"},
        403: {"description": "The reset link is used, replaced, expired or made up"},
    },
)
async def new_password(
    body: NewPasswordBody,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    x_change_password_token: Annotated[str | None, Header()] = None,
) -> Response:
    """Set a new password with a reset link's token, once. Every token the user held
    stops working."""
    token = _reset_token(authorization, x_change_password_token)
    await set_new_password(session, token, body.password)
    return empty_ok()


@router.post("/account/password_policy", response_model=PasswordPolicyBody)
async def password_policy(principal: PrincipalDep) -> PasswordPolicyBody:
    """The rules a new password must meet (SigningHub's client sends POST)."""
    return PasswordPolicyBody(
        minimum_length=MIN_PASSWORD_LENGTH, maximum_length=MAX_PASSWORD_LENGTH
    )


@router.get("/account/role", response_model=RoleBody)
async def user_role(principal: PrincipalDep) -> RoleBody:
    role = EnterpriseRole(principal.user.role)
    return RoleBody(
        role_name=ROLE_NAMES[role],
        enterprise_role=role,
        application_integration=principal.user.can_integrate,
    )


@router.get("/account", response_model=AccountBody)
async def account(principal: PrincipalDep) -> AccountBody:
    user = principal.user
    return AccountBody(
        user_email=user.email,
        user_name=user.name,
        job_title=user.job_title,
        company_name=user.company_name,
        mobile_number=user.mobile_number,
        country=user.country,
        time_zone=user.time_zone,
        language=user.language,
        enterprise_id=principal.enterprise_id,
        enterprise_name=principal.enterprise.name,
        enterprise_role=EnterpriseRole(user.role),
        activated=user.email_verified,
        enabled=user.is_active,
        created_on=user.created_at.isoformat(),
    )


@router.get("/terms", response_model=TermsBody)
async def service_agreements(settings: SettingsDep) -> TermsBody:
    """The installation's terms of service and privacy policy (their addresses, as the
    operator configured them); no token needed, as for `about`."""
    return TermsBody(
        terms_of_service=settings.terms_of_service_url or None,
        privacy_policy=settings.privacy_policy_url or None,
    )


@router.get(
    "/account/notifications/{records_per_page}/{page_no}",
    dependencies=[ReadOnly],
    response_model=list[NotificationBody],
)
async def account_notifications(
    records_per_page: int,
    page_no: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
) -> list[NotificationBody]:
    """The packages whose turn opened for the caller, newest first."""
    found, total = await notifications(session, principal, page_no, records_per_page)
    response.headers["x-total-records"] = str(total)
    return [
        NotificationBody(
            notification_id=n.recipient.id,
            package_id=n.package.id,
            package_name=n.package.name,
            package_status=n.package.status,
            sender_name=n.sender_name,
            message=f"{n.sender_name} shared {n.package.name} with you",
            process_status=n.recipient.process_status,
            created_on=when(n.recipient.turn_started_at),
        )
        for n in found
    ]


def log_item(entry: HistoryEntry, package_name: str) -> LogItem:
    return LogItem(
        log_id=entry.id,
        action_type=entry.action,
        package_id=entry.package_id,
        package_name=package_name,
        ip_address=entry.ip_address,
        user_agent=entry.user_agent,
        logged_on=entry.created_at.isoformat(),
    )


# Before the list route: its two free segments would take `{log_id}/details`.
@router.get("/account/log/{log_id}/details", dependencies=[ReadOnly], response_model=LogDetails)
async def activity_details(log_id: int, principal: PrincipalDep, session: SessionDep) -> LogDetails:
    found = await activity(session, principal, log_id)
    item = log_item(found.entry, found.package_name)
    details = [LogDetail(key=k, value=str(v)) for k, v in (found.entry.details or {}).items()]
    return LogDetails(**item.model_dump(), details=details)


@router.get(
    "/account/log/{page_no}/{records_per_page}",
    dependencies=[ReadOnly],
    response_model=list[LogItem],
)
async def activity_logs(
    page_no: int,
    records_per_page: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
) -> list[LogItem]:
    """What the caller did, newest first: the history entries they made."""
    found, total = await activity_log(session, principal, page_no, records_per_page)
    response.headers["x-total-records"] = str(total)
    return [log_item(a.entry, a.package_name) for a in found]


def _no_service() -> None:
    raise Forbidden(NO_SERVICE, code="service_not_available")


@router.get("/account/statistics/usage")
async def usage_statistics(principal: PrincipalDep) -> Response:
    """Billing and usage of a service plan: Signflow has no plans."""
    _no_service()
    return empty_ok()


@router.get("/account/statistics/documents")
async def document_statistics(principal: PrincipalDep) -> Response:
    """The plan's document statistics: no plans here."""
    _no_service()
    return empty_ok()


@router.post("/users/notifications/devices")
async def register_push_device(principal: PrincipalDep) -> Response:
    """Push notifications to SigningHub's mobile app: no mobile app here."""
    _no_service()
    return empty_ok()


@router.post("/account/identity")
async def add_identity(principal: PrincipalDep) -> Response:
    """An external identity for SigningHub's identity providers: an address is trusted here
    only once proven, never on an integration's word."""
    _no_service()
    return empty_ok()
