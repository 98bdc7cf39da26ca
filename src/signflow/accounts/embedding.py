"""Where an integration application's signing pages may be framed, and where they return.

An application's `allowed_domains` become the signing pages' CSP frame-ancestors and the
target origins of their postMessage (`signflow.web.embedding`); its `callback_url` is
where a finished signing sends the top window. Both are set here, for the admin
endpoint and the command line, and checked: an origin is `https://host[:port]`, or
`http://` on a loopback host (localhost, 127.0.0.0/8, ::1) outside production; a
callback is an https URL (http on loopback likewise) on one of those origins' hosts.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Environment, Settings
from signflow.errors import BadRequest, NotFound
from signflow.models import Application

MAX_ORIGINS = 20
MAX_URL_CHARS = 2000
NO_SUCH_APPLICATION = "No such application in this enterprise"


@dataclass(frozen=True)
class Embedding:
    allowed_origins: list[str]
    callback_url: str | None


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _scheme_allowed(scheme: str, host: str, settings: Settings) -> bool:
    if scheme == "https":
        return True
    return scheme == "http" and settings.env is not Environment.PRODUCTION and _loopback(host)


def check_origin(value: str, settings: Settings) -> str:
    """The origin as browsers write it (`scheme://host[:port]`, lower case), or BadRequest."""
    text = value.strip()
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError as exc:
        raise BadRequest(f"'{text}' has an invalid port") from exc
    host = (parts.hostname or "").lower()
    if not host or parts.path not in ("", "/") or parts.query or parts.fragment or "*" in host:
        raise BadRequest(f"'{text}' is not an origin: write scheme://host[:port], no path")
    if parts.username or parts.password:
        raise BadRequest(f"'{text}' must not carry a user name or password")
    scheme = parts.scheme.lower()
    if not _scheme_allowed(scheme, host, settings):
        raise BadRequest(
            f"'{text}' must be an https origin (http only on a loopback host in development)"
        )
    shown = f"[{host}]" if ":" in host else host
    default = {"https": 443, "http": 80}[scheme]
    return f"{scheme}://{shown}" + (f":{port}" if port and port != default else "")


def check_callback(value: str, origins: list[str], settings: Settings) -> str:
    text = value.strip()
    if len(text) > MAX_URL_CHARS:
        raise BadRequest(f"callback_url must be at most {MAX_URL_CHARS} characters")
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if not host or not _scheme_allowed(parts.scheme.lower(), host, settings):
        raise BadRequest(
            "callback_url must be an https URL (http only on a loopback host in development)"
        )
    hosts = {urlsplit(origin).hostname for origin in origins}
    if origins and host not in hosts:
        raise BadRequest("callback_url must be on the host of one of the allowed origins")
    return text


def check_embedding(origins: list[str], callback_url: str | None, settings: Settings) -> Embedding:
    if len(origins) > MAX_ORIGINS:
        raise BadRequest(f"At most {MAX_ORIGINS} allowed origins")
    checked = list(dict.fromkeys(check_origin(origin, settings) for origin in origins))
    callback = check_callback(callback_url, checked, settings) if callback_url else None
    return Embedding(checked, callback)


async def enterprise_application(
    session: AsyncSession, enterprise_id: int, application_id: int
) -> Application:
    application = await session.scalar(
        select(Application).where(
            Application.id == application_id, Application.enterprise_id == enterprise_id
        )
    )
    if application is None:
        raise NotFound(NO_SUCH_APPLICATION, value=str(application_id))
    return application


async def list_applications(session: AsyncSession, enterprise_id: int) -> list[Application]:
    rows = await session.scalars(
        select(Application)
        .where(Application.enterprise_id == enterprise_id)
        .order_by(Application.id)
    )
    return list(rows)


def set_embedding(application: Application, embedding: Embedding) -> None:
    application.allowed_domains = list(embedding.allowed_origins)
    application.callback_url = embedding.callback_url
