"""Packages: add, rename, delete, change owner, download, list."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.db import utcnow
from signflow.errors import BadRequest, NotFound
from signflow.faces.routing import (
    ContextDep,
    ReadOnly,
    SessionDep,
    SettingsDep,
    TransactionalRoute,
    empty_ok,
)
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.package_schemas import (
    OwnerChange,
    PackageCreate,
    PackageCreated,
    PackageListItem,
    PackageRename,
    SignerRef,
)
from signflow.identity.checks import require_all_opened
from signflow.packages.access import Need, get_package
from signflow.packages.content import package_file
from signflow.packages.folders import has_folder
from signflow.packages.listing import (
    Folder,
    ListedPackage,
    ListQuery,
    SortKey,
    StatusFilter,
    list_packages,
)
from signflow.packages.packages import (
    change_owner,
    create_package,
    delete_package,
    rename_package,
)
from signflow.retention.policy import RetentionPolicy

router = APIRouter(route_class=TransactionalRoute, tags=["packages"])
# Registered after every other /packages/... route: its three free segments would
# otherwise swallow paths such as packages/{id}/workflow/users.
listing_router = APIRouter(route_class=TransactionalRoute, tags=["packages"])

OCTET_STREAM = "application/octet-stream"


def attachment_headers(file_name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file_name)}"}


@router.post("/packages", response_model=PackageCreated)
async def add_package(
    body: PackageCreate, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> PackageCreated:
    package = await create_package(
        session,
        principal,
        actor,
        name=body.package_name,
        workflow_mode=body.workflow_mode,
        tags=body.tags,
    )
    return PackageCreated(
        package_id=package.id,
        workflow_mode=package.workflow_mode,
        workflow_type=package.workflow_type,
    )


@router.put("/packages/{package_id}")
async def rename(
    package_id: int,
    body: PackageRename,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await rename_package(
        session, principal, actor, package_id, name=body.package_name, tags=body.tags
    )
    return empty_ok()


@router.delete("/packages/{package_id}")
async def delete(
    package_id: int,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    policy = RetentionPolicy.from_settings(settings)
    await delete_package(session, principal, actor, package_id, policy)
    return empty_ok()


@router.put("/packages/{package_id}/owner")
async def set_owner(
    package_id: int,
    body: OwnerChange,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await change_owner(session, principal, actor, package_id, body.owner)
    return empty_ok()


@router.get(
    "/packages/{package_id}",
    response_class=Response,
    responses={200: {"content": {OCTET_STREAM: {}}}},
)
async def download_package(
    package_id: int, principal: PrincipalDep, session: SessionDep, context: ContextDep
) -> Response:
    access = await get_package(session, principal, package_id, Need.READ)
    await require_all_opened(session, access.recipients, utcnow())
    file = await package_file(session, context.blobs, access.package)
    return Response(file.data, media_type=OCTET_STREAM, headers=attachment_headers(file.file_name))


@router.get(
    "/packages/{package_id}/base64",
    response_class=Response,
    responses={200: {"content": {OCTET_STREAM: {}}}},
)
async def download_package_base64(
    package_id: int, principal: PrincipalDep, session: SessionDep, context: ContextDep
) -> Response:
    """The guide answers the file itself in base64 (not JSON), as an octet stream."""
    access = await get_package(session, principal, package_id, Need.READ)
    await require_all_opened(session, access.recipients, utcnow())
    file = await package_file(session, context.blobs, access.package)
    return Response(
        base64.b64encode(file.data),
        media_type=OCTET_STREAM,
        headers=attachment_headers(file.file_name),
    )


def decode_header(value: str | None, name: str) -> str | None:
    """A header the guide sends in base64; plain text is taken as it is (some clients
    send `INBOX`). Text that is valid base64 of printable UTF-8 is read as base64."""
    if not value or not value.strip():
        return None
    raw = value.strip()
    try:
        decoded = base64.b64decode(raw, validate=True).decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError):
        decoded = None
    if decoded is not None and decoded.isprintable():
        return decoded or None
    if not raw.isprintable():
        raise BadRequest(f"The {name} header must be text or base64-encoded UTF-8 text")
    return raw


async def folder_of(
    session: AsyncSession, principal: Principal, value: str | None
) -> tuple[Folder, str | None]:
    """(INBOX or ARCHIVE, None), or (INBOX, one of the caller's own folders)."""
    raw = " ".join((value or "").split())
    decoded = " ".join((decode_header(value, "x-folder") or Folder.INBOX.value).split())
    for candidate in (decoded, raw):
        if candidate.upper() in Folder.__members__:
            return Folder(candidate.upper()), None
    for candidate in (decoded, raw):
        if candidate and await has_folder(session, principal.user.id, candidate):
            return Folder.INBOX, candidate
    raise BadRequest(f"Unknown folder '{decoded}'; use INBOX, ARCHIVE or one of your folders")


def list_item(listed: ListedPackage) -> PackageListItem:
    package, current = listed.package, listed.current_recipients
    return PackageListItem(
        package_id=package.id,
        package_name=package.name,
        package_owner=listed.owner.email,
        owner_name=listed.owner.name,
        package_status=listed.status,
        folder=listed.folder,
        unread=listed.unread,
        next_signer=current[0].name if current else None,
        next_signer_email=[SignerRef(user_email=r.email, user_name=r.name) for r in current],
        uploaded_on=package.created_at.isoformat(),
        modified_on=package.modified_at.isoformat(),
        tags=package.tags,
    )


SORT_WORDS = {
    "NAME": SortKey.NAME,
    "PACKAGE_NAME": SortKey.NAME,
    "UPLOADED_ON": SortKey.UPLOADED_ON,
    "UPLOADED": SortKey.UPLOADED_ON,
    "CREATED_ON": SortKey.UPLOADED_ON,
    "MODIFIED_ON": SortKey.MODIFIED_ON,
    "MODIFIED": SortKey.MODIFIED_ON,
    "DATE": SortKey.MODIFIED_ON,
}
NOT_FOUND = "The requested resource was not found"


def query_value(request: Request, *names: str) -> str | None:
    """A query parameter by any of its spellings (`sort-by`, `sort_by`, `sortBy`)."""
    for name in names:
        for spelling in (name, name.replace("_", "-"), camel(name)):
            value = request.query_params.get(spelling)
            if value is not None and value.strip():
                return value.strip()
    return None


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def date_bound(value: str | None, name: str, *, end: bool) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"{name} must be an ISO 8601 date or date and time") from exc
    if end and len(value) == 10:  # a date alone includes its whole day
        moment += dt.timedelta(days=1, microseconds=-1)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def list_query(
    request: Request,
    status: StatusFilter,
    page_no: int,
    per_page: int,
    folder: tuple[Folder, str | None],
) -> ListQuery:
    search = query_value(request, "package_name", "search_text", "search")
    header_search = decode_header(request.headers.get("x-search-text"), "x-search-text")
    sort_word = (query_value(request, "sort_by", "sort") or "").upper()
    if sort_word and sort_word not in SORT_WORDS:
        raise BadRequest("sort_by must be one of " + ", ".join(SORT_WORDS))
    order = (query_value(request, "sort_order", "order") or "DESC").upper()
    if order not in ("ASC", "DESC", "ASCENDING", "DESCENDING"):
        raise BadRequest("sort_order must be ASC or DESC")
    return ListQuery(
        status=status,
        page_no=page_no,
        per_page=per_page,
        folder=folder[0],
        custom_folder=folder[1],
        search=search or header_search,
        sort=SORT_WORDS.get(sort_word, SortKey.NEWEST),
        descending=order.startswith("DESC"),
        uploaded_from=date_bound(
            query_value(request, "from_date", "start_date", "date_from"), "from_date", end=False
        ),
        uploaded_to=date_bound(
            query_value(request, "to_date", "end_date", "date_to"), "to_date", end=True
        ),
    )


@listing_router.get("/packages/{status}/{page_no}/{records_per_page}", dependencies=[ReadOnly])
async def get_packages(
    status: str,
    page_no: str,
    records_per_page: str,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    x_folder: Annotated[str | None, Header()] = None,
) -> list[PackageListItem]:
    """Also the catch-all of three free segments: `packages/{pid}/something/else` is not
    a list request but an unknown route, and answers 404 as one."""
    if not (page_no.isdigit() and records_per_page.isdigit()):
        raise NotFound(NOT_FOUND)
    try:
        status_filter = StatusFilter(status.upper())
    except ValueError as exc:
        if status.isdigit():  # a package id: an unknown route under a package
            raise NotFound(NOT_FOUND) from exc
        words = ", ".join(item.value for item in StatusFilter)
        raise BadRequest(f"Unknown status '{status}'; use one of {words}") from exc
    folder = await folder_of(session, principal, x_folder)
    query = list_query(request, status_filter, int(page_no), int(records_per_page), folder)
    listed, total = await list_packages(session, principal, query, settings.archive_after_days)
    response.headers["x-total-records"] = str(total)
    return [list_item(item) for item in listed]
