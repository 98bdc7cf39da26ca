"""Saving a package's workflow as a template version: documents by digest, recipients
(placeholders or fixed people), fields, workflow type, settings and message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.models import (
    Document,
    DocumentVersion,
    Field,
    Package,
    Recipient,
    RecipientMember,
    Template,
    TemplateDocument,
    TemplateVersion,
    WorkflowStatus,
)
from signflow.workflow.common import package_documents, package_recipients
from signflow.workflow.groups import members_by_recipient

RECIPIENT_SETTINGS = ("permissions", "authentication", "access_duration", "reminders")


def recipient_snapshot(
    recipient: Recipient, title: str | None, members: Sequence[RecipientMember] = ()
) -> dict[str, object]:
    """A recipient as the template keeps it: a placeholder (a title, no person) when
    `title` is given; else a group (its name and its members as they are now, whoever
    acted for it in the package); else the person."""
    group = recipient.group_name if not title else None
    snapshot: dict[str, object] = {
        "placeholder": title,
        "email": "" if title or group else recipient.email,
        "name": title or group or recipient.name,
        "mobile_number": None if title else recipient.mobile_number,
        "role": recipient.role,
        "signing_order": recipient.signing_order,
        "email_notification": recipient.email_notification,
    }
    if group is not None:
        snapshot["group_name"] = group
        snapshot["group_members"] = [[m.email, m.name] for m in members]
    for setting in RECIPIENT_SETTINGS:
        snapshot[setting] = dict(getattr(recipient, setting) or {})
    return snapshot


def field_snapshot(
    field: Field, document_position: int, recipient_index: Mapping[int, int]
) -> dict[str, object]:
    return {
        "document": document_position,
        "recipient": recipient_index.get(field.recipient_id) if field.recipient_id else None,
        "kind": field.kind,
        "name": field.name,
        "page_no": field.page_no,
        "x": field.x,
        "y": field.y,
        "width": field.width,
        "height": field.height,
        "required": field.required,
        # Only the owner's values (given before the package was shared) are the template's.
        "value": field.value if field.filled_by_id is None and field.signed_at is None else None,
        "options": dict(field.options or {}),
    }


async def package_fields(session: AsyncSession, documents: list[Document]) -> list[Field]:
    if not documents:
        return []
    rows = await session.scalars(
        select(Field)
        .where(Field.document_id.in_([d.id for d in documents]))
        .order_by(Field.document_id, Field.id)
    )
    return list(rows)


async def write_version(
    session: AsyncSession,
    template: Template,
    number: int,
    package: Package,
    placeholders: Mapping[int, str],
) -> TemplateVersion:
    """Version `number` of `template`, taken from `package` now. `placeholders` names the
    recipients (by order) saved as placeholders, with their titles; a recipient that is a
    placeholder in the package stays one."""
    documents = await package_documents(session, package.id)
    recipients = await package_recipients(session, package.id)
    index = {recipient.id: i for i, recipient in enumerate(recipients)}
    members = await members_by_recipient(session, recipients)
    position_of = {document.id: document.position for document in documents}
    content: dict[str, object] = {
        "workflow": {
            "workflow_mode": package.workflow_mode,
            "workflow_type": package.workflow_type,
            "continue_on_decline": package.continue_on_decline,
            "message": package.message,
            "tags": list(package.tags or []),
        },
        "recipients": [
            recipient_snapshot(
                r, placeholders.get(r.position) or r.placeholder, members.get(r.id, ())
            )
            for r in recipients
        ],
        "fields": [
            field_snapshot(f, position_of[f.document_id], index)
            for f in await package_fields(session, documents)
        ],
    }
    version = TemplateVersion(
        template_id=template.id, number=number, source_package_id=package.id, content=content
    )
    session.add(version)
    await session.flush()
    draft = package.status == WorkflowStatus.DRAFT.value
    for document in documents:
        # A draft's current bytes are the upload (with any attachment); once shared they
        # carry signatures, so the template takes the upload.
        sha256 = document.current_sha256 if draft else document.original_sha256
        size = document.current_size if draft else await _size_of(session, document, sha256)
        session.add(
            TemplateDocument(
                version_id=version.id,
                position=document.position,
                name=document.name,
                sha256=sha256,
                size=size,
                pages=list(document.pages),
                certify_enabled=document.certify_enabled,
                certify_permission=document.certify_permission,
                lock_form_fields=document.lock_form_fields,
            )
        )
    await session.flush()
    return version


async def _size_of(session: AsyncSession, document: Document, sha256: str) -> int:
    size = await session.scalar(
        select(DocumentVersion.size)
        .where(DocumentVersion.document_id == document.id, DocumentVersion.sha256 == sha256)
        .limit(1)
    )
    return int(size if size is not None else document.current_size)
