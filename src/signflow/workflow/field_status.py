"""The status of one signature field, as SigningHub's field status call reports it."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.errors import NotFound
from signflow.models import Field, ProcessStatus, Recipient
from signflow.packages.access import Need, get_package
from signflow.packages.documents import get_document
from signflow.workflow.field_values import SIGNATURE_KINDS

FIELD_NOT_FOUND = "Field not found"


class FieldStatus(StrEnum):
    SIGNED = "SIGNED"
    PENDING = "PENDING"
    # FAILED is in the guide for a remote authorisation that failed; signing here is
    # done in the request, so a failure is that request's error and never a state.
    DECLINED = "DECLINED"


async def signature_field_status(
    session: AsyncSession, principal: Principal, package_id: int, document_id: int, name: str
) -> FieldStatus:
    access = await get_package(session, principal, package_id, Need.READ)
    document = await get_document(session, access, document_id)
    field = await session.scalar(
        select(Field).where(Field.document_id == document.id, Field.name == name)
    )
    if field is None or field.kind not in SIGNATURE_KINDS:
        raise NotFound(FIELD_NOT_FOUND)
    if field.signed_at is not None:
        return FieldStatus.SIGNED
    if field.recipient_id is not None:
        recipient = await session.get(Recipient, field.recipient_id)
        if recipient is not None and recipient.process_status == ProcessStatus.DECLINED.value:
            return FieldStatus.DECLINED
    return FieldStatus.PENDING
