"""Share (DRAFT -> SHARED: the workflow starts) and recall (SHARED -> DRAFT)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden, NotFound
from signflow.models import (
    Document,
    DocumentVersion,
    Field,
    Package,
    ProcessStatus,
    Recipient,
    RecipientRole,
    VersionKind,
    WorkflowStatus,
    WorkflowType,
)
from signflow.workflow.common import (
    MUST_ADD_SIGNERS,
    NO_DOCUMENT,
    NOT_ALLOWED,
    NOT_DRAFT,
    compare_and_set_status,
    owned_package,
    package_documents,
    package_recipients,
)
from signflow.workflow.deadlines import schedule_expiry
from signflow.workflow.events import DocumentEvent, PackageEvent, all_documents, write_package_event
from signflow.workflow.steps import advance


@dataclass(frozen=True)
class SharedPackage:
    package_id: int
    document_ids: list[int]


def new_public_id() -> str:
    return "r_" + secrets.token_urlsafe(12)


async def share_package(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int
) -> list[SharedPackage]:
    """Start the workflow: lock the package and open its first step.

    An INDIVIDUAL workflow instead makes one shared copy per acting recipient
    (carbon copies ride along in each); the original records them.
    """
    package = await owned_package(session, principal, package_id)
    if package.status != WorkflowStatus.DRAFT.value:
        raise Forbidden(NOT_DRAFT)
    documents = await package_documents(session, package.id)
    if not documents:
        raise BadRequest(NO_DOCUMENT)
    recipients = await package_recipients(session, package.id)
    acting = [r for r in recipients if r.role != RecipientRole.CARBON_COPY.value]
    if not acting:
        raise NotFound(MUST_ADD_SIGNERS)
    now = utcnow()
    if package.expires_at is not None and package.expires_at <= now:
        raise BadRequest("The package's expiry date has passed; set a later expires_on")
    if package.workflow_type == WorkflowType.INDIVIDUAL.value and package.parent_id is None:
        return await _share_individually(session, package, documents, recipients, actor)
    await _start(session, package, documents, actor)
    return [SharedPackage(package.id, [d.id for d in documents])]


async def _start(
    session: AsyncSession, package: Package, documents: list[Document], actor: Actor
) -> None:
    now = utcnow()
    if not await compare_and_set_status(
        session,
        package,
        WorkflowStatus.DRAFT,
        WorkflowStatus.SHARED,
        shared_at=now,
        modified_at=now,
    ):
        raise Forbidden(NOT_DRAFT)
    await record(
        session,
        package.id,
        "PACKAGE_SHARED",
        actor,
        {"workflow_type": package.workflow_type, "documents": [d.id for d in documents]},
    )
    await write_package_event(
        session,
        package,
        PackageEvent.CREATE,
        documents=documents,
        document_statuses=all_documents(documents, DocumentEvent.CREATE),
    )
    schedule_expiry(session, package)
    await advance(session, package, actor)


async def _share_individually(
    session: AsyncSession,
    package: Package,
    documents: list[Document],
    recipients: list[Recipient],
    actor: Actor,
) -> list[SharedPackage]:
    now = utcnow()
    if not await compare_and_set_status(
        session,
        package,
        WorkflowStatus.DRAFT,
        WorkflowStatus.SHARED,
        shared_at=now,
        modified_at=now,
    ):
        raise Forbidden(NOT_DRAFT)
    carbon_copies = [r for r in recipients if r.role == RecipientRole.CARBON_COPY.value]
    fields = list(
        await session.scalars(select(Field).where(Field.document_id.in_([d.id for d in documents])))
    )
    shared: list[SharedPackage] = []
    for recipient in recipients:
        if recipient.role == RecipientRole.CARBON_COPY.value:
            continue
        copy, copied_documents = await _copy_for(
            session, package, documents, fields, recipient, carbon_copies, actor
        )
        await _start(session, copy, copied_documents, actor)
        shared.append(SharedPackage(copy.id, [d.id for d in copied_documents]))
    await record(
        session,
        package.id,
        "PACKAGE_SHARED",
        actor,
        {
            "workflow_type": package.workflow_type,
            "copies": [item.package_id for item in shared],
        },
    )
    return shared


async def _copy_group_members(session: AsyncSession, clones: dict[int, Recipient]) -> None:
    """A copy's group recipients get the group's members, with links of their own."""
    from signflow.workflow.groups import members_of, write_members  # it imports this module

    await session.flush()
    by_source: dict[int, list[tuple[str, str]]] = {}
    for member in await members_of(session, list(clones)):
        by_source.setdefault(member.recipient_id, []).append((member.email, member.name))
    for source_id, members in by_source.items():
        write_members(session, clones[source_id], members)


async def _copy_for(
    session: AsyncSession,
    package: Package,
    documents: list[Document],
    fields: list[Field],
    recipient: Recipient,
    carbon_copies: list[Recipient],
    actor: Actor,
) -> tuple[Package, list[Document]]:
    copy = Package(
        enterprise_id=package.enterprise_id,
        owner_id=package.owner_id,
        name=package.name,
        workflow_mode=package.workflow_mode,
        workflow_type=package.workflow_type,
        continue_on_decline=package.continue_on_decline,
        message=package.message,
        tags=list(package.tags),
        parent_id=package.id,
        expires_at=package.expires_at,
    )
    session.add(copy)
    await session.flush()
    members = [recipient, *carbon_copies]
    clones: dict[int, Recipient] = {}
    for position, member in enumerate(members, start=1):
        clone = Recipient(
            public_id=new_public_id(),
            package_id=copy.id,
            position=position,
            signing_order=1 if member is recipient else 2,
            email=member.email,
            name=member.name,
            group_name=member.group_name,
            mobile_number=member.mobile_number,
            role=member.role,
            email_notification=member.email_notification,
            process_status=ProcessStatus.UN_PROCESSED.value,
            permissions=dict(member.permissions),
            authentication=dict(member.authentication),
            access_duration=dict(member.access_duration),
            reminders=dict(member.reminders),
        )
        session.add(clone)
        clones[member.id] = clone
    await _copy_group_members(session, clones)
    copied: list[Document] = []
    for document in documents:
        twin = Document(
            package_id=copy.id,
            name=document.name,
            position=document.position,
            source=document.source,
            pages=[list(page) for page in document.pages],
            current_sha256=document.current_sha256,
            current_size=document.current_size,
            original_sha256=document.original_sha256,
            certify_enabled=document.certify_enabled,
            certify_permission=document.certify_permission,
            lock_form_fields=document.lock_form_fields,
        )
        session.add(twin)
        copied.append(twin)
    await session.flush()
    for document, twin in zip(documents, copied, strict=True):
        session.add(
            DocumentVersion(
                document_id=twin.id,
                number=1,
                kind=VersionKind.ORIGINAL.value,
                sha256=document.current_sha256,
                size=document.current_size,
            )
        )
        for field in fields:
            if field.document_id != document.id:
                continue
            if field.recipient_id is not None and field.recipient_id != recipient.id:
                continue
            session.add(
                Field(
                    document_id=twin.id,
                    recipient_id=clones[recipient.id].id if field.recipient_id else None,
                    kind=field.kind,
                    name=field.name,
                    page_no=field.page_no,
                    x=field.x,
                    y=field.y,
                    width=field.width,
                    height=field.height,
                    required=field.required,
                    value=field.value,
                    options=dict(field.options),
                )
            )
    await session.flush()
    await record(
        session,
        copy.id,
        "PACKAGE_CREATED",
        actor,
        {"package_name": copy.name, "copy_of": package.id, "for_user": recipient.email},
    )
    return copy, copied


async def recall_package(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int
) -> None:
    """Back to DRAFT: every recipient waits again; signatures already applied stay."""
    package = await owned_package(session, principal, package_id)
    if package.status != WorkflowStatus.SHARED.value:
        raise Forbidden(NOT_ALLOWED)
    copies = await session.scalar(
        select(Package.id).where(Package.parent_id == package.id).limit(1)
    )
    if copies is not None:
        # The copies are the live workflows: recall each of them instead.
        raise Forbidden(NOT_ALLOWED)
    if not await compare_and_set_status(
        session, package, WorkflowStatus.SHARED, WorkflowStatus.DRAFT, shared_at=None
    ):
        raise Forbidden(NOT_ALLOWED)
    from signflow.workflow.groups import give_turns_back  # it imports this module

    recipients = await package_recipients(session, package.id)
    await give_turns_back(session, recipients)
    for recipient in recipients:
        recipient.process_status = ProcessStatus.UN_PROCESSED.value
        recipient.processed_on = None
        recipient.reason = None
        recipient.turn_started_at = None
        recipient.finished_at = None
        recipient.read_at = None
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        "WORKFLOW_RECALLED",
        actor,
        {"workflow_status": WorkflowStatus.DRAFT.value},
    )
