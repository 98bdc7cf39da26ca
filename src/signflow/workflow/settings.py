"""Workflow details: type, mode, continue_on_decline, message, and (ours) expiry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest
from signflow.models import (
    Document,
    Field,
    Package,
    PackageFiling,
    Recipient,
    User,
    WorkflowMode,
    WorkflowStatus,
    WorkflowType,
)
from signflow.packages.access import Need, get_package, recipient_email
from signflow.packages.enterprise import enterprise_package
from signflow.packages.listing import Folder
from signflow.workflow.common import (
    next_to_act,
    owned_draft,
    package_documents,
    package_recipients,
)
from signflow.workflow.recipients import renumber_serial

MAX_MESSAGE = 5000
EXPIRY_IN_THE_PAST = "expires_on must be in the future"


@dataclass(frozen=True)
class WorkflowView:
    package: Package
    owner: User
    documents: list[Document]
    recipients: list[Recipient]
    read_only: bool


@dataclass(frozen=True)
class WorkflowChange:
    workflow_type: WorkflowType | None = None
    workflow_mode: WorkflowMode | None = None
    continue_on_decline: bool | None = None
    message: str | None = None
    expires_on: dt.datetime | None = None
    # True when the request named expires_on as null: remove the deadline.
    clear_expiry: bool = False


async def get_workflow(
    session: AsyncSession, principal: Principal, package_id: int
) -> WorkflowView:
    access = await get_package(session, principal, package_id, Need.READ)
    return await _view(session, access.package, is_owner=access.is_owner)


async def enterprise_workflow(
    session: AsyncSession, principal: Principal, package_id: int
) -> WorkflowView:
    """The same view for an administrator of the package's enterprise (read only)."""
    package = await enterprise_package(session, principal, package_id)
    return await _view(session, package, is_owner=package.owner_id == principal.user.id)


async def _view(session: AsyncSession, package: Package, *, is_owner: bool) -> WorkflowView:
    owner = await session.get(User, package.owner_id)
    assert owner is not None  # a foreign key
    return WorkflowView(
        package=package,
        owner=owner,
        documents=await package_documents(session, package.id),
        recipients=await package_recipients(session, package.id),
        read_only=not is_owner or package.status != WorkflowStatus.DRAFT.value,
    )


@dataclass(frozen=True)
class WorkflowSummary:
    """What the details add to the workflow itself: where it is filed for the caller,
    whether the caller has read it, who acts next, and how many fields each document has."""

    folder: str
    unread: bool
    next_ids: set[int]
    field_counts: dict[int, int]


async def workflow_summary(
    session: AsyncSession, principal: Principal, view: WorkflowView, archive_after_days: int
) -> WorkflowSummary:
    package = view.package
    archive_before = utcnow() - dt.timedelta(days=archive_after_days)
    archived = (
        package.status == WorkflowStatus.COMPLETED.value
        and package.completed_at is not None
        and package.completed_at < archive_before
    )
    email = recipient_email(principal, package.enterprise_id)
    mine = [r for r in view.recipients if email is not None and r.email == email]
    own = package.owner_id == principal.user.id
    counts, filed = await _field_counts_and_filing(
        session, principal.user.id, package.id, [d.id for d in view.documents]
    )
    return WorkflowSummary(
        folder=filed or (Folder.ARCHIVE if archived else Folder.INBOX).value,
        unread=not own and any(r.read_at is None for r in mine),
        next_ids=next_to_act(package.status, view.recipients),
        field_counts=counts,
    )


# One round trip for the fields of each document and where the caller filed the package:
# a row per document with fields, and one more carrying the folder (NULL: not filed).
_FIELD_COUNTS_AND_FILING = (
    select(
        Field.document_id.label("document_id"),
        func.count().label("fields"),
        null().label("folder"),
    )
    .where(Field.document_id.in_(bindparam("document_ids", expanding=True)))
    .group_by(Field.document_id)
    .union_all(
        select(
            null(),
            null(),
            select(PackageFiling.folder)
            .where(
                PackageFiling.user_id == bindparam("user_id"),
                PackageFiling.package_id == bindparam("package_id"),
            )
            .scalar_subquery(),
        )
    )
)


async def _field_counts_and_filing(
    session: AsyncSession, user_id: int, package_id: int, document_ids: list[int]
) -> tuple[dict[int, int], str | None]:
    rows = await session.execute(
        _FIELD_COUNTS_AND_FILING,
        {"document_ids": document_ids, "user_id": user_id, "package_id": package_id},
    )
    counts: dict[int, int] = {}
    folder: str | None = None
    for document_id, fields, filed in rows:
        if document_id is None:
            folder = filed
        else:
            counts[document_id] = fields
    return counts, folder


async def update_workflow(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    change: WorkflowChange,
) -> Package:
    package = await owned_draft(session, principal, package_id)
    changed: dict[str, object] = {}
    if change.workflow_type is not None:
        package.workflow_type = change.workflow_type.value
        changed["workflow_type"] = package.workflow_type
        if change.workflow_type is WorkflowType.SERIAL:
            renumber_serial(package, await package_recipients(session, package.id))
    if change.workflow_mode is not None:
        package.workflow_mode = change.workflow_mode.value
        changed["workflow_mode"] = package.workflow_mode
    if change.continue_on_decline is not None:
        package.continue_on_decline = change.continue_on_decline
        changed["continue_on_decline"] = package.continue_on_decline
    if change.message is not None:
        if len(change.message) > MAX_MESSAGE:
            raise BadRequest(f"message must be at most {MAX_MESSAGE} characters")
        package.message = change.message or None
        changed["message"] = package.message
    if change.expires_on is not None:
        expires = change.expires_on
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.UTC)
        if expires <= utcnow():
            raise BadRequest(EXPIRY_IN_THE_PAST)
        package.expires_at = expires
        changed["expires_on"] = expires.isoformat()
    elif change.clear_expiry:
        package.expires_at = None
        changed["expires_on"] = None
    package.modified_at = utcnow()
    await record(session, package.id, "WORKFLOW_UPDATED", actor, changed)
    return package
