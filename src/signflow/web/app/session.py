"""The web app's sign-in session: an opaque cookie naming a row of `app_sessions`.

The cookie holds a random value; the table keeps only its SHA-256, with who signed in,
when, from where, until when, and whether it was revoked. A session ends at its
expiry, after `IDLE_SECONDS` without a request, at sign-out, or when revoked from the
sessions page. The cookie is HttpOnly, SameSite=Lax, Path=/app, and Secure when the
installation is served over https.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.credentials import hash_secret, new_secret
from signflow.accounts.principal import Principal
from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import SignflowError
from signflow.faces.routing import client_address, get_context, get_session
from signflow.models import AppSession, Enterprise, User

APP_PATH = "/app"
SIGNIN_PAGE = "/app/signin"
SESSION_COOKIE = "signflow_app"
LIFETIME_SECONDS = 12 * 3600
IDLE_SECONDS = 2 * 3600
# last_seen_at is written at most this often, not on every request.
SEEN_RESOLUTION_SECONDS = 60
# A principal of the app has no API token grant: 0, as for the signer pages.
NO_GRANT = 0


class SignInRequired(SignflowError):
    """No live session: the browser is sent to the sign-in page (303)."""

    status_code = 303
    default_message = "app.signin.required"


@dataclass(frozen=True)
class Viewer:
    """Who the page is for, copied out of the request's transaction: an error page is
    rendered after it rolled back, when its rows can no longer be read."""

    name: str
    email: str
    enterprise: str
    language: str | None
    is_admin: bool


@dataclass(frozen=True)
class Started:
    cookie_value: str
    row: AppSession


def secure_cookies(settings: Settings) -> bool:
    return settings.base_url.lower().startswith("https://")


def _user_agent(request: Request) -> str | None:
    return (request.headers.get("user-agent") or "")[:500] or None


async def start_session(
    session: AsyncSession, request: Request, user: User, method: str = "password"
) -> Started:
    """A new session for `user` in this browser; the caller writes its cookie."""
    value = new_secret("sfs_")
    now = utcnow()
    row = AppSession(
        token_hash=hash_secret(value),
        user_id=user.id,
        enterprise_id=user.enterprise_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(seconds=LIFETIME_SECONDS),
        ip_address=(client_address(request) or "")[:64] or None,
        user_agent=_user_agent(request),
        method=method,
    )
    session.add(row)
    await session.flush()
    return Started(value, row)


def set_app_cookie(
    response: Response,
    settings: Settings,
    name: str,
    value: str,
    max_age: int | None = None,
    path: str = APP_PATH,
) -> None:
    """Every cookie of the app: out of scripts' reach, HTTPS-only where the app is served
    over HTTPS, and not sent with cross-site requests."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        secure=secure_cookies(settings),
        samesite="lax",
    )


def write_cookie(response: Response, settings: Settings, value: str) -> None:
    set_app_cookie(response, settings, SESSION_COOKIE, value, max_age=LIFETIME_SECONDS)


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=APP_PATH,
        httponly=True,
        secure=secure_cookies(settings),
        samesite="lax",
    )


def _alive(row: AppSession, now: dt.datetime) -> bool:
    idle_until = row.last_seen_at + dt.timedelta(seconds=IDLE_SECONDS)
    return row.revoked_at is None and now < row.expires_at and now < idle_until


async def current_session(request: Request) -> AppSession | None:
    """This browser's live session row, or None (no cookie, unknown, ended)."""
    cached = getattr(request.state, "app_session", None)
    if isinstance(cached, AppSession):
        return cached
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    session = get_session(request)
    row = await session.scalar(
        select(AppSession).where(AppSession.token_hash == hash_secret(value))
    )
    now = utcnow()
    if row is None or not _alive(row, now):
        return None
    if (now - row.last_seen_at).total_seconds() >= SEEN_RESOLUTION_SECONDS:
        row.last_seen_at = now
    request.state.app_session = row
    return row


async def app_principal(request: Request) -> Principal:
    """The signed-in account holder, as the API's `Principal` of their enterprise;
    an anonymous browser (or one whose account or enterprise was disabled) is sent to
    the sign-in page."""
    row = await current_session(request)
    if row is None:
        raise SignInRequired()
    session = get_session(request)
    user = await session.get(User, row.user_id)
    enterprise = await session.get(Enterprise, row.enterprise_id)
    if (
        user is None
        or enterprise is None
        or user.enterprise_id != enterprise.id
        or not (user.is_active and enterprise.is_active)
        or user.email_verified_at is None
    ):
        raise SignInRequired()
    principal = Principal(
        user=user,
        enterprise=enterprise,
        grant_id=NO_GRANT,
        must_change_password=user.must_change_password,
    )
    request.state.app_viewer = Viewer(
        user.name, user.email, enterprise.name, user.language, user.is_admin
    )
    return principal


async def end_session(session: AsyncSession, row: AppSession) -> None:
    row.revoked_at = utcnow()
    await session.flush()


async def sessions_of(session: AsyncSession, principal: Principal) -> list[AppSession]:
    """The user's live sessions, newest first."""
    now = utcnow()
    rows = await session.scalars(
        select(AppSession)
        .where(
            AppSession.user_id == principal.user.id,
            AppSession.enterprise_id == principal.enterprise_id,
            AppSession.revoked_at.is_(None),
            AppSession.expires_at > now,
        )
        .order_by(AppSession.created_at.desc(), AppSession.id.desc())
    )
    return [row for row in rows if _alive(row, now)]


async def revoke_session(session: AsyncSession, principal: Principal, session_id: int) -> bool:
    """Revoke one of the caller's own sessions; False when it is not theirs (or gone)."""
    result = await session.execute(
        update(AppSession)
        .where(
            AppSession.id == session_id,
            AppSession.user_id == principal.user.id,
            AppSession.enterprise_id == principal.enterprise_id,
            AppSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def settings_of(request: Request) -> Settings:
    return get_context(request).settings
