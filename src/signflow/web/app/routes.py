"""The app's own pages: sign-in, sign-out, the home page and the list of sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.principal import Principal
from signflow.errors import NotFound, SignflowError, TooManyRequests
from signflow.faces.routing import client_address, get_context, get_session
from signflow.web.app.csrf import read_form
from signflow.web.app.pages import finish, render
from signflow.web.app.routing import app_router, local_target
from signflow.web.app.session import (
    app_principal,
    clear_cookie,
    current_session,
    end_session,
    revoke_session,
    sessions_of,
    start_session,
    write_cookie,
)
from signflow.web.app.signin import password_sign_in
from signflow.web.i18n import has_text

HOME = "/app/"
SESSIONS_PAGE = "/app/sessions"

router = app_router()
CurrentUser = Annotated[Principal, Depends(app_principal)]


def _redirect(request: Request, target: str) -> Response:
    return finish(request, RedirectResponse(target, status_code=303))


@router.get("/app")
async def app_root(request: Request) -> Response:
    return _redirect(request, HOME)


def _signin_page(
    request: Request,
    *,
    email: str = "",
    target: str | None = None,
    error: SignflowError | None = None,
) -> Response:
    key, values = None, {}
    if isinstance(error, TooManyRequests):
        key, values = "app.signin.wait", {"seconds": str(error.retry_after)}
    elif error is not None:
        key = error.message if has_text(error.message) else "app.signin.invalid"
    return render(
        request,
        "app/signin.html",
        status_code=error.status_code if error is not None else 200,
        email=email,
        next=target or "",
        error=key,
        error_values=values,
    )


@router.get("/app/signin")
async def signin_page(request: Request, next: str | None = None) -> Response:
    target = local_target(next)
    if await current_session(request) is not None:
        return _redirect(request, target or HOME)
    return _signin_page(request, target=target)


@router.post("/app/signin")
async def signin(request: Request) -> Response:
    form = await read_form(request)
    email, password = form.get("email", ""), form.get("password", "")
    target = local_target(form.get("next"))
    context = get_context(request)
    session = get_session(request)
    try:
        user = await password_sign_in(
            session,
            context.sessions,
            context.settings,
            email=email,
            password=password,
            address=client_address(request),
        )
    except SignflowError as exc:
        if exc.status_code >= 500:
            raise
        if exc.status_code == 403:
            raise  # disabled: its transaction commits the given-back try, then the error page
        return _signin_page(request, email=email[:320], target=target, error=exc)
    previous = await current_session(request)
    if previous is not None:
        await end_session(session, previous)
    started = await start_session(session, request, user)
    response = RedirectResponse(target or HOME, status_code=303)
    write_cookie(response, context.settings, started.cookie_value)
    return finish(request, response)


@router.post("/app/signout")
async def signout(request: Request) -> Response:
    row = await current_session(request)
    if row is not None:
        await end_session(get_session(request), row)
    response = RedirectResponse("/app/signin", status_code=303)
    clear_cookie(response, get_context(request).settings)
    return finish(request, response)


@router.get("/app/sessions")
async def sessions_page(request: Request, me: CurrentUser) -> Response:
    rows = await sessions_of(get_session(request), me)
    current = await current_session(request)
    revoked = request.query_params.get("revoked") == "1"
    return render(
        request,
        "app/sessions.html",
        rows=rows,
        current_id=current.id if current is not None else None,
        revoked=revoked,
    )


@router.post("/app/sessions/{session_id}/revoke")
async def revoke(request: Request, session_id: int, me: CurrentUser) -> Response:
    if not await revoke_session(get_session(request), me, session_id):
        raise NotFound("app.sessions.unknown")
    current = await current_session(request)
    if current is not None and current.id == session_id:
        response = RedirectResponse("/app/signin", status_code=303)
        clear_cookie(response, get_context(request).settings)
        return finish(request, response)
    return _redirect(request, f"{SESSIONS_PAGE}?revoked=1")
