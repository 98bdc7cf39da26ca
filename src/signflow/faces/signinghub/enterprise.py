"""Enterprise user administration (admins of that enterprise only)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from signflow.accounts.users import (
    NewUser,
    UserChanges,
    delete_user,
    list_users,
    register_user,
    update_user,
)
from signflow.faces.routing import ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import (
    EnterpriseUserBody,
    EnterpriseUserCreate,
    EnterpriseUserDelete,
    EnterpriseUserUpdate,
)
from signflow.models import User

router = APIRouter(route_class=TransactionalRoute, tags=["enterprise"])


def user_body(user: User) -> EnterpriseUserBody:
    return EnterpriseUserBody(
        user_email=user.email,
        user_name=user.name,
        mobile_number=user.mobile_number,
        enterprise_role=user.role,
        application_integration=user.can_integrate,
        enabled=user.is_active,
        activated=user.email_verified,
        created_on=user.created_at.isoformat(),
    )


@router.post("/enterprise/users", status_code=201, response_model=EnterpriseUserBody)
async def add_enterprise_user(
    body: EnterpriseUserCreate, principal: PrincipalDep, session: SessionDep
) -> EnterpriseUserBody:
    user = await register_user(
        session,
        principal,
        NewUser(
            email=body.user_email,
            name=body.user_name,
            password=body.user_password,
            mobile_number=body.mobile_number,
            role=body.enterprise_role,
            can_integrate=body.application_integration,
        ),
    )
    return user_body(user)


@router.get("/enterprise/users", dependencies=[ReadOnly], response_model=list[EnterpriseUserBody])
async def get_enterprise_users(
    principal: PrincipalDep, session: SessionDep, response: Response
) -> list[EnterpriseUserBody]:
    users = await list_users(session, principal)
    response.headers["x-total-records"] = str(len(users))
    return [user_body(user) for user in users]


@router.put("/enterprise/users")
async def update_enterprise_user(
    body: EnterpriseUserUpdate, principal: PrincipalDep, session: SessionDep
) -> Response:
    await update_user(
        session,
        principal,
        body.user_email,
        UserChanges(
            name=body.user_name,
            role=body.enterprise_role,
            enabled=body.enabled,
            mobile_number=body.mobile_number,
            can_integrate=body.application_integration,
            password=body.user_password,
        ),
    )
    return empty_ok()


@router.delete("/enterprise/users")
async def delete_enterprise_user(
    body: EnterpriseUserDelete, principal: PrincipalDep, session: SessionDep
) -> Response:
    await delete_user(session, principal, body.user_email)
    return empty_ok()
