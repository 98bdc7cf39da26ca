"""Blind signing: the caller's signature into one of their fields, without a viewer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.context import AppContext
from signflow.db import utcnow
from signflow.errors import BadRequest, Conflict, Forbidden, NotFound
from signflow.identity.checks import require_opened, verify_signing_code
from signflow.identity.codes import CodeHolder, code_holder, issue_code, signing_purpose
from signflow.identity.methods import signing_code_channel, signing_code_number
from signflow.models import (
    Document,
    DocumentVersion,
    Field,
    Package,
    ProcessStatus,
    Recipient,
    User,
    VersionKind,
    WorkflowStatus,
)
from signflow.observability.metrics import SIGNATURE_DURATION, SIGNATURES, measured
from signflow.packages.access import Need, get_package, recipient_email
from signflow.packages.documents import get_document
from signflow.workflow.common import (
    NOT_ALLOWED,
    SIGNING_ROLES,
    my_recipients,
    require_access_period,
)
from signflow.workflow.completeness import missing_error, missing_fields
from signflow.workflow.fields import FIELD_NOT_FOUND, SIGNATURE_KINDS
from signflow.workflow.form_values import (
    document_form_fields,
    finished_recipients_values,
    signature_form_values,
)
from signflow.workflow.groups import take_group_turn
from signflow.workflow.signer_identity import signer_identity

FILL_BEFORE_SIGNING = "Fill in every required field before signing"


@dataclass(frozen=True)
class SignatureRequest:
    field_name: str
    hand_signature_image: str | None = None
    signing_reason: str | None = None
    signing_location: str | None = None
    contact_information: str | None = None
    user_name: str | None = None
    signing_capacity: str | None = None
    # The consent sentence the signer was shown beside Sign (the signer pages), if any.
    consent_text: str | None = None


async def apply_signature(
    session: AsyncSession,
    context: AppContext,
    *,
    package: Package,
    document: Document,
    field: Field,
    recipient: Recipient,
    signer_user: User,
    request: SignatureRequest,
    form_values: Mapping[str, str] | None = None,
) -> DocumentVersion:
    """The signing library, imported here so that only signing depends on it."""
    from signflow.signing.assurance import require_providable
    from signflow.signing.service import SignatureInput, sign_field

    require_providable(field.options.get("level_of_assurance"))

    signing = sign_field(
        session,
        context,
        package=package,
        document=document,
        field=field,
        recipient=recipient,
        signer_user=signer_user,
        request=SignatureInput(
            hand_signature_image=request.hand_signature_image,
            signing_reason=request.signing_reason,
            signing_location=request.signing_location,
            contact_information=request.contact_information,
            user_name=request.user_name,
            signing_capacity=request.signing_capacity,
            form_values=dict(form_values or {}),
        ),
    )
    return await measured(SIGNATURES, SIGNATURE_DURATION, signing)


async def _require_filled(
    session: AsyncSession, document: Document, recipient: Recipient, signer_user: User
) -> None:
    """The recipient's required form fields of this document have their values before the
    signature that writes them (as SigningHub refuses to sign with mandatory fields empty)."""
    fields = await document_form_fields(session, document.id)
    identity = await signer_identity(session, recipient, signer_user)
    missing = [
        item
        for item in missing_fields(fields, recipient.id, identity, recipient.role)
        if item.kind not in SIGNATURE_KINDS
    ]
    if missing:
        raise missing_error(missing, FILL_BEFORE_SIGNING)


async def _values_to_write(
    session: AsyncSession,
    document: Document,
    recipient: Recipient,
    signer_user: User,
    now: dt.datetime,
) -> dict[str, str]:
    """The form values this signature writes: the recipient's own, carried by their first
    signature on the document (they cannot change after it: `fields.fill_fields`), and
    those of recipients who finished their turn without signing the document since its
    last signature (an editor's), which this signature then covers."""
    signed_before = await session.scalar(
        select(Field.id)
        .where(
            Field.document_id == document.id,
            Field.recipient_id == recipient.id,
            Field.signed_at.is_not(None),
        )
        .limit(1)
    )
    carried = finished_recipients_values(
        await document_form_fields(session, document.id),
        await _finished_since_last_signature(session, document, recipient),
    )
    if signed_before is not None:
        return carried
    own = await signature_form_values(session, document.id, recipient, signer_user, now)
    return {**carried, **own}


async def _finished_since_last_signature(
    session: AsyncSession, document: Document, signer: Recipient
) -> set[int]:
    """Recipients of the package, other than `signer`, who ended their turn after the
    document's last signature (or before its first) and signed nothing in it."""
    last_signature = await session.scalar(
        select(func.max(DocumentVersion.created_at)).where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.kind == VersionKind.SIGNED.value,
        )
    )
    signed_here = select(Field.recipient_id).where(
        Field.document_id == document.id,
        Field.recipient_id.is_not(None),
        Field.signed_at.is_not(None),
    )
    ended = func.coalesce(Recipient.finished_at, Recipient.processed_on)
    query = select(Recipient.id).where(
        Recipient.package_id == document.package_id,
        Recipient.id != signer.id,
        ended.is_not(None),
        Recipient.id.not_in(signed_here),
    )
    if last_signature is not None:
        query = query.where(ended > last_signature)
    return set(await session.scalars(query))


async def _signing_field(
    session: AsyncSession,
    principal: Principal,
    package_id: int,
    document_id: int,
    field_name: str,
) -> tuple[Package, Recipient, Document, Field]:
    """The caller's field to sign, with their recipient entry whose signing turn is open."""
    # A token acting on someone's behalf must not sign as them.
    if principal.is_scoped:
        raise Forbidden(NOT_ALLOWED)
    access = await get_package(session, principal, package_id, Need.READ, for_update=True)
    package = access.package
    if package.status != WorkflowStatus.SHARED.value:
        raise Forbidden(NOT_ALLOWED)
    mine = await my_recipients(session, principal, access)
    blocked = next((r for r in mine if r.process_status == ProcessStatus.BLOCKED.value), None)
    if blocked is not None:
        await require_opened(session, blocked, utcnow())
    recipient = next(
        (
            r
            for r in mine
            if r.process_status == ProcessStatus.IN_PROGRESS.value
            and r.finished_at is None
            and r.role in SIGNING_ROLES
        ),
        None,
    )
    if recipient is None:
        raise Forbidden(NOT_ALLOWED)
    now = utcnow()
    require_access_period(recipient, now)
    await require_opened(session, recipient, now)
    document = await get_document(session, access, document_id)
    field = await session.scalar(
        select(Field).where(Field.document_id == document.id, Field.name == field_name)
    )
    if field is None:
        raise NotFound(FIELD_NOT_FOUND, value=field_name)
    if field.recipient_id != recipient.id:
        raise Forbidden(NOT_ALLOWED)
    if field.kind not in SIGNATURE_KINDS:
        raise BadRequest(f"'{field.name}' is a {field.kind} field, not a signature field")
    if field.signed_at is not None:
        raise Conflict(f"The field '{field.name}' is already signed")
    return package, recipient, document, field


async def request_signing_code(
    session: AsyncSession,
    context: AppContext,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    field_name: str,
) -> None:
    """Send the signing code of an electronic-signature field with authentication."""
    package, recipient, _document, field = await _signing_field(
        session, principal, package_id, document_id, field_name
    )
    channel = signing_code_channel(field)
    if channel is None:
        raise BadRequest(f"The field '{field.name}' does not ask for a signing code")
    holder = await _code_holder(session, principal, package, recipient, field)
    await issue_code(
        session,
        context.settings,
        package,
        recipient,
        purpose=holder.purpose,
        channel=channel,
        mobile_number=signing_code_number(recipient, field),
        actor=actor,
        email=holder.email,
    )


async def _code_holder(
    session: AsyncSession,
    principal: Principal,
    package: Package,
    recipient: Recipient,
    field: Field,
) -> CodeHolder:
    """The caller's signing code of `field` (a group member's own, before any takes the
    group's turn)."""
    email = recipient_email(principal, package.enterprise_id)
    holder = await code_holder(session, recipient, email, signing_purpose(field.id))
    if holder is None:
        raise Forbidden(NOT_ALLOWED)
    return holder


async def sign_document(
    session: AsyncSession,
    context: AppContext,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    request: SignatureRequest,
    otp: str | None = None,
) -> Field:
    """Sign one field; a field asking for a signing code needs it in `otp` (x-otp)."""
    package, recipient, document, field = await _signing_field(
        session, principal, package_id, document_id, request.field_name
    )
    # A group's turn is taken only once the signing code passed: a wrong code commits
    # its counted try, and must not commit the turn with it.
    group_turn = recipient.is_untaken_group
    if not group_turn:
        await _require_filled(session, document, recipient, principal.user)
    now = utcnow()
    if signing_code_channel(field) is not None:
        # Before anything is written: a counted failure commits only itself.
        holder = await _code_holder(session, principal, package, recipient, field)
        await verify_signing_code(
            session, context.settings, package, recipient, holder.purpose, otp, actor
        )
    if group_turn:
        await take_group_turn(session, principal, actor, package, recipient)
        await _require_filled(session, document, recipient, principal.user)
    form_values = await _values_to_write(session, document, recipient, principal.user, now)
    version = await apply_signature(
        session,
        context,
        package=package,
        document=document,
        field=field,
        recipient=recipient,
        signer_user=principal.user,
        request=request,
        form_values=form_values,
    )
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(Field)
            .where(Field.id == field.id, Field.signed_at.is_(None))
            .values(signed_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise Conflict(f"The field '{field.name}' is already signed")
    await session.refresh(field)
    await record(
        session,
        package.id,
        "DOCUMENT_SIGNED",
        actor,
        {
            "document_id": document.id,
            "field_name": field.name,
            "order": recipient.position,
            "version": version.number,
            "sha256": version.sha256,
            "signing_reason": request.signing_reason,
            # What the client sent as a display name: recorded, never stamped.
            "user_name": request.user_name,
            "form_values": form_values,
            "consent": request.consent_text,
        },
    )
    unsigned = await session.scalar(
        select(Field.id)
        .where(
            Field.recipient_id == recipient.id,
            Field.kind.in_(SIGNATURE_KINDS),
            Field.signed_at.is_(None),
        )
        .limit(1)
    )
    if unsigned is None:
        recipient.process_status = ProcessStatus.SIGNED.value
        recipient.processed_on = now
    return field
