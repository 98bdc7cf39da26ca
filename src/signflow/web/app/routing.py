"""The app's route class: one transaction per request, the CSRF check on every unsafe
request, and errors as app pages (an anonymous browser goes to the sign-in page)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from signflow.accounts.users import NOT_ALLOWED
from signflow.contacts.recipients import EMAIL_OR_CONTACT
from signflow.errors import SignflowError, TooManyRequests
from signflow.faces.routing import in_request_transaction
from signflow.web.app.csrf import check_csrf
from signflow.web.app.pages import finish, render
from signflow.web.app.session import (
    SESSION_COOKIE,
    SIGNIN_PAGE,
    SignInRequired,
    clear_cookie,
    settings_of,
)
from signflow.web.i18n import has_text
from signflow.workflow.common import MUST_ADD_SIGNERS
from signflow.workflow.settings import EXPIRY_IN_THE_PAST


def local_target(target: str | None) -> str | None:
    """A path inside the app to return to after signing in, never another site."""
    if not target or not target.startswith("/app") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 0x20 for c in target):
        return None
    return target


def _to_signin(request: Request) -> Response:
    query = ""
    if request.method == "GET" and request.url.path != "/app/":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        query = "?" + urlencode({"next": target})
    response = RedirectResponse(SIGNIN_PAGE + query, status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        clear_cookie(response, settings_of(request))
    return finish(request, response)


# The core's refusals (in the API's English) that the app says in the reader's language.
CORE_REFUSALS = {
    NOT_ALLOWED: "error.not_allowed",
    MUST_ADD_SIGNERS: "prepare.no_recipients",
    EMAIL_OR_CONTACT: "recipients.email_or_contact",
    EXPIRY_IN_THE_PAST: "settings.expiry_past",
}


def error_page(request: Request, exc: SignflowError) -> Response:
    if isinstance(exc, SignInRequired):
        return _to_signin(request)
    key = CORE_REFUSALS.get(exc.message) or (
        exc.message if has_text(exc.message) else "error.refused"
    )
    values: dict[str, str] = {"message": exc.message} if key == "error.refused" else {}
    if isinstance(exc, TooManyRequests):
        values = {"seconds": str(exc.retry_after)}
    status = exc.status_code if 400 <= exc.status_code < 500 else 500
    page = render(request, "app/error.html", status_code=status, key=key, values=values)
    page.headers.update(exc.headers)
    return page


class AppRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await in_request_transaction(request, handler)
            except SignflowError as exc:
                return error_page(request, exc)

        return run


def app_router() -> APIRouter:
    """A router of app pages: every route checks CSRF on unsafe methods."""
    return APIRouter(
        route_class=AppRoute, include_in_schema=False, dependencies=[Depends(check_csrf)]
    )
