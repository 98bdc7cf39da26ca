"""The enterprise admin's single sign-on page: the enterprise's OpenID Connect provider
(issuer, client id, client secret, creating accounts on first sign-in), saved with
`accounts.sso.set_sso` and removed with `clear_sso`, as the API's
`PUT`/`DELETE enterprise/settings/sso` do, with the API's own body model checking the
form. The client secret is write-only: the page says whether one is set, never what it
is, and a save without one keeps it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from signflow.accounts.principal import Principal
from signflow.accounts.sso import (
    ISSUER_INVALID,
    SECRET_REQUIRED,
    SsoChange,
    clear_sso,
    redirect_uri,
    set_sso,
    signin_url,
    sso_of,
)
from signflow.accounts.users import require_admin
from signflow.errors import BadRequest
from signflow.faces.admin.sso import SsoSettings
from signflow.faces.routing import get_session
from signflow.web.app.csrf import read_form
from signflow.web.app.pages import finish, render
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal, settings_of

SSO_PAGE = "/app/admin/sso"
NOTICES = {"saved": "app.ssoadmin.saved", "removed": "app.ssoadmin.removed"}
TOO_LONG = "app.ssoadmin.too_long"
# The core's refusals said in the reader's language (others: the core's own words).
REFUSALS = {
    ISSUER_INVALID: "app.ssoadmin.issuer_invalid",
    SECRET_REQUIRED: "app.ssoadmin.secret_required",
    TOO_LONG: TOO_LONG,
}

router = app_router()
Admin = Annotated[Principal, Depends(app_principal)]


async def _page(
    request: Request,
    me: Principal,
    status_code: int = 200,
    error: BadRequest | None = None,
    asked: dict[str, str] | None = None,
) -> Response:
    settings = settings_of(request)
    row = await sso_of(get_session(request), me.enterprise_id)
    error_key = REFUSALS.get(error.message) if error is not None else None
    error_message = error.message if error is not None and error_key is None else None
    shown = asked or {}
    return render(
        request,
        "app/admin_sso.html",
        status_code=status_code,
        row=row,
        issuer=shown.get("issuer", row.issuer if row else ""),
        client_id=shown.get("client_id", row.client_id if row else ""),
        auto_create_users=(
            shown.get("auto_create_users") == "true"
            if asked
            else bool(row and row.auto_create_users)
        ),
        secret_set=bool(row and row.client_secret_sealed),
        redirect_uri=redirect_uri(settings),
        signin_url=signin_url(settings, row) if row else None,
        notice=NOTICES.get(request.query_params.get("done", "")),
        error_key=error_key,
        error_message=error_message,
    )


def _back(request: Request, done: str) -> Response:
    return finish(request, RedirectResponse(f"{SSO_PAGE}?done={done}", status_code=303))


def _change(form: dict[str, str]) -> SsoChange:
    """The form read by the API's body model (its lengths); an empty secret keeps the
    stored one, as an absent one does in the API."""
    try:
        body = SsoSettings(
            issuer=form.get("issuer", ""),
            client_id=form.get("client_id", ""),
            client_secret=form.get("client_secret") or None,
            auto_create_users=form.get("auto_create_users") == "true",
        )
    except ValidationError as exc:
        raise BadRequest(TOO_LONG) from exc
    return SsoChange(body.issuer, body.client_id, body.client_secret, body.auto_create_users)


@router.get(SSO_PAGE)
async def sso_page(request: Request, me: Admin) -> Response:
    require_admin(me)
    return await _page(request, me)


@router.post(SSO_PAGE)
async def save(request: Request, me: Admin) -> Response:
    require_admin(me)
    form = await read_form(request)
    try:
        await set_sso(get_session(request), settings_of(request), me, _change(form))
    except BadRequest as exc:
        asked = {
            "issuer": form.get("issuer", "")[:500],
            "client_id": form.get("client_id", "")[:300],
            "auto_create_users": form.get("auto_create_users", ""),
        }
        return await _page(request, me, exc.status_code, exc, asked)
    return _back(request, "saved")


@router.post(SSO_PAGE + "/remove")
async def remove(request: Request, me: Admin) -> Response:
    """Single sign-on off (`clear_sso`; 404 when it is not set up)."""
    await clear_sso(get_session(request), me)
    return _back(request, "removed")
