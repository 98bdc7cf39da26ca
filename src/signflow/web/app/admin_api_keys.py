"""The enterprise admin's API keys page: the keys of the x-api-key face (OKdokument
signature requests), creating one (its value shown once, on the answer to the form, and
stored hashed) and revoking one, through `accounts/api_keys.py` as the API does."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.api_keys import create_api_key, list_api_keys, revoke_api_key
from signflow.accounts.principal import Principal
from signflow.accounts.users import require_admin
from signflow.errors import NotFound
from signflow.faces.routing import get_session
from signflow.web.app.csrf import read_form
from signflow.web.app.pages import finish, render
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal

KEYS_PAGE = "/app/admin/apikeys"
MAX_NAME_CHARS = 200

router = app_router()
Admin = Annotated[Principal, Depends(app_principal)]


async def _page(request: Request, me: Principal, created: str | None = None) -> Response:
    keys = await list_api_keys(get_session(request), me.enterprise_id)
    return render(
        request,
        "app/admin_api_keys.html",
        keys=keys,
        created=created,
        revoked=request.query_params.get("done") == "revoked",
    )


@router.get(KEYS_PAGE)
async def keys_page(request: Request, me: Admin) -> Response:
    require_admin(me)
    return await _page(request, me)


@router.post(KEYS_PAGE)
async def create(request: Request, me: Admin) -> Response:
    require_admin(me)
    name = (await read_form(request)).get("name", "").strip()[:MAX_NAME_CHARS] or "API key"
    _, value = await create_api_key(get_session(request), me.enterprise_id, name)
    return await _page(request, me, created=value)


@router.post(KEYS_PAGE + "/{key_id}/revoke")
async def revoke(request: Request, key_id: int, me: Admin) -> Response:
    require_admin(me)
    try:
        await revoke_api_key(get_session(request), me.enterprise_id, key_id)
    except NotFound as exc:
        raise NotFound("app.keys.unknown") from exc
    return finish(request, RedirectResponse(f"{KEYS_PAGE}?done=revoked", status_code=303))
