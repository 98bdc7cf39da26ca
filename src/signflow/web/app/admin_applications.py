"""The enterprise admin's integration applications: each one's allowed framing origins
(where its signing pages may be embedded) and callback URL, set with the checks of
`accounts/embedding.py` as the API's `PUT enterprise/applications/{id}/embedding` does."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.embedding import (
    MAX_ORIGINS,
    MAX_URL_CHARS,
    check_embedding,
    enterprise_application,
    list_applications,
    set_embedding,
)
from signflow.accounts.principal import Principal
from signflow.accounts.users import require_admin
from signflow.errors import BadRequest, SignflowError
from signflow.faces.routing import get_session, get_settings
from signflow.web.app.csrf import read_form
from signflow.web.app.form_values import BAD_VALUE
from signflow.web.app.pages import finish, render
from signflow.web.app.refusals import said
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal

APPLICATIONS_PAGE = "/app/admin/applications"

router = app_router()
Admin = Annotated[Principal, Depends(app_principal)]


async def _page(
    request: Request,
    me: Principal,
    status_code: int = 200,
    error: SignflowError | None = None,
    draft: tuple[int, str, str] | None = None,
) -> Response:
    applications = await list_applications(get_session(request), me.enterprise_id)
    return render(
        request,
        "app/admin_applications.html",
        status_code=status_code,
        applications=applications,
        max_origins=MAX_ORIGINS,
        saved=request.query_params.get("done") == "saved",
        error=said(error) if error is not None else None,
        draft=draft,
    )


def _origins(text: str) -> list[str]:
    """One origin a line (commas and spaces separate too)."""
    return text.replace(",", " ").split()


@router.get(APPLICATIONS_PAGE)
async def applications_page(request: Request, me: Admin) -> Response:
    require_admin(me)
    return await _page(request, me)


@router.post(APPLICATIONS_PAGE + "/{application_id}")
async def change_embedding(request: Request, application_id: int, me: Admin) -> Response:
    require_admin(me)
    session = get_session(request)
    application = await enterprise_application(session, me.enterprise_id, application_id)
    form = await read_form(request)
    origins_text = form.get("origins", "")
    callback = form.get("callback_url", "").strip() or None
    try:
        if len(origins_text) > MAX_ORIGINS * (MAX_URL_CHARS + 1):
            raise BadRequest(BAD_VALUE, value="origins")
        embedding = check_embedding(_origins(origins_text), callback, get_settings(request))
    except BadRequest as exc:
        draft = (application.id, origins_text[: MAX_ORIGINS * (MAX_URL_CHARS + 1)], callback or "")
        return await _page(request, me, exc.status_code, exc, draft)
    set_embedding(application, embedding)
    await session.flush()
    return finish(request, RedirectResponse(f"{APPLICATIONS_PAGE}?done=saved", status_code=303))
