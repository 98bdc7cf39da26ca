"""The activation page: a person registered by an admin proves their address and
chooses a password (`accounts/activation.py`).

`GET /web/activate/{token}` only shows the form, so that a mail scanner opening the
link uses nothing up. `POST` to the same address activates. The token in the path is
the only credential and a cross-site page cannot know it, so the form needs no
session or CSRF token of its own; a post from another origin is refused all the same.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from signflow.accounts.activation import activate_pending, pending_account
from signflow.accounts.email_ownership import AddressTaken, owning_account
from signflow.errors import Conflict, NotFound
from signflow.faces.routing import get_session
from signflow.models import Enterprise, User
from signflow.web.branding import remember as remember_branding
from signflow.web.pages import render
from signflow.web.password_form import password_error, password_form_page, read_form
from signflow.web.routes import WebRoute

# Message keys of the pages' texts: WebRoute shows such an error as a page.
LINK_NOT_VALID_KEY = "activate.link"
ADDRESS_TAKEN_KEY = "activate.taken"

router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def _pending(request: Request, token: str, *, for_update: bool) -> tuple[User, Enterprise]:
    session = get_session(request)
    try:
        user, enterprise = await pending_account(session, token, for_update=for_update)
        remember_branding(request, enterprise)
    except NotFound as exc:
        raise NotFound(LINK_NOT_VALID_KEY) from exc
    if await owning_account(session, user.email) is not None:
        raise Conflict(ADDRESS_TAKEN_KEY)
    return user, enterprise


def _form_page(
    request: Request, user: User, enterprise: Enterprise, error: str | None = None
) -> Response:
    return password_form_page(request, "activate.html", user, enterprise, error)


@router.get("/web/activate/{token}")
async def activation_page(token: str, request: Request) -> Response:
    user, enterprise = await _pending(request, token, for_update=False)
    return _form_page(request, user, enterprise)


@router.post("/web/activate/{token}")
async def activate(token: str, request: Request) -> Response:
    form = await read_form(request)
    user, enterprise = await _pending(request, token, for_update=True)
    error = password_error(form)
    if error is not None:
        return _form_page(request, user, enterprise, error)
    try:
        await activate_pending(get_session(request), user, form["password"])
    except AddressTaken as exc:  # proven elsewhere a moment ago: nothing is kept
        raise Conflict(ADDRESS_TAKEN_KEY) from exc
    return render(request, "activated.html", None, email=user.email, enterprise=enterprise.name)
