"""Documents that no one signed, at the package's end: the values given in them are written
into their PDF (there is no signature to carry them), so every document that comes out of
a completed package shows what was agreed in it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.history import Actor, record
from signflow.context import blobs_of
from signflow.models import DocumentVersion, Package, Recipient, VersionKind
from signflow.workflow.common import package_documents
from signflow.workflow.form_values import document_form_fields, given_values


async def write_values_of_unsigned_documents(
    session: AsyncSession, package: Package, actor: Actor
) -> None:
    """For each document of `package` without a signature: the owner's values and those of
    recipients who finished, in one unsigned revision, recorded in the history."""
    from signflow.signing.service import fill_unsigned_document  # only signing loads pyHanko

    finished = set(
        await session.scalars(
            select(Recipient.id).where(
                Recipient.package_id == package.id, Recipient.finished_at.is_not(None)
            )
        )
    )
    documents = await package_documents(session, package.id)
    signed = set(
        await session.scalars(
            select(DocumentVersion.document_id).where(
                DocumentVersion.kind == VersionKind.SIGNED.value,
                DocumentVersion.document_id.in_([d.id for d in documents]),
            )
        )
    )
    for document in documents:
        if document.id in signed:
            continue
        values = given_values(await document_form_fields(session, document.id), finished)
        if not values:
            continue
        version = await fill_unsigned_document(session, blobs_of(session), document, values)
        await record(
            session,
            package.id,
            "DOCUMENT_FORM_WRITTEN",
            actor,
            {"document_id": document.id, "version": version.number, "form_values": values},
        )
