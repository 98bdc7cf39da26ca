"""Rendering the web app's pages: the signer pages' layout, texts and security headers,
with the app's navigation, the signed-in user, the CSRF token and the language."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from signflow.web.app.csrf import csrf_field, csrf_token, write_seed
from signflow.web.app.session import Viewer, set_app_cookie, settings_of
from signflow.web.i18n import DEFAULT_LANGUAGE, from_accept_language, supported
from signflow.web.pages import environment, layout_values, security_headers

LANGUAGE_COOKIE = "signflow_app_lang"
YEAR = 365 * 24 * 3600


def signed_in(request: Request) -> Viewer | None:
    viewer = getattr(request.state, "app_viewer", None)
    return viewer if isinstance(viewer, Viewer) else None


def app_language(request: Request) -> str:
    """`?lang=` (remembered in a cookie), else the remembered choice, else the account's
    language, else the browser's, else English."""
    for choice in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        code = supported(choice)
        if code:
            return code
    viewer = signed_in(request)
    account_language = supported(viewer.language) if viewer is not None else None
    if account_language:
        return account_language
    return from_accept_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


def _remember_language(request: Request, response: Response) -> None:
    code = supported(request.query_params.get("lang"))
    if code and code != request.cookies.get(LANGUAGE_COOKIE):
        set_app_cookie(response, settings_of(request), LANGUAGE_COOKIE, code, max_age=YEAR)


def finish(request: Request, response: Response) -> Response:
    """The headers and cookies every app answer carries (pages and redirects)."""
    write_seed(request, response)
    _remember_language(request, response)
    return security_headers(response, None)


def render(
    request: Request, template: str, status_code: int = 200, **values: object
) -> HTMLResponse:
    switch = request.url.path if request.method == "GET" else None
    html = environment.get_template(template).render(
        **layout_values(request, app_language(request), switch),
        csrf_field=lambda: csrf_field(request),
        csrf_token=lambda: csrf_token(request),
        me=signed_in(request),
        path=request.url.path,
        **values,
    )
    response = HTMLResponse(html, status_code=status_code)
    finish(request, response)
    return response
