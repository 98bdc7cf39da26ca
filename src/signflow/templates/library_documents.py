"""Adding a library document (a document of a template the caller may apply) to a draft
package: SigningHub's add-document-from-library call. The bytes are shared by digest."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Gone, NotFound
from signflow.models import (
    Document,
    DocumentVersion,
    TemplateDocument,
    TemplateVersion,
    VersionKind,
)
from signflow.packages.documents import MAX_DOCUMENTS_PER_PACKAGE
from signflow.storage.base import BlobStore
from signflow.templates.access import visible_templates
from signflow.workflow.common import owned_draft

LIBRARY_DOCUMENT_NOT_FOUND = "Library document not found"


async def add_library_document(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    blobs: BlobStore,
    package_id: int,
    library_id: int,
) -> Document:
    package = await owned_draft(session, principal, package_id)
    visible = visible_templates(principal).subquery()
    stored = await session.scalar(
        select(TemplateDocument)
        .join(TemplateVersion, TemplateVersion.id == TemplateDocument.version_id)
        .where(
            TemplateDocument.id == library_id,
            TemplateVersion.template_id.in_(select(visible.c.id)),
        )
    )
    if stored is None:
        raise NotFound(LIBRARY_DOCUMENT_NOT_FOUND)
    if not await blobs.exists(stored.sha256):
        raise Gone(
            f"The library document '{stored.name}' is no longer stored",
            code="template_document_gone",
        )
    count = await session.scalar(
        select(func.count()).select_from(Document).where(Document.package_id == package.id)
    )
    if (count or 0) >= MAX_DOCUMENTS_PER_PACKAGE:
        raise BadRequest(f"A package holds at most {MAX_DOCUMENTS_PER_PACKAGE} documents")
    document = Document(
        package_id=package.id,
        name=stored.name,
        position=(count or 0) + 1,
        source="library",
        pages=list(stored.pages),
        current_sha256=stored.sha256,
        current_size=stored.size,
        original_sha256=stored.sha256,
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
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        "DOCUMENT_UPLOADED",
        actor,
        {
            "document_id": document.id,
            "document_name": stored.name,
            "sha256": stored.sha256,
            "library_id": library_id,
        },
    )
    return document
