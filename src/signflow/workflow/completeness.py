"""Whether a recipient may finish: the one rule that the API's finish, the signer page
(its Finish and its "what to do" count) and signature requests all ask.

A signer (or an editor, who fills but does not sign) may finish when, in every
document of the package, every field assigned to them is done:

- every signature and initials field is signed, required or not;
- every required form field has a value: a checked box (a required checkbox is one
  that must be ticked), a chosen button in a radio group (required when any of its
  buttons is), a choice, a text. A name or email field is always done (the signer's
  verified identity fills it); a company or job title field is done when typed or
  when the identity gives one; a date field that takes the signing date when left
  empty is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.errors import BadRequest
from signflow.models import Document, Field, FieldKind, Recipient, RecipientRole
from signflow.workflow.common import SIGNING_ROLES
from signflow.workflow.field_values import (
    FIXED_KINDS,
    IDENTITY_KINDS,
    SIGNATURE_KINDS,
    identity_value,
    radio_group,
    signing_date_default,
)
from signflow.workflow.signer_identity import SignerIdentity

FIELDS_MISSING = "fields_missing"
MISSING_TEXT = "Fill in every required field and sign every signature field before finishing"


@dataclass(frozen=True)
class Requirement:
    """One thing a recipient must do: a field to sign or fill, or a radio group to choose in."""

    document_id: int
    name: str
    kind: str
    done: bool
    field_id: int | None = None  # None for a radio group


def _filled(field: Field, identity: SignerIdentity) -> bool:
    if field.kind in IDENTITY_KINDS:
        return bool((field.value or "").strip()) or identity_value(field.kind, identity) is not None
    if field.kind == FieldKind.CHECKBOX.value:
        return field.value == "true"
    if field.kind == FieldKind.DATE.value:
        return bool(field.value) or signing_date_default(field)
    return bool((field.value or "").strip())


def has_requirements(role: str) -> bool:
    """Whether a recipient of `role` may have anything to do before finishing."""
    return role in SIGNING_ROLES or role == RecipientRole.EDITOR.value


def requirements(
    fields: Sequence[Field],
    recipient_id: int,
    identity: SignerIdentity,
    role: str = RecipientRole.SIGNER.value,
) -> list[Requirement]:
    """What `recipient_id` must do among `fields` (of one or more documents), in order.
    Only signers sign, and only signers and editors fill: a reviewer or a carbon copy has
    nothing to do here, whatever fields name them."""
    if not has_requirements(role):
        return []
    signs = role in SIGNING_ROLES
    result: list[Requirement] = []
    groups: dict[tuple[int, str], list[Field]] = {}
    for field in fields:
        if field.recipient_id != recipient_id:
            continue
        if field.kind in SIGNATURE_KINDS:
            if not signs:
                continue
            done = field.signed_at is not None
            result.append(Requirement(field.document_id, field.name, field.kind, done, field.id))
        elif field.kind == FieldKind.RADIO.value:
            key = (field.document_id, radio_group(field))
            if key not in groups:
                groups[key] = []
                result.append(Requirement(field.document_id, key[1], field.kind, False))
            groups[key].append(field)
        elif field.required and field.kind not in FIXED_KINDS:  # those are always filled
            done = _filled(field, identity)
            result.append(Requirement(field.document_id, field.name, field.kind, done, field.id))
    settled: list[Requirement] = []
    for item in result:
        if item.kind != FieldKind.RADIO.value:
            settled.append(item)
            continue
        buttons = groups[(item.document_id, item.name)]
        if any(b.required for b in buttons):
            chosen = any(b.value == "true" for b in buttons)
            settled.append(Requirement(item.document_id, item.name, item.kind, chosen))
    return settled


def missing_fields(
    fields: Sequence[Field],
    recipient_id: int,
    identity: SignerIdentity,
    role: str = RecipientRole.SIGNER.value,
) -> list[Requirement]:
    """What keeps `recipient_id` from finishing: the requirements not done yet."""
    return [r for r in requirements(fields, recipient_id, identity, role) if not r.done]


async def package_fields(session: AsyncSession, package_id: int) -> list[Field]:
    """Every field of the package, document by document, in page order."""
    rows = await session.scalars(
        select(Field)
        .join(Document, Document.id == Field.document_id)
        .where(Document.package_id == package_id)
        .order_by(Document.position, Field.page_no, Field.id)
    )
    return list(rows)


async def recipient_requirements(
    session: AsyncSession, recipient: Recipient, identity: SignerIdentity
) -> list[Requirement]:
    fields = await package_fields(session, recipient.package_id)
    return requirements(fields, recipient.id, identity, recipient.role)


def missing_error(missing: Sequence[Requirement], text: str = MISSING_TEXT) -> BadRequest:
    """The refusal: 400 naming the missing fields (and, as `value`, only them)."""
    names = list(dict.fromkeys(item.name for item in missing))
    listed = ", ".join(names)
    return BadRequest(f"{text}: {listed}", code=FIELDS_MISSING, value=listed)


async def require_complete(
    session: AsyncSession,
    recipient: Recipient,
    identity: SignerIdentity,
    *,
    about_to_sign: frozenset[int] = frozenset(),
) -> None:
    """Refuse (400, the missing fields by name) unless the recipient may finish.
    `about_to_sign`: signature fields (ids) the caller signs in the same step."""
    fields = await package_fields(session, recipient.package_id)
    missing = [
        item
        for item in missing_fields(fields, recipient.id, identity, recipient.role)
        if item.field_id not in about_to_sign
    ]
    if missing:
        raise missing_error(missing)
