"""Packages: add, rename, delete, change owner, download, list."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Response

from signflow.db import utcnow
from signflow.errors import BadRequest
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
    PackageBase64,
    PackageCreate,
    PackageCreated,
    PackageListItem,
    PackageRename,
    SignerRef,
)
from signflow.identity.checks import require_all_opened
from signflow.packages.access import Need, get_package
from signflow.packages.content import package_file
from signflow.packages.listing import Folder, ListedPackage, ListQuery, StatusFilter, list_packages
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


@router.get("/packages/{package_id}/base64", response_model=PackageBase64)
async def download_package_base64(
    package_id: int, principal: PrincipalDep, session: SessionDep, context: ContextDep
) -> PackageBase64:
    access = await get_package(session, principal, package_id, Need.READ)
    await require_all_opened(session, access.recipients, utcnow())
    file = await package_file(session, context.blobs, access.package)
    return PackageBase64(
        package_id=package_id,
        file_name=file.file_name,
        package_base64=base64.b64encode(file.data).decode(),
    )


def decode_header(value: str | None, name: str) -> str | None:
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8").strip() or None
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest(f"The {name} header must be base64-encoded UTF-8 text") from exc


def list_item(listed: ListedPackage) -> PackageListItem:
    package, current = listed.package, listed.current_recipients
    return PackageListItem(
        package_id=package.id,
        package_name=package.name,
        package_owner=listed.owner.email,
        owner_name=listed.owner.name,
        package_status=listed.status,
        folder=listed.folder.value,
        unread=listed.unread,
        next_signer=current[0].name if current else None,
        next_signer_email=[SignerRef(user_email=r.email, user_name=r.name) for r in current],
        uploaded_on=package.created_at.isoformat(),
        modified_on=package.modified_at.isoformat(),
        tags=package.tags,
    )


@listing_router.get("/packages/{status}/{page_no}/{records_per_page}", dependencies=[ReadOnly])
async def get_packages(
    status: str,
    page_no: int,
    records_per_page: int,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    x_folder: Annotated[str | None, Header()] = None,
    x_search_text: Annotated[str | None, Header()] = None,
) -> list[PackageListItem]:
    try:
        status_filter = StatusFilter(status.upper())
    except ValueError as exc:
        words = ", ".join(item.value for item in StatusFilter)
        raise BadRequest(f"Unknown status '{status}'; use one of {words}") from exc
    folder_name = (decode_header(x_folder, "x-folder") or Folder.INBOX.value).upper()
    try:
        folder = Folder(folder_name)
    except ValueError as exc:
        raise BadRequest(f"Unknown folder '{folder_name}'; use INBOX or ARCHIVE") from exc
    query = ListQuery(
        status=status_filter,
        page_no=page_no,
        per_page=records_per_page,
        folder=folder,
        search=decode_header(x_search_text, "x-search-text"),
    )
    listed, total = await list_packages(session, principal, query, settings.archive_after_days)
    response.headers["x-total-records"] = str(total)
    return [list_item(item) for item in listed]
