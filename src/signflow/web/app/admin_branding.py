"""The enterprise admin's branding page: the display name, accent colour and logo the
signer pages and mails show (`branding.set_branding`, as the API's
`PUT enterprise/settings/branding`), with a preview of a signer's page in those colours,
and the enterprise's default language (`branding.set_default_language`, as
`PUT enterprise/settings/language`). The core checks every value before anything
changes: a refused colour or logo leaves the saved branding as it was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.principal import Principal
from signflow.accounts.users import require_admin
from signflow.branding import (
    DEFAULT_ACCENT,
    MAX_LOGO_BYTES,
    MAX_LOGO_PIXELS,
    branding_of,
    check_accent,
    set_branding,
    set_default_language,
)
from signflow.branding.colors import darker
from signflow.errors import BadRequest, NotFound
from signflow.faces.form_upload import is_form
from signflow.faces.routing import get_session
from signflow.models import Enterprise
from signflow.web.app.csrf import read_form
from signflow.web.app.multipart_form import read_multipart
from signflow.web.app.pages import finish, render
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.web.branding import logo_url

BRANDING_PAGE = "/app/admin/branding"
PREVIEW_CSS = BRANDING_PAGE + "/preview/{color}.css"
MAX_NAME_CHARS = 200
NOTICES = {"saved": "app.branding.saved", "language": "app.branding.language_saved"}

router = app_router()
Admin = Annotated[Principal, Depends(app_principal)]


@dataclass(frozen=True)
class BrandingForm:
    """What the branding form posted: the logo's bytes when a file was chosen."""

    display_name: str
    accent_color: str
    logo: bytes | None
    remove_logo: bool


async def _posted(request: Request) -> BrandingForm:
    """The form as multipart (with a logo file) or url-encoded (without one)."""
    if is_form(request.headers.get("content-type")):
        multipart = await read_multipart(request)
        values = multipart.values
        logo = multipart.files[0].data if multipart.files else None
    else:
        values, logo = await read_form(request), None
    return BrandingForm(
        display_name=values.get("display_name", "")[:MAX_NAME_CHARS],
        accent_color=values.get("accent_color", "").strip(),
        logo=logo,
        remove_logo=values.get("remove_logo") in ("1", "on", "true"),
    )


async def _enterprise(request: Request, me: Principal) -> Enterprise:
    require_admin(me)
    return await get_session(request).get_one(Enterprise, me.enterprise_id)


def preview_css_url(accent: str) -> str:
    return PREVIEW_CSS.format(color=accent.removeprefix("#"))


async def _page(
    request: Request,
    enterprise: Enterprise,
    status_code: int = 200,
    error: str | None = None,
    asked: BrandingForm | None = None,
) -> Response:
    branding = branding_of(enterprise)
    return render(
        request,
        "app/admin_branding.html",
        status_code=status_code,
        saved=branding,
        saved_logo_url=logo_url(branding),
        # After a refusal the form shows what was asked (the preview keeps the saved look).
        display_name=asked.display_name if asked else (branding.display_name or ""),
        accent_color=asked.accent_color if asked else branding.accent,
        preview_css=preview_css_url(branding.accent),
        default_accent=DEFAULT_ACCENT,
        max_logo_kb=MAX_LOGO_BYTES // 1024,
        max_logo_pixels=MAX_LOGO_PIXELS,
        default_language=enterprise.default_language or "",
        notice=NOTICES.get(request.query_params.get("done", "")),
        error=error,
    )


def _back(request: Request, done: str) -> Response:
    target = f"{BRANDING_PAGE}?done={done}"
    return finish(request, RedirectResponse(target, status_code=303))


@router.get(BRANDING_PAGE)
async def branding_page(request: Request, me: Admin) -> Response:
    return await _page(request, await _enterprise(request, me))


@router.post(BRANDING_PAGE)
async def save_branding(request: Request, me: Admin) -> Response:
    """The name, colour and logo together, as the API's PUT replaces all three: a new
    file replaces the logo, "remove" clears it, else the saved one stays."""
    enterprise = await _enterprise(request, me)
    form = await _posted(request)
    try:
        set_branding(
            enterprise,
            display_name=form.display_name,
            accent_color=form.accent_color or None,
            logo=None if form.remove_logo else form.logo,
            keep_logo=not form.remove_logo and form.logo is None,
        )
    except BadRequest as exc:
        return await _page(request, enterprise, exc.status_code, exc.message, form)
    await get_session(request).flush()
    return _back(request, "saved")


@router.post(BRANDING_PAGE + "/language")
async def save_language(request: Request, me: Admin) -> Response:
    enterprise = await _enterprise(request, me)
    try:
        set_default_language(enterprise, (await read_form(request)).get("default_language"))
    except BadRequest as exc:
        return await _page(request, enterprise, exc.status_code, exc.message)
    await get_session(request).flush()
    return _back(request, "language")


@router.get(PREVIEW_CSS)
async def preview_stylesheet(color: str) -> Response:
    """The preview's colours (the CSP allows no inline style): the accent the signer
    pages' stylesheet would set, scoped to the preview."""
    try:
        accent = check_accent(f"#{color}")
    except BadRequest as exc:
        raise NotFound("error.link") from exc
    css = f".brand-preview {{ --brand: {accent}; --brand-dark: {darker(accent)}; }}\n"
    return Response(
        css,
        media_type="text/css",
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )
