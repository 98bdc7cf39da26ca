"""CSRF protection of the web app: a per-session token in every form, checked on every
unsafe request.

The token is an HMAC, under the installation's secret, of the browser's session
cookie (or, before sign-in, of a random cookie of its own, so that the sign-in form
is protected too): it changes with each session, a page from another site cannot
read it, and nothing needs to be stored. Templates put it in forms with
`csrf_field()`; scripts send it in the `X-CSRF-Token` header. `check_csrf`, a
dependency of every app route, refuses (403) a POST, PUT, PATCH or DELETE without
the right token, or sent from another origin.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl, urlsplit

from fastapi import Request, Response
from markupsafe import Markup, escape

from signflow.errors import PayloadTooLarge, SignflowError
from signflow.faces.bodies import read_limited
from signflow.web.app.multipart_form import read_multipart
from signflow.web.app.session import SESSION_COOKIE, set_app_cookie, settings_of

FORM_FIELD = "csrf"
HEADER = "x-csrf-token"
SEED_COOKIE = "signflow_app_csrf"
PURPOSE = b"signflow/app-csrf/v1|"
MAX_FORM_BYTES = 64 * 1024
FORM_TOO_LARGE = "The form is too large"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(SignflowError):
    status_code = 403
    default_message = "error.csrf"


def _seed(request: Request) -> str:
    """What the token is bound to: the session cookie, else the pre-session cookie (made
    now, and written with the page, when the browser has neither)."""
    for name in (SESSION_COOKIE, SEED_COOKIE):
        value = request.cookies.get(name)
        if value:
            return value
    fresh = getattr(request.state, "new_csrf_seed", None)
    if not isinstance(fresh, str):
        fresh = secrets.token_urlsafe(32)
        request.state.new_csrf_seed = fresh
    return fresh


def _token_for(request: Request, seed: str) -> str:
    key = settings_of(request).effective_secret_key.encode()
    digest = hmac.new(key, PURPOSE + seed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_token(request: Request) -> str:
    return _token_for(request, _seed(request))


def csrf_field(request: Request) -> Markup:
    """The hidden form field that carries the token."""
    token = escape(csrf_token(request))
    return Markup(f'<input type="hidden" name="{FORM_FIELD}" value="{token}">')  # noqa: S704


def write_seed(request: Request, response: Response) -> None:
    """Give the browser the pre-session cookie a page's token was made from."""
    fresh = getattr(request.state, "new_csrf_seed", None)
    if isinstance(fresh, str):
        set_app_cookie(response, settings_of(request), SEED_COOKIE, fresh)


def _same_origin(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return True  # browsers that send no Origin: the token alone decides
    return urlsplit(origin).netloc == request.url.netloc


async def read_form(request: Request) -> dict[str, str]:
    """The posted url-encoded form (at most MAX_FORM_BYTES), read once per request."""
    cached = getattr(request.state, "app_form", None)
    if isinstance(cached, dict):
        return cached
    raw = await read_limited(request, MAX_FORM_BYTES, lambda: PayloadTooLarge(FORM_TOO_LARGE))
    form = dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
    request.state.app_form = form
    return form


async def _form_token(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return (await read_multipart(request)).values.get(FORM_FIELD)
    return (await read_form(request)).get(FORM_FIELD)


async def check_csrf(request: Request) -> None:
    """Every unsafe request to the app carries this session's token, from this origin."""
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise CsrfRejected()
    sent = request.headers.get(HEADER) or await _form_token(request)
    seed = request.cookies.get(SESSION_COOKIE) or request.cookies.get(SEED_COOKIE)
    if not sent or not seed or not hmac.compare_digest(sent, _token_for(request, seed)):
        raise CsrfRejected()
