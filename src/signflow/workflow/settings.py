"""Workflow details: type, mode, continue_on_decline, message, and (ours) expiry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest
from signflow.models import (
    Document,
    Package,
    Recipient,
    User,
    WorkflowMode,
    WorkflowStatus,
    WorkflowType,
)
from signflow.packages.access import Need, get_package
from signflow.workflow.common import owned_draft, package_documents, package_recipients
from signflow.workflow.recipients import renumber_serial

MAX_MESSAGE = 5000


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
    package = access.package
    owner = await session.get(User, package.owner_id)
    assert owner is not None  # a foreign key
    return WorkflowView(
        package=package,
        owner=owner,
        documents=await package_documents(session, package.id),
        recipients=await package_recipients(session, package.id),
        read_only=not access.is_owner or package.status != WorkflowStatus.DRAFT.value,
    )


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
            raise BadRequest("expires_on must be in the future")
        package.expires_at = expires
        changed["expires_on"] = expires.isoformat()
    elif change.clear_expiry:
        package.expires_at = None
        changed["expires_on"] = None
    package.modified_at = utcnow()
    await record(session, package.id, "WORKFLOW_UPDATED", actor, changed)
    return package
