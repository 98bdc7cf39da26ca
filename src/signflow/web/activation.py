"""The activation page: a person registered by an admin proves their address and
chooses a password (`accounts/activation.py`).

`GET /web/activate/{token}` only shows the form, so that a mail scanner opening the
link uses nothing up. `POST` to the same address activates. The token in the path is
the only credential and a cross-site page cannot know it, so the form needs no
session or CSRF token of its own; a post from another origin is refused all the same.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request, Response

from signflow.accounts.activation import (
    PASSWORD_TOO_LONG,
    PASSWORD_TOO_SHORT,
    activate_pending,
    check_new_password,
    pending_account,
)
from signflow.accounts.email_ownership import AddressTaken, owning_account
from signflow.errors import BadRequest, Conflict, NotFound, PayloadTooLarge
from signflow.faces.routing import get_session
from signflow.models import Enterprise, User
from signflow.web.branding import remember as remember_branding
from signflow.web.pages import render
from signflow.web.routes import CsrfRejected, WebRoute

MAX_FORM_BYTES = 16 * 1024
PASSWORD_KEYS = {PASSWORD_TOO_SHORT: "activate.too_short", PASSWORD_TOO_LONG: "activate.too_long"}
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
    return render(
        request,
        "activate.html",
        None,
        status_code=400 if error else 200,
        email=user.email,
        name=user.name,
        enterprise=enterprise.name,
        error=error,
    )


async def _read_form(request: Request) -> dict[str, str]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise PayloadTooLarge("The form is too large")
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise PayloadTooLarge("The form is too large")
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise CsrfRejected()
    return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))


@router.get("/web/activate/{token}")
async def activation_page(token: str, request: Request) -> Response:
    user, enterprise = await _pending(request, token, for_update=False)
    return _form_page(request, user, enterprise)


@router.post("/web/activate/{token}")
async def activate(token: str, request: Request) -> Response:
    form = await _read_form(request)
    user, enterprise = await _pending(request, token, for_update=True)
    password = form.get("password", "")
    try:
        check_new_password(password)
    except BadRequest as exc:
        return _form_page(request, user, enterprise, PASSWORD_KEYS[exc.message])
    if password != form.get("confirm", ""):
        return _form_page(request, user, enterprise, "activate.mismatch")
    try:
        await activate_pending(get_session(request), user, password)
    except AddressTaken as exc:  # proven elsewhere a moment ago: nothing is kept
        raise Conflict(ADDRESS_TAKEN_KEY) from exc
    return render(request, "activated.html", None, email=user.email, enterprise=enterprise.name)
