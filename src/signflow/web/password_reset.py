"""The forgot-password page: the person opens the link mailed to them
(`accounts/password_reset.py`) and chooses a new password.

As for activation, `GET /web/password/{token}` only shows the form (a mail scanner opening
the link uses nothing up) and `POST` to the same address sets the password; the token in
the path is the only credential, and a post from another origin is refused.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from signflow.accounts.password_reset import account_of_reset, set_new_password
from signflow.errors import Forbidden, NotFound
from signflow.faces.routing import get_session
from signflow.models import Enterprise, User
from signflow.web.branding import remember as remember_branding
from signflow.web.pages import render
from signflow.web.password_form import password_error, password_form_page, read_form
from signflow.web.routes import WebRoute

LINK_NOT_VALID_KEY = "reset.link"

router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def _account(request: Request, token: str, *, for_update: bool) -> tuple[User, Enterprise]:
    try:
        user, enterprise = await account_of_reset(
            get_session(request), token, for_update=for_update
        )
    except Forbidden as exc:
        raise NotFound(LINK_NOT_VALID_KEY) from exc
    remember_branding(request, enterprise)  # the page in the enterprise's colours, as activation
    return user, enterprise


def _form_page(
    request: Request, user: User, enterprise: Enterprise, error: str | None = None
) -> Response:
    return password_form_page(request, "reset_password.html", user, enterprise, error)


@router.get("/web/password/{token}")
async def reset_page(token: str, request: Request) -> Response:
    user, enterprise = await _account(request, token, for_update=False)
    return _form_page(request, user, enterprise)


@router.post("/web/password/{token}")
async def reset(token: str, request: Request) -> Response:
    form = await read_form(request)
    user, enterprise = await _account(request, token, for_update=True)
    error = password_error(form)
    if error is not None:
        return _form_page(request, user, enterprise, error)
    await set_new_password(get_session(request), token, form["password"])
    return render(request, "password_set.html", None, email=user.email, enterprise=enterprise.name)
