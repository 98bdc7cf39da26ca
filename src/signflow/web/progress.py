"""The package owner's own progress view: a read-only page behind a signed link.

`POST /v4/links/progress {package_id}` (and /v3) by the package's owner (or an
enterprise admin scoped as the owner) answers `{url}`: `/web/progress/{token}`, a
token signed for this purpose only, valid one hour and as often as the owner likes
(reloading the page is the point). It names the package and the owner's user id;
it is not a bearer token and opens nothing else.

`GET /web/progress/{token}` reads, in a read-only transaction, what the API's
`GET /packages/{id}/workflow` and `/log` read (`get_workflow`, `list_history`), as
the owner, and shows it: the package and its status, the documents, the recipients
in order with who is next, and the last history entries. No forms, no session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from signflow.accounts.principal import Principal
from signflow.errors import Forbidden, NotFound
from signflow.faces.routing import (
    ReadOnly,
    SessionDep,
    SettingsDep,
    TransactionalRoute,
    get_context,
    get_session,
    read_only_transaction,
)
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.models import (
    Enterprise,
    HistoryEntry,
    ProcessStatus,
    Recipient,
    User,
    WorkflowStatus,
)
from signflow.packages.access import Need, get_package
from signflow.packages.content import document_bytes
from signflow.sealing import ExpiredToken, InvalidToken, read_token, sign_token
from signflow.web.branding import remember as remember_branding
from signflow.web.i18n import has_text
from signflow.web.pages import render
from signflow.web.routes import WebRoute, pdf_attachment
from signflow.web.signature_requests import Gone
from signflow.workflow.common import next_to_act
from signflow.workflow.history import list_history
from signflow.workflow.settings import WorkflowView, get_workflow

PROGRESS_LINK_PURPOSE = "signflow/progress-link/v1"
PROGRESS_LINK_TTL_SECONDS = 3600
PROGRESS_PATH = "/web/progress/{token}"
# How many history entries the page shows, newest first.
HISTORY_SHOWN = 15

api_router = APIRouter(route_class=TransactionalRoute, tags=["links"])
page_router = APIRouter(route_class=WebRoute, include_in_schema=False)


class ProgressLinkBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    package_id: int


class ProgressLink(BaseModel):
    url: str


@api_router.post("/v3/links/progress", dependencies=[ReadOnly], response_model=ProgressLink)
@api_router.post("/v4/links/progress", dependencies=[ReadOnly], response_model=ProgressLink)
async def create_progress_link(
    body: ProgressLinkBody, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> ProgressLink:
    """A link to the owner's read-only progress page of the package (one hour)."""
    access = await get_package(session, principal, body.package_id, Need.OWN)
    token = sign_token(
        settings.effective_secret_key,
        PROGRESS_LINK_PURPOSE,
        {"p": access.package.id, "u": access.package.owner_id},
        PROGRESS_LINK_TTL_SECONDS,
    )
    return ProgressLink(url=f"{settings.base_url.rstrip('/')}/web/progress/{token}")


@dataclass(frozen=True)
class PersonRow:
    order: int
    name: str
    email: str
    role: str
    status: str  # a key of the texts: status.*
    when: dt.datetime | None
    reason: str | None
    is_next: bool
    is_blocked: bool = False


@dataclass(frozen=True)
class HistoryRow:
    action: str
    who: str
    when: dt.datetime


def _status_key(recipient: Recipient) -> str:
    if recipient.process_status == ProcessStatus.IN_PROGRESS.value:
        return "owner.status.turn"
    return f"status.{recipient.process_status}"


def people_rows(recipients: list[Recipient], package_status: str) -> list[PersonRow]:
    """The recipients in order, and who must act next: those whose turn is open,
    else the first group still waiting (as the signer's own page shows it)."""
    next_ids = next_to_act(package_status, recipients)
    return [
        PersonRow(
            order=r.position,
            name=r.name or r.email,
            email=r.email,
            role=r.role,
            status=_status_key(r),
            when=r.processed_on or r.finished_at,
            reason=r.reason if r.process_status == ProcessStatus.DECLINED.value else None,
            # A blocked recipient cannot act until the owner unblocks them: not "next".
            is_next=r.id in next_ids and r.process_status != ProcessStatus.BLOCKED.value,
            is_blocked=r.process_status == ProcessStatus.BLOCKED.value,
        )
        for r in recipients
    ]


def history_rows(entries: list[HistoryEntry]) -> list[HistoryRow]:
    rows = []
    for entry in reversed(entries[-HISTORY_SHOWN:]):
        key = f"history.{entry.action}"
        action = key if has_text(key) else entry.action.replace("_", " ").capitalize()
        who = entry.user_name or entry.user_email or ""
        rows.append(HistoryRow(action, who, entry.created_at))
    return rows


def when(moment: dt.datetime | None) -> str:
    """A moment as the page shows it: UTC, to the minute."""
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()


async def _owner(request: Request, payload: dict[str, object]) -> tuple[int, Principal]:
    package_id, user_id = payload.get("p"), payload.get("u")
    if not isinstance(package_id, int) or not isinstance(user_id, int):
        raise Forbidden("error.link")
    session = get_session(request)
    owner = await session.get(User, user_id)
    if owner is None or not owner.is_active:
        raise Forbidden("error.link")
    enterprise = await session.get(Enterprise, owner.enterprise_id)
    if enterprise is None or not enterprise.is_active:
        raise Forbidden("error.link")
    remember_branding(request, enterprise)
    # The owner's profile language, else their enterprise's default; `?lang=` still wins.
    request.state.reader_language = owner.language or enterprise.default_language
    return package_id, Principal(user=owner, enterprise=enterprise, grant_id=0)


async def _owners_view(request: Request, token: str) -> tuple[Principal, WorkflowView]:
    """The package the link names, read as its owner (still its owner)."""
    await read_only_transaction(request)
    settings = get_context(request).settings
    try:
        payload = read_token(settings.effective_secret_key, PROGRESS_LINK_PURPOSE, token)
    except ExpiredToken as exc:
        raise Gone("owner.expired") from exc
    except InvalidToken as exc:
        raise Forbidden("error.link") from exc
    package_id, principal = await _owner(request, payload)
    try:
        view = await get_workflow(get_session(request), principal, package_id)
    except NotFound as exc:
        raise NotFound("owner.gone") from exc
    if view.package.owner_id != principal.user.id:  # given away since the link was made
        raise Forbidden("error.link")
    return principal, view


@page_router.get(PROGRESS_PATH + "/documents/{document_id}/file")
async def completed_document(token: str, document_id: int, request: Request) -> Response:
    """A signed document of a completed package, for its owner."""
    _, view = await _owners_view(request, token)
    if view.package.status != WorkflowStatus.COMPLETED.value:
        raise Forbidden("owner.not_completed")
    document = next((d for d in view.documents if d.id == document_id), None)
    if document is None:
        raise NotFound("error.link")
    data = await document_bytes(get_context(request).blobs, document)
    return pdf_attachment(data, document.name)


@page_router.get(PROGRESS_PATH)
async def progress_page(token: str, request: Request) -> Response:
    principal, view = await _owners_view(request, token)
    package_id = view.package.id
    session = get_session(request)
    _, entries = await list_history(session, principal, package_id)
    people = people_rows(view.recipients, view.package.status)
    return render(
        request,
        "owner_progress.html",
        None,
        package=view.package,
        documents=view.documents,
        people=people,
        next_people=[p for p in people if p.is_next],
        blocked_people=[p for p in people if p.is_blocked],
        downloads=view.package.status == WorkflowStatus.COMPLETED.value,
        token=token,
        history=history_rows(entries),
        when=when,
        iso=iso,
        this_url=request.url.path,
    )
