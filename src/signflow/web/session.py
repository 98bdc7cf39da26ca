"""The signer's browser session: a signed cookie bound to one recipient.

The link token from the email is read once (`GET /sign/{token}`) and never
appears in a later URL: the session cookie names the recipient's public id, a
per-session CSRF token, the language and, for integration links, where the
page may be framed and where to send the browser when done; for an OKdokument
signature request (`/openDocument/{id}`), the request's id.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import Request, Response

from signflow.config import Settings
from signflow.sealing import InvalidToken, read_token, sign_token

SESSION_COOKIE = "signflow_signer"
FLASH_COOKIE = "signflow_flash"
SESSION_PURPOSE = "signflow/web-session/v1"
FLASH_PURPOSE = "signflow/web-flash/v1"
SESSION_TTL_SECONDS = 8 * 3600
INTEGRATION_SESSION_TTL_SECONDS = 3600


@dataclass(frozen=True)
class WebSession:
    recipient: str  # the recipient's public id
    csrf: str
    language: str | None = None
    callback_url: str | None = None
    frame_ancestors: tuple[str, ...] = field(default_factory=tuple)
    request_id: str | None = None  # a signature request's id (/openDocument sessions)

    @property
    def is_integration(self) -> bool:
        return bool(self.frame_ancestors) or self.callback_url is not None

    def check_csrf(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token or "")

    def with_language(self, language: str) -> WebSession:
        return replace(self, language=language)


def new_session(
    recipient: str,
    language: str | None = None,
    callback_url: str | None = None,
    frame_ancestors: tuple[str, ...] = (),
    request_id: str | None = None,
) -> WebSession:
    return WebSession(
        recipient, secrets.token_urlsafe(24), language, callback_url, frame_ancestors, request_id
    )


def _secure(settings: Settings) -> bool:
    return settings.base_url.lower().startswith("https://")


def write_session(response: Response, settings: Settings, web: WebSession) -> None:
    payload: dict[str, Any] = {"r": web.recipient, "c": web.csrf}
    if web.language:
        payload["l"] = web.language
    if web.callback_url:
        payload["cb"] = web.callback_url
    if web.frame_ancestors:
        payload["fa"] = list(web.frame_ancestors)
    if web.request_id:
        payload["sr"] = web.request_id
    ttl = INTEGRATION_SESSION_TTL_SECONDS if web.is_integration else SESSION_TTL_SECONDS
    token = sign_token(settings.effective_secret_key, SESSION_PURPOSE, payload, ttl)
    # Framed in another site's page, the cookie must be SameSite=None, which needs Secure;
    # Partitioned (CHIPS) keeps it to that embedding site, and browsers that block
    # third-party cookies still accept it.
    if web.frame_ancestors:
        # The standard library (before 3.14) cannot write Partitioned: write the header.
        response.headers.append(
            "set-cookie",
            f"{SESSION_COOKIE}={token}; Max-Age={ttl}; Path=/; HttpOnly; Secure; "
            "SameSite=None; Partitioned",
        )
        return
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ttl,
        path="/",
        httponly=True,
        secure=_secure(settings),
        samesite="lax",
    )


def read_session(request: Request, settings: Settings) -> WebSession | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        payload = read_token(settings.effective_secret_key, SESSION_PURPOSE, raw)
    except InvalidToken:
        return None
    recipient, csrf = payload.get("r"), payload.get("c")
    if not isinstance(recipient, str) or not isinstance(csrf, str):
        return None
    language = payload.get("l")
    callback = payload.get("cb")
    ancestors = payload.get("fa")
    request_id = payload.get("sr")
    return WebSession(
        recipient=recipient,
        csrf=csrf,
        language=language if isinstance(language, str) else None,
        callback_url=callback if isinstance(callback, str) else None,
        frame_ancestors=tuple(str(a) for a in ancestors) if isinstance(ancestors, list) else (),
        request_id=request_id if isinstance(request_id, str) else None,
    )


def _framed_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    """A cookie a framed page can read back: SameSite=None, Secure, Partitioned (see
    write_session)."""
    response.headers.append(
        "set-cookie",
        f"{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; Secure; SameSite=None; Partitioned",
    )


def write_flash(
    response: Response, settings: Settings, key: str, *, framed: bool = False, **values: str
) -> None:
    """A one-time message for the next page (a refused action, a saved form); `framed`
    for an integration session's pages, whose Lax cookies a cross-site frame never sends."""
    token = sign_token(settings.effective_secret_key, FLASH_PURPOSE, {"k": key, "v": values}, 120)
    if framed:
        _framed_cookie(response, FLASH_COOKIE, token, 120)
        return
    response.set_cookie(
        FLASH_COOKIE,
        token,
        max_age=120,
        path="/",
        httponly=True,
        secure=_secure(settings),
        samesite="lax",
    )


def read_flash(request: Request, settings: Settings) -> tuple[str, dict[str, str]] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        payload = read_token(settings.effective_secret_key, FLASH_PURPOSE, raw)
    except InvalidToken:
        return None
    key, values = payload.get("k"), payload.get("v")
    if not isinstance(key, str) or not isinstance(values, dict):
        return None
    return key, {str(k): str(v) for k, v in values.items()}


def clear_flash(response: Response, framed: bool = False) -> None:
    """The flash is read: remove it (a partitioned cookie only by a partitioned removal)."""
    if framed:
        _framed_cookie(response, FLASH_COOKIE, "", 0)
    else:
        response.delete_cookie(FLASH_COOKIE, path="/")
