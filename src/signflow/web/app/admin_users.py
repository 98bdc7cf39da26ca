"""The enterprise admin's users page: the enterprise's accounts, inviting a person (the
activation mail of `accounts/users.register_user`), and changing an account's role or
turning it off and on (`accounts/users.update_user`), as the API's enterprise/users
calls do. Every user is looked up within the admin's own enterprise."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from signflow.accounts.principal import Principal
from signflow.accounts.users import (
    NewUser,
    UserChanges,
    list_users,
    register_user,
    require_admin,
    update_user,
)
from signflow.errors import BadRequest, NotFound, SignflowError
from signflow.faces.routing import get_session
from signflow.models import EnterpriseRole, User
from signflow.web.app.csrf import read_form
from signflow.web.app.pages import finish, render
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal

USERS_PAGE = "/app/admin/users"
MAX_NAME_CHARS = 200
NOTICES = {"invited": "app.users.invited", "changed": "app.users.changed"}

router = app_router()
Admin = Annotated[Principal, Depends(app_principal)]


async def _page(
    request: Request, me: Principal, status_code: int = 200, error: SignflowError | None = None
) -> Response:
    users = await list_users(get_session(request), me)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        "app/admin_users.html",
        status_code=status_code,
        users=users,
        my_id=me.user.id,
        notice=notice,
        error=error.message if error is not None else None,
    )


@router.get(USERS_PAGE)
async def users_page(request: Request, me: Admin) -> Response:
    require_admin(me)
    return await _page(request, me)


def _back(request: Request, done: str) -> Response:
    return finish(request, RedirectResponse(f"{USERS_PAGE}?done={done}", status_code=303))


@router.post(USERS_PAGE)
async def invite(request: Request, me: Admin) -> Response:
    require_admin(me)
    form = await read_form(request)
    role = EnterpriseRole.ADMIN if form.get("role") == "admin" else EnterpriseRole.USER
    new = NewUser(
        email=form.get("email", "").strip()[:320],
        name=form.get("name", "").strip()[:MAX_NAME_CHARS],
        role=role,
    )
    try:
        await register_user(get_session(request), me, new)
    except SignflowError as exc:
        if exc.status_code >= 500 or exc.status_code == 403:
            raise
        return await _page(request, me, exc.status_code, exc)
    return _back(request, "invited")


async def _user(request: Request, me: Principal, user_id: int) -> User:
    user = await get_session(request).scalar(
        select(User).where(User.id == user_id, User.enterprise_id == me.enterprise_id)
    )
    if user is None:
        raise NotFound("app.users.unknown")
    return user


@router.post(USERS_PAGE + "/{user_id}")
async def change(request: Request, user_id: int, me: Admin) -> Response:
    require_admin(me)
    form = await read_form(request)
    user = await _user(request, me, user_id)
    changes = UserChanges(
        role={"admin": EnterpriseRole.ADMIN, "user": EnterpriseRole.USER}.get(form.get("role", "")),
        enabled={"1": True, "0": False}.get(form.get("enabled", "")),
    )
    try:
        await update_user(get_session(request), me, user.email, changes)
    except BadRequest as exc:
        return await _page(request, me, exc.status_code, exc)
    return _back(request, "changed")
