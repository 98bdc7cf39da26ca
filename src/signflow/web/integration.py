"""Integration links: the business application embeds the signing page in its own page.

`POST /v4/links/integration {package_id, user_email, language?, callback_url?}` by
the package's owner answers `{url}`: a link valid for a few minutes and for one
use. Loading it shows a page that opens it (a POST, sent at once by the page's
script): a frame the browser refuses never opens it. Opening it starts a signer
session for that recipient whose pages may be framed only by the calling
application's allowed origins (CSP frame-ancestors), whose outcomes are posted to
the parent page (`signflow.web.embedding`), and whose finish or decline sends the
top window to `callback_url`.

Single use is kept in the package's history: opening writes an
INTEGRATION_LINK_OPENED entry naming the link's nonce, under the package row
lock, and a nonce already there is refused.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from signflow.accounts.principal import Principal
from signflow.audit.history import record
from signflow.errors import BadRequest, NotFound, PayloadTooLarge
from signflow.faces.bodies import read_limited
from signflow.faces.routing import SessionDep, SettingsDep, TransactionalRoute, get_context
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.models import Application, HistoryEntry, Package, TokenGrant
from signflow.packages.access import Need, get_package
from signflow.sealing import InvalidToken, read_token, sign_token
from signflow.web.branding import recipient_language
from signflow.web.branding import remember as remember_branding
from signflow.web.i18n import supported
from signflow.web.pages import render
from signflow.web.routes import FORM_TOO_LARGE, WebRoute, _actor, _landing
from signflow.web.session import new_session
from signflow.workflow.recipient_session import (
    member_link_id_in_package,
    recipient_in_package,
    recipient_session,
)

INTEGRATION_LINK_PURPOSE = "signflow/integration-link/v1"
INTEGRATION_LINK_TTL_SECONDS = 300
OPENED_ACTION = "INTEGRATION_LINK_OPENED"
NO_SUCH_RECIPIENT = "No user found with the given email in this package"
INTEGRATION_PATH = "/web/integration/{token}"
OPEN_PATH = "/web/integration"
MAX_OPEN_FORM_BYTES = 8 * 1024

api_router = APIRouter(route_class=TransactionalRoute, tags=["integration"])
page_router = APIRouter(route_class=WebRoute, include_in_schema=False)


class IntegrationLinkBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    package_id: int
    user_email: str = Field(min_length=3, max_length=320)
    language: str | None = Field(default=None, max_length=20)
    callback_url: str | None = Field(default=None, max_length=2000)


class IntegrationLink(BaseModel):
    url: str


async def _application(session: SessionDep, principal: Principal) -> Application:
    application = await session.scalar(
        select(Application)
        .join(TokenGrant, TokenGrant.application_id == Application.id)
        .where(TokenGrant.id == principal.grant_id)
    )
    if application is None:  # a grant always names its application
        raise BadRequest("The token's application is unknown")
    return application


def _host_allowed(host: str, domains: list[str]) -> bool:
    host = host.lower()
    for domain in domains:
        name = (urlsplit(domain).hostname if "://" in domain else domain.split(":")[0]) or ""
        name = name.lower().lstrip("*.")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _check_callback(url: str, domains: list[str]) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("callback_url must be an http or https URL")
    if domains and not _host_allowed(parts.hostname, domains):
        raise BadRequest("callback_url must be on one of the application's allowed domains")
    return url


@api_router.post("/v4/links/integration", response_model=IntegrationLink)
async def create_integration_link(
    body: IntegrationLinkBody,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
) -> IntegrationLink:
    access = await get_package(session, principal, body.package_id, Need.OWN)
    email = body.user_email.strip().lower()
    recipient = await recipient_in_package(session, access.package.id, email)
    # A member of a group no member acted for yet gets their own link, as by e-mail.
    link_id = (
        recipient.public_id
        if recipient is not None
        else await member_link_id_in_package(session, access.package.id, email)
    )
    if link_id is None:
        raise NotFound(NO_SUCH_RECIPIENT, value=body.user_email)
    application = await _application(session, principal)
    callback = body.callback_url or application.callback_url
    payload: dict[str, object] = {
        "r": link_id,
        "n": secrets.token_urlsafe(16),
        "a": application.id,
    }
    if callback:
        payload["cb"] = _check_callback(callback, list(application.allowed_domains or []))
    language = supported(body.language)
    if language:
        payload["l"] = language
    token = sign_token(
        settings.effective_secret_key,
        INTEGRATION_LINK_PURPOSE,
        payload,
        INTEGRATION_LINK_TTL_SECONDS,
    )
    return IntegrationLink(url=f"{settings.base_url.rstrip('/')}/web/integration/{token}")


def _payload(request: Request, token: str) -> dict[str, object]:
    settings = get_context(request).settings
    try:
        return read_token(settings.effective_secret_key, INTEGRATION_LINK_PURPOSE, token)
    except InvalidToken as exc:
        raise NotFound("error.link") from exc


async def _frame_ancestors(request: Request, payload: dict[str, object]) -> tuple[str, ...]:
    application = await request.state.session.get(Application, int(str(payload.get("a", 0))))
    return tuple(str(d) for d in (application.allowed_domains if application else []) or [])


@page_router.get(INTEGRATION_PATH)
async def integration_link_page(token: str, request: Request) -> Response:
    """The link's first page, under the application's frame-ancestors: a browser that
    refuses to frame it never runs its script nor shows its button, so a refused load
    leaves the link unused. Opening is the page's POST (sent at once by app.js)."""
    payload = _payload(request, token)
    rs = await recipient_session(request.state.session, str(payload.get("r", "")))
    remember_branding(request, rs.principal.enterprise)
    nonce = str(payload.get("n", ""))
    if not nonce:
        raise NotFound("error.link")
    # A session-shaped value only for the headers (frame-ancestors): no cookie is written.
    headers_only = new_session("", frame_ancestors=await _frame_ancestors(request, payload))
    language = payload.get("l")
    if not isinstance(language, str):
        language = recipient_language(rs.recipient, rs.principal.enterprise)
    if isinstance(language, str):
        headers_only = headers_only.with_language(language)
    return render(request, "integration_open.html", headers_only, token=token)


@page_router.post(OPEN_PATH)
async def open_integration_link(request: Request) -> Response:
    raw = await read_limited(request, MAX_OPEN_FORM_BYTES, lambda: PayloadTooLarge(FORM_TOO_LARGE))
    form = dict(parse_qsl(raw.decode("utf-8", errors="replace")))
    payload = _payload(request, form.get("token", ""))
    session = request.state.session
    rs = await recipient_session(session, str(payload.get("r", "")))
    remember_branding(request, rs.principal.enterprise)
    # The package row lock orders concurrent opens of one link: the second sees the first.
    await session.scalar(select(Package.id).where(Package.id == rs.package.id).with_for_update())
    nonce = str(payload.get("n", ""))
    opened = await session.scalars(
        select(HistoryEntry.details).where(
            HistoryEntry.package_id == rs.package.id, HistoryEntry.action == OPENED_ACTION
        )
    )
    if not nonce or any(isinstance(d, dict) and d.get("nonce") == nonce for d in opened):
        raise NotFound("error.link")
    await record(
        session,
        rs.package.id,
        OPENED_ACTION,
        _actor(request, rs),
        {"nonce": nonce, "order": rs.recipient.position, "application_id": payload.get("a")},
    )
    domains = await _frame_ancestors(request, payload)
    callback = payload.get("cb")
    language = payload.get("l")
    web = new_session(
        str(payload.get("r", "")),  # the link's id: a recipient's, or a group member's
        language=(
            language
            if isinstance(language, str)
            else recipient_language(rs.recipient, rs.principal.enterprise)
        ),
        callback_url=callback if isinstance(callback, str) else None,
        frame_ancestors=domains,
    )
    return _landing(request, web)
