"""Applying a template: to the documents of a draft package (SigningHub's apply-template
call), or as a new package with the template's own documents. One transaction: a bad
placeholder, a missing page or a lost document changes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.accounts.users import normalise_email
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Conflict, Gone, NotFound
from signflow.models import (
    Document,
    DocumentVersion,
    Field,
    Package,
    Recipient,
    Template,
    TemplateDocument,
    TemplateVersion,
    VersionKind,
    WorkflowMode,
    WorkflowType,
)
from signflow.packages.packages import create_package
from signflow.storage.base import BlobStore
from signflow.templates.access import readable_template, template_by_name
from signflow.templates.library import version_documents, version_of
from signflow.workflow.common import owned_draft, package_documents, package_recipients
from signflow.workflow.groups import write_members
from signflow.workflow.recipients import check_room
from signflow.workflow.share import new_public_id

DOCUMENT_NOT_IN_PACKAGE = "Document not found"


@dataclass(frozen=True)
class PlaceholderFill:
    """The person who takes a placeholder's slot."""

    placeholder: str
    email: str
    name: str | None = None
    mobile_number: str | None = None


@dataclass(frozen=True)
class Applied:
    document: Document
    template: Template
    version: int


@dataclass(frozen=True)
class TemplateRef:
    template_id: int | None = None
    name: str | None = None


async def _template(session: AsyncSession, principal: Principal, ref: TemplateRef) -> Template:
    if ref.template_id is not None:
        return await readable_template(session, principal, ref.template_id)
    if ref.name and ref.name.strip():
        return await template_by_name(session, principal, ref.name)
    raise BadRequest("template_name or template_id is required")


def _recipients_of(version: TemplateVersion) -> list[dict[str, object]]:
    return cast(list[dict[str, object]], version.content.get("recipients", []))


def _fields_of(version: TemplateVersion) -> list[dict[str, object]]:
    return cast(list[dict[str, object]], version.content.get("fields", []))


def _workflow_of(version: TemplateVersion) -> dict[str, object]:
    return cast(dict[str, object], version.content.get("workflow", {}))


def check_fills(
    version: TemplateVersion, fills: Sequence[PlaceholderFill]
) -> dict[str, PlaceholderFill]:
    """Each fill names a placeholder of the template, once."""
    titles = [str(r["placeholder"]) for r in _recipients_of(version) if r.get("placeholder")]
    by_title: dict[str, PlaceholderFill] = {}
    for fill in fills:
        title = fill.placeholder.strip()
        if title not in titles:
            known = ", ".join(titles) if titles else "none"
            raise BadRequest(
                f"Unknown placeholder '{title}': the template's placeholders are {known}",
                code="unknown_placeholder",
            )
        if title in by_title:
            raise BadRequest(f"Placeholder '{title}' is filled twice")
        by_title[title] = PlaceholderFill(
            title, normalise_email(fill.email), fill.name, fill.mobile_number
        )
    return by_title


def _recipient(
    package: Package,
    snapshot: Mapping[str, object],
    position: int,
    step_offset: int,
    fill: PlaceholderFill | None,
) -> Recipient:
    title = cast(str | None, snapshot.get("placeholder"))
    if fill is not None:
        email = fill.email
        name = (fill.name or "").strip() or email.partition("@")[0]
    else:
        email, name = str(snapshot.get("email") or ""), str(snapshot["name"])
    return Recipient(
        public_id=new_public_id(),
        package_id=package.id,
        position=position,
        signing_order=int(cast(int, snapshot.get("signing_order") or position)) + step_offset,
        email=email,
        name=name,
        mobile_number=fill.mobile_number
        if fill
        else cast(str | None, snapshot.get("mobile_number")),
        role=str(snapshot["role"]),
        email_notification=bool(snapshot.get("email_notification", True)),
        permissions=dict(cast(dict[str, object], snapshot.get("permissions") or {})),
        authentication=dict(cast(dict[str, object], snapshot.get("authentication") or {})),
        access_duration=dict(cast(dict[str, object], snapshot.get("access_duration") or {})),
        reminders=dict(cast(dict[str, object], snapshot.get("reminders") or {})),
        placeholder=title,
        group_name=cast(str | None, snapshot.get("group_name")) if fill is None else None,
    )


async def _apply(
    session: AsyncSession,
    package: Package,
    template: Template,
    version: TemplateVersion,
    targets: Sequence[tuple[Document, int]],
    fills: Mapping[str, PlaceholderFill],
    values: Mapping[str, str] | None = None,
) -> list[Recipient]:
    """Append the template's recipients, place its fields on each (document, template
    document position) of `targets` (prefilled with `values` by field name), and take its
    workflow settings."""
    existing = await package_recipients(session, package.id)
    snapshots = _recipients_of(version)
    check_room(existing, len(snapshots))
    step_offset = max((r.signing_order for r in existing), default=0)
    added = [
        _recipient(
            package,
            snapshot,
            len(existing) + i + 1,
            step_offset,
            fills.get(str(snapshot.get("placeholder") or "")),
        )
        for i, snapshot in enumerate(snapshots)
    ]
    session.add_all(added)
    await session.flush()
    for recipient, snapshot in zip(added, snapshots, strict=True):
        if recipient.group_name is not None:
            # The group's members as the template version saved them.
            members = cast(list[list[str]], snapshot.get("group_members") or [])
            write_members(session, recipient, ((email, name) for email, name in members))
    await session.flush()
    await _place_fields(session, version, targets, added, values or {})
    workflow = _workflow_of(version)
    if not existing:
        package.workflow_type = str(workflow.get("workflow_type") or WorkflowType.SERIAL.value)
        package.workflow_mode = str(
            workflow.get("workflow_mode") or WorkflowMode.ME_AND_OTHERS.value
        )
    elif package.workflow_type == WorkflowType.SERIAL.value:
        package.workflow_type = str(workflow.get("workflow_type") or WorkflowType.SERIAL.value)
    package.continue_on_decline = bool(workflow.get("continue_on_decline", False))
    if workflow.get("message"):
        package.message = str(workflow["message"])
    package.template_id, package.template_version = template.id, version.number
    package.modified_at = utcnow()
    return added


async def _place_fields(
    session: AsyncSession,
    version: TemplateVersion,
    targets: Sequence[tuple[Document, int]],
    recipients: Sequence[Recipient],
    values: Mapping[str, str],
) -> None:
    fields = _fields_of(version)
    for document, template_position in targets:
        taken = set(
            await session.scalars(select(Field.name).where(Field.document_id == document.id))
        )
        for spec in (f for f in fields if f.get("document") == template_position):
            name, page_no = str(spec["name"]), int(cast(int, spec["page_no"]))
            if page_no > document.page_count:
                raise BadRequest(
                    f"The template's field '{name}' is on page {page_no}, "
                    f"but document '{document.name}' has {document.page_count}"
                )
            if name in taken:
                raise Conflict(f"Field '{name}' already exists in document '{document.name}'")
            taken.add(name)
            index = spec.get("recipient")
            session.add(
                Field(
                    document_id=document.id,
                    recipient_id=recipients[int(cast(int, index))].id
                    if index is not None
                    else None,
                    kind=str(spec["kind"]),
                    name=name,
                    page_no=page_no,
                    x=float(cast(float, spec["x"])),
                    y=float(cast(float, spec["y"])),
                    width=float(cast(float, spec["width"])),
                    height=float(cast(float, spec["height"])),
                    required=bool(spec.get("required", True)),
                    value=values[name] if name in values else cast(str | None, spec.get("value")),
                    options=dict(cast(dict[str, object], spec.get("options") or {})),
                )
            )
    await session.flush()


def _history(
    template: Template,
    version: TemplateVersion,
    documents: Sequence[Document],
    added: Sequence[Recipient],
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    return {
        **(extra or {}),
        "template_id": template.id,
        "template_name": template.name,
        "version": version.number,
        "documents": [d.id for d in documents],
        "users": [
            {
                "order": r.position,
                "user_email": r.email,
                "role": r.role,
                "placeholder": r.placeholder,
                "group_name": r.group_name,
            }
            for r in added
        ],
    }


async def apply_to_document(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    ref: TemplateRef,
    *,
    apply_to_all: bool,
    fills: Sequence[PlaceholderFill],
) -> Applied:
    """SigningHub's apply-template: the template's recipients join the draft's workflow,
    and its fields are placed on the document (or, with `apply_to_all`, on every
    document: the template's n-th document's fields on the package's n-th, the first
    template document's on any beyond)."""
    package = await owned_draft(session, principal, package_id)
    documents = await package_documents(session, package.id)
    target = next((d for d in documents if d.id == document_id), None)
    if target is None:
        raise NotFound(DOCUMENT_NOT_IN_PACKAGE)
    template = await _template(session, principal, ref)
    version = await version_of(session, template, template.current_version)
    by_title = check_fills(version, fills)
    positions = [d.position for d in await version_documents(session, version)] or [1]
    if apply_to_all:
        targets = [(d, d.position if d.position in positions else positions[0]) for d in documents]
    else:
        targets = [(target, positions[0])]
    added = await _apply(session, package, template, version, targets, by_title)
    await record(
        session,
        package.id,
        "TEMPLATE_APPLIED",
        actor,
        _history(template, version, [d for d, _ in targets], added),
    )
    return Applied(target, template, version.number)


async def create_from_template(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    blobs: BlobStore,
    template_id: int,
    *,
    package_name: str | None,
    fills: Sequence[PlaceholderFill],
) -> Package:
    """A new draft package with the template's documents (by reference: no bytes are
    copied), recipients, fields and settings; placeholders filled with `fills`."""
    template = await readable_template(session, principal, template_id)
    version = await version_of(session, template, template.current_version)
    template_documents = await version_documents(session, version)
    return await package_from_version(
        session,
        principal,
        actor,
        blobs,
        TemplateSource(template, version, template_documents),
        package_name=package_name,
        fills=fills,
    )


@dataclass(frozen=True)
class TemplateSource:
    """A template at one version, with that version's documents (versions never change,
    so a bulk run reads them once for all its rows)."""

    template: Template
    version: TemplateVersion
    documents: Sequence[TemplateDocument]


async def package_from_version(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    blobs: BlobStore,
    source: TemplateSource,
    *,
    package_name: str | None,
    fills: Sequence[PlaceholderFill],
    values: Mapping[str, str] | None = None,
    origin: Mapping[str, object] | None = None,
) -> Package:
    """A new draft from `source`: its documents, recipients (placeholders filled with
    `fills`), fields (prefilled with `values` by field name) and settings. `origin` joins
    the TEMPLATE_APPLIED history entry (a bulk run names its run and row)."""
    template, version, template_documents = source.template, source.version, source.documents
    by_title = check_fills(version, fills)
    if not template_documents:
        raise BadRequest("The template has no document")
    for stored in template_documents:
        if not await blobs.exists(stored.sha256):
            raise Gone(
                f"The template's document '{stored.name}' is no longer stored; "
                "save the template again from a package",
                code="template_document_gone",
            )
    package = await create_package(
        session,
        principal,
        actor,
        name=package_name or template.name,
        workflow_mode=WorkflowMode(
            str(_workflow_of(version).get("workflow_mode") or WorkflowMode.ME_AND_OTHERS.value)
        ),
        tags=cast(list[str], _workflow_of(version).get("tags") or []),
    )
    documents = []
    for stored in template_documents:
        document = Document(
            package_id=package.id,
            name=stored.name,
            position=stored.position,
            source="template",
            pages=list(stored.pages),
            current_sha256=stored.sha256,
            current_size=stored.size,
            original_sha256=stored.sha256,
            certify_enabled=stored.certify_enabled,
            certify_permission=stored.certify_permission,
            lock_form_fields=stored.lock_form_fields,
        )
        session.add(document)
        await session.flush()
        session.add(
            DocumentVersion(
                document_id=document.id,
                number=1,
                kind=VersionKind.ORIGINAL.value,
                sha256=stored.sha256,
                size=stored.size,
            )
        )
        documents.append(document)
    await session.flush()
    targets = [(d, d.position) for d in documents]
    added = await _apply(session, package, template, version, targets, by_title, values)
    await record(
        session,
        package.id,
        "TEMPLATE_APPLIED",
        actor,
        _history(template, version, documents, added, origin),
    )
    return package
