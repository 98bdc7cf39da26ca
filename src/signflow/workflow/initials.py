"""Filling initials fields (SigningHub's fill initials call): an initials field is signed
as any signature field is, with the image given; `apply_to_all` fills the caller's other
unsigned initials fields of the same document with the same image."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor
from signflow.context import AppContext
from signflow.errors import BadRequest, NotFound
from signflow.models import Field, FieldKind
from signflow.packages.access import Need, get_package
from signflow.packages.documents import get_document
from signflow.workflow.field_status import FIELD_NOT_FOUND
from signflow.workflow.sign import SignatureRequest, sign_document


async def fill_initials(
    session: AsyncSession,
    context: AppContext,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    *,
    field_name: str,
    image: str | None,
    apply_to_all: bool,
) -> list[str]:
    """Sign `field_name` (an initials field), and with `apply_to_all` the caller's other
    unsigned initials fields of the document; the names filled, in order."""
    access = await get_package(session, principal, package_id, Need.READ)
    document = await get_document(session, access, document_id)
    field = await session.scalar(
        select(Field).where(Field.document_id == document.id, Field.name == field_name)
    )
    if field is None:
        raise NotFound(FIELD_NOT_FOUND, value=field_name)
    if field.kind != FieldKind.INITIALS.value:
        raise BadRequest(f"'{field.name}' is a {field.kind} field, not an initials field")
    signed = await sign_document(
        session,
        context,
        principal,
        actor,
        package_id,
        document_id,
        SignatureRequest(field_name=field.name, hand_signature_image=image),
    )
    filled = [signed.name]
    if not apply_to_all:
        return filled
    others = await session.scalars(
        select(Field.name)
        .where(
            Field.document_id == document.id,
            Field.recipient_id == signed.recipient_id,
            Field.kind == FieldKind.INITIALS.value,
            Field.signed_at.is_(None),
        )
        .order_by(Field.page_no, Field.id)
    )
    for name in list(others):
        await sign_document(
            session,
            context,
            principal,
            actor,
            package_id,
            document_id,
            SignatureRequest(field_name=name, hand_signature_image=image),
        )
        filled.append(name)
    return filled
