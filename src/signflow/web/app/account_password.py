"""The signed-in person's password change: the current password and the new one twice,
through `accounts.passwords.change_own_password`, the call behind the API's
`PUT settings/profile/password`. A wrong current password is a sign-in try (the same
throttle); a change ends every other session and token of the account, and this
browser's session goes on. An account that signs in only through single sign-on has no
password to change: the page says so."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.activation import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PASSWORD_TOO_LONG,
    PASSWORD_TOO_SHORT,
)
from signflow.accounts.passwords import SAME_PASSWORD, WRONG_CURRENT_PASSWORD, change_own_password
from signflow.accounts.principal import Principal
from signflow.errors import BadRequest
from signflow.faces.routing import client_address, get_context, get_session
from signflow.web.app.csrf import read_form
from signflow.web.app.pages import finish, render
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal, current_session

PASSWORD_PAGE = "/app/account/password"  # noqa: S105  (a path, no secret)
MISMATCH = "activate.mismatch"
# The core's refusals, said in the reader's language.
REFUSALS = {
    WRONG_CURRENT_PASSWORD: "app.password.wrong_current",
    SAME_PASSWORD: "app.password.same",
    PASSWORD_TOO_SHORT: "activate.too_short",
    PASSWORD_TOO_LONG: "activate.too_long",
}

router = app_router()
CurrentUser = Annotated[Principal, Depends(app_principal)]


def _page(
    request: Request, me: Principal, status_code: int = 200, error: str | None = None
) -> Response:
    """`error`: a text key, or the core's own words for a refusal without one."""
    key = error if error in (MISMATCH, *REFUSALS.values()) else None
    return render(
        request,
        "app/account_password.html",
        status_code=status_code,
        has_password=me.user.password_hash is not None,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        changed=request.query_params.get("done") == "changed",
        error_key=key,
        error_message=error if key is None else None,
    )


@router.get(PASSWORD_PAGE)
async def password_page(request: Request, me: CurrentUser) -> Response:
    return _page(request, me)


@router.post(PASSWORD_PAGE)
async def change_password(request: Request, me: CurrentUser) -> Response:
    form = await read_form(request)
    new = form.get("new_password", "")
    if new != form.get("confirm_password", ""):
        return _page(request, me, 400, MISMATCH)
    context = get_context(request)
    this_session = await current_session(request)
    session = get_session(request)
    # On SQLite this request's transaction took the write lock when it read the session:
    # the try is counted in it, and the refusal's page commits it.
    apart = context.sessions if session.get_bind().dialect.name != "sqlite" else None
    try:
        await change_own_password(
            session,
            apart,
            context.settings,
            me,
            address=client_address(request),
            current=form.get("current_password", ""),
            new=new,
            keep_app_session_id=this_session.id if this_session is not None else None,
        )
    except BadRequest as exc:
        return _page(request, me, exc.status_code, REFUSALS.get(exc.message, exc.message))
    target = f"{PASSWORD_PAGE}?done=changed"
    return finish(request, RedirectResponse(target, status_code=303))
