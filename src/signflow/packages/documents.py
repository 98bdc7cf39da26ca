"""Documents of a draft package: upload, rename, delete, reorder, certify policy, attachments."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden, NotFound
from signflow.models import (
    Attachment,
    Document,
    DocumentVersion,
    Package,
    VersionKind,
    WorkflowStatus,
)
from signflow.packages.access import DOCUMENT_NOT_FOUND, Need, PackageAccess, get_package
from signflow.packages.active_content import apply_active_content_policy
from signflow.pdf.attachments import embed_attachment, remove_attachment
from signflow.pdf.intake import inspect_pdf, inspect_pdf_file
from signflow.storage import BlobStore
from signflow.storage.spool import SpooledFile

NOT_DRAFT = "Document is no longer in draft state"
NO_DOCUMENT = "Request does not contain document"
DEFAULT_FILE_NAME = "document.pdf"
MAX_DOCUMENTS_PER_PACKAGE = 100


class CertifyPermission(StrEnum):
    NO_CHANGES_ALLOWED = "NO_CHANGES_ALLOWED"
    FORM_FILLING = "FORM_FILLING"
    FORM_FILLING_AND_ANNOTATIONS = "FORM_FILLING_AND_ANNOTATIONS"


@dataclass(frozen=True)
class Upload:
    # The bytes, or the upload spooled to disk as it arrived (large bodies: never whole
    # in memory; intake reads the file, the blob store moves it into place).
    data: bytes | SpooledFile
    file_name: str
    source: str | None
    convert: bool


def require_draft(package: Package) -> None:
    if package.status != WorkflowStatus.DRAFT.value:
        raise Forbidden(NOT_DRAFT)


async def get_document(session: AsyncSession, access: PackageAccess, document_id: int) -> Document:
    document = await session.scalar(
        select(Document).where(Document.id == document_id, Document.package_id == access.package.id)
    )
    if document is None:
        raise NotFound(DOCUMENT_NOT_FOUND)
    return document


async def list_documents(session: AsyncSession, package_id: int) -> list[Document]:
    rows = await session.scalars(
        select(Document).where(Document.package_id == package_id).order_by(Document.position)
    )
    return list(rows)


async def upload_document(
    session: AsyncSession,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    actor: Actor,
    package_id: int,
    upload: Upload,
) -> Document:
    # The file is checked and stored before the first query: on SQLite that query takes
    # the write lock, which must not be held through conversion and intake.
    name, converted = upload.file_name, False
    if isinstance(upload.data, SpooledFile) and not upload.convert:
        if not upload.data.size:
            raise BadRequest(NO_DOCUMENT)
        received = await inspect_pdf_file(
            upload.data.path, max_bytes=settings.max_upload_bytes, max_pages=settings.max_pdf_pages
        )
        policed = await apply_active_content_policy(settings, received, upload.data.path)
        if policed.data is None:
            sha256 = await blobs.put_file(upload.data)
        else:
            sha256 = await blobs.put(policed.data)
    else:
        data = upload.data if isinstance(upload.data, bytes) else await upload.data.read_bytes()
        if not data:
            raise BadRequest(NO_DOCUMENT)
        if upload.convert:
            # The converter (reportlab, Pillow's codecs) loads on the first conversion.
            from signflow.pdf.convert import convert_to_pdf

            data, converted = await convert_to_pdf(data, name), True
            if not name.lower().endswith(".pdf"):
                name = f"{name.rsplit('.', 1)[0] if '.' in name else name}.pdf"
        received = await inspect_pdf(
            data, max_bytes=settings.max_upload_bytes, max_pages=settings.max_pdf_pages
        )
        policed = await apply_active_content_policy(settings, received, data)
        sha256 = await blobs.put(data if policed.data is None else policed.data)
    info = policed.info
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    require_draft(access.package)
    count = await session.scalar(
        select(func.count()).select_from(Document).where(Document.package_id == package_id)
    )
    if (count or 0) >= MAX_DOCUMENTS_PER_PACKAGE:
        raise BadRequest(f"A package holds at most {MAX_DOCUMENTS_PER_PACKAGE} documents")
    document = Document(
        package_id=package_id,
        name=name,
        position=(count or 0) + 1,
        source=upload.source,
        pages=[[width, height] for width, height in info.pages],
        current_sha256=sha256,
        current_size=info.size,
        original_sha256=sha256,
    )
    session.add(document)
    await session.flush()
    session.add(
        DocumentVersion(
            document_id=document.id,
            number=1,
            kind=VersionKind.ORIGINAL.value,
            sha256=sha256,
            size=info.size,
        )
    )
    access.package.modified_at = utcnow()
    await record(
        session,
        package_id,
        "DOCUMENT_UPLOADED",
        actor,
        {
            "document_id": document.id,
            "document_name": name,
            "sha256": sha256,
            "size": info.size,
            "pages": info.page_count,
            "converted": converted,
        },
    )
    if policed.found:
        await record(
            session,
            package_id,
            "ACTIVE_CONTENT_REMOVED" if policed.stripped else "ACTIVE_CONTENT_KEPT",
            actor,
            {
                "document_id": document.id,
                "active_content": list(policed.found),
                "policy": policed.policy,
                "received_sha256": received.sha256,
                "sha256": sha256,
            },
        )
    return document


async def rename_document(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    name: str,
) -> None:
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    document = await get_document(session, access, document_id)
    old_name, document.name = document.name, name.strip() or document.name
    await record(
        session,
        package_id,
        "DOCUMENT_RENAMED",
        actor,
        {"document_id": document.id, "old_name": old_name, "new_name": document.name},
    )


async def delete_document(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int, document_id: int
) -> None:
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    require_draft(access.package)
    document = await get_document(session, access, document_id)
    await session.delete(document)
    await session.flush()
    await _renumber(session, package_id)
    await record(
        session,
        package_id,
        "DOCUMENT_DELETED",
        actor,
        {"document_id": document_id, "document_name": document.name},
    )


async def reorder_document(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    new_position: int,
) -> None:
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    require_draft(access.package)
    documents = await list_documents(session, package_id)
    moving = next((d for d in documents if d.id == document_id), None)
    if moving is None:
        raise NotFound(DOCUMENT_NOT_FOUND)
    if not 1 <= new_position <= len(documents):
        raise BadRequest(f"order must be between 1 and {len(documents)}")
    documents.remove(moving)
    documents.insert(new_position - 1, moving)
    for index, document in enumerate(documents, start=1):
        document.position = index
    await record(
        session,
        package_id,
        "DOCUMENT_REORDERED",
        actor,
        {"document_id": document_id, "order": new_position},
    )


async def _renumber(session: AsyncSession, package_id: int) -> None:
    for index, document in enumerate(await list_documents(session, package_id), start=1):
        document.position = index


async def set_certify_policy(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    *,
    enabled: bool,
    permission: CertifyPermission,
    lock_form_fields: bool,
) -> Document:
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    require_draft(access.package)
    document = await get_document(session, access, document_id)
    document.certify_enabled = enabled
    document.certify_permission = permission.value
    document.lock_form_fields = lock_form_fields
    await record(
        session,
        package_id,
        "CERTIFY_POLICY_UPDATED",
        actor,
        {
            "document_id": document_id,
            "enabled": enabled,
            "permission": permission.value,
            "lock_form_fields": lock_form_fields,
        },
    )
    return document


async def add_attachment(
    session: AsyncSession,
    blobs: BlobStore,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    *,
    data: bytes,
    file_name: str,
    content_type: str,
) -> Attachment:
    """Embed the file in the document's PDF (a new version), so it travels with it."""
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    require_draft(access.package)
    document = await get_document(session, access, document_id)
    if not data:
        raise BadRequest("Request does not contain attachment")
    sha256 = await blobs.put(data)
    pdf = await blobs.get(document.current_sha256)
    with_attachment = await asyncio.to_thread(
        embed_attachment, pdf, file_name=file_name, data=data, mime_type=content_type
    )
    await add_version(session, blobs, document, with_attachment, VersionKind.ATTACHMENT)
    attachment = Attachment(
        document_id=document.id,
        name=file_name,
        content_type=content_type,
        sha256=sha256,
        size=len(data),
    )
    session.add(attachment)
    await session.flush()
    await record(
        session,
        package_id,
        "ATTACHMENT_ADDED",
        actor,
        {"document_id": document.id, "attachment_name": file_name, "sha256": sha256},
    )
    return attachment


ATTACHMENT_NOT_FOUND = "Attachment not found"


async def delete_attachment(
    session: AsyncSession,
    blobs: BlobStore,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    attachment_id: int,
) -> None:
    """Take the file out of the document's PDF (a new version) and forget it."""
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    require_draft(access.package)
    document = await get_document(session, access, document_id)
    attachment = await session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.document_id == document.id
        )
    )
    if attachment is None:
        raise NotFound(ATTACHMENT_NOT_FOUND)
    pdf = await blobs.get(document.current_sha256)
    without = await asyncio.to_thread(remove_attachment, pdf, attachment.sha256)
    if without is not None:
        await add_version(session, blobs, document, without, VersionKind.ATTACHMENT)
    await session.delete(attachment)
    await session.flush()
    await record(
        session,
        package_id,
        "ATTACHMENT_DELETED",
        actor,
        {"document_id": document.id, "attachment_name": attachment.name},
    )


async def add_version(
    session: AsyncSession, blobs: BlobStore, document: Document, data: bytes, kind: VersionKind
) -> DocumentVersion:
    """Store new bytes for a document as its next version and make them current."""
    sha256 = await blobs.put(data)
    version = DocumentVersion(
        document_id=document.id,
        number=document.version_count + 1,
        kind=kind.value,
        sha256=sha256,
        size=len(data),
    )
    session.add(version)
    document.current_sha256, document.current_size = sha256, len(data)
    document.version_count += 1
    await session.flush()
    return version


async def list_attachments(session: AsyncSession, document_id: int) -> list[Attachment]:
    rows = await session.scalars(
        select(Attachment).where(Attachment.document_id == document_id).order_by(Attachment.id)
    )
    return list(rows)
