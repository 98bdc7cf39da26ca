"""Signing in to the web app with an enterprise's OpenID Connect provider.

`/app/sso` asks for the e-mail address and sends the browser on to the sign-in address
of the enterprise whose account proved it; `/app/sso/{signin_key}` (the address an
admin hands out, which also serves people whose account a first sign-in creates)
sends the browser to the provider with a fresh state, nonce and PKCE challenge, kept
in a short-lived signed cookie; `/app/sso/callback` checks the state, exchanges the
code, checks the ID token (`accounts/oidc.py`) and signs in the account it names
(`accounts/sso.py`).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts import oidc
from signflow.accounts.sso import (
    account_for,
    client_secret,
    sso_by_signin_key,
    sso_for_address,
    sso_of,
)
from signflow.errors import BadRequest, NotFound
from signflow.faces.routing import get_context, get_session
from signflow.sealing import InvalidToken, read_token, sign_token
from signflow.web.app.csrf import read_form
from signflow.web.app.pages import finish, render
from signflow.web.app.routing import app_router, local_target
from signflow.web.app.session import set_app_cookie, start_session, write_cookie

STATE_COOKIE = "signflow_app_sso"
STATE_PURPOSE = "signflow/app-sso/v1"
STATE_PATH = "/app/sso"
STATE_TTL_SECONDS = 600
CALLBACK_PATH = "/app/sso/callback"
HOME = "/app/"

router = app_router()


class SsoStateInvalid(BadRequest):
    default_message = "sso.state"


def _form(
    request: Request,
    email: str = "",
    error: str | None = None,
    after: str | None = None,
    continue_to: str | None = None,
) -> Response:
    return render(
        request,
        "app/sso.html",
        status_code=404 if error else 200,
        email=email,
        error=error,
        next=after or local_target(request.query_params.get("next")) or "",
        continue_to=continue_to,
    )


@router.get("/app/sso")
async def sso_page(request: Request) -> Response:
    return _form(request)


@router.post("/app/sso")
async def sso_by_address(request: Request) -> Response:
    form = await read_form(request)
    email = form.get("email", "").strip().lower()[:320]
    row = await sso_for_address(get_session(request), email)
    after = local_target(form.get("next"))
    if row is None:
        return _form(request, email, "app.sso.unknown", after)
    target = f"/app/sso/{row.signin_key}"
    if after:
        target += "?" + urlencode({"next": after})
    # A link, not a redirect: a form's CSP (form-action 'self') would stop the redirect
    # chain at the provider's origin.
    return _form(request, email, after=after, continue_to=target)


def _redirect_uri(request: Request) -> str:
    return get_context(request).settings.base_url.rstrip("/") + CALLBACK_PATH


@router.get(CALLBACK_PATH)
async def callback(request: Request) -> Response:
    context = get_context(request)
    settings = context.settings
    try:
        kept = read_token(
            settings.effective_secret_key, STATE_PURPOSE, request.cookies.get(STATE_COOKIE, "")
        )
    except InvalidToken as exc:
        raise SsoStateInvalid() from exc
    state = request.query_params.get("state", "")
    if not hmac.compare_digest(str(kept.get("s", "")), state) or not state:
        raise SsoStateInvalid()
    code = request.query_params.get("code", "")
    if not code:  # the provider's own refusal (error=access_denied...)
        raise oidc.ProviderError()
    session = get_session(request)
    row = await sso_of(session, int(kept.get("e", 0)))
    if row is None:
        raise SsoStateInvalid()
    provider = await oidc.discover(row.issuer)
    identity = await oidc.finish(
        provider,
        client_id=row.client_id,
        client_secret=client_secret(settings, row),
        redirect_uri=_redirect_uri(request),
        code=code,
        code_verifier=str(kept.get("v", "")),
        nonce=str(kept.get("n", "")),
    )
    user = await account_for(session, row, identity)
    started = await start_session(session, request, user, method="sso")
    response = RedirectResponse(local_target(str(kept.get("x", ""))) or HOME, status_code=303)
    write_cookie(response, settings, started.cookie_value)
    response.delete_cookie(STATE_COOKIE, path=STATE_PATH)
    return finish(request, response)


@router.get("/app/sso/{signin_key}")
async def start_sso(request: Request, signin_key: str) -> Response:
    settings = get_context(request).settings
    row = await sso_by_signin_key(get_session(request), signin_key)
    if row is None:
        raise NotFound("app.sso.unknown")
    provider = await oidc.discover(row.issuer)
    started = oidc.start(provider, row.client_id, _redirect_uri(request))
    kept = {
        "e": row.enterprise_id,
        "s": started.state,
        "n": started.nonce,
        "v": started.code_verifier,
        "x": local_target(request.query_params.get("next")) or "",
    }
    token = sign_token(settings.effective_secret_key, STATE_PURPOSE, kept, STATE_TTL_SECONDS)
    response = RedirectResponse(started.url, status_code=303)
    set_app_cookie(
        response, settings, STATE_COOKIE, token, max_age=STATE_TTL_SECONDS, path=STATE_PATH
    )
    # The provider's page is another origin: the redirect to it must not be blocked.
    return finish(request, response)
