"""What goes into a document's PDF form: its fields (created empty when the package is
shared) and the values written into them (the owner's at sharing, each recipient's in
their first signature on the document, the values of recipients who do not sign it,
editors above all, in the first signature on it after they finished). The PDF side is
`signflow.signing.form_spec`.

Values are display strings: a date in its field's format, `true`/`false` for a
checkbox, the chosen button's name for a radio group, identity fields from the
signer's verified identity. A field nobody filled has no value and stays empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.models import Field, FieldKind, Recipient, User
from signflow.signing.form_spec import FormFieldSpec, FormKind, Widget
from signflow.workflow.field_values import (
    CHOICE_KINDS,
    FIXED_KINDS,
    IDENTITY_KINDS,
    SIGNATURE_KINDS,
    TEXT_KINDS,
    choices_of,
    identity_value,
    radio_group,
    shown_date,
)
from signflow.workflow.signer_identity import SignerIdentity, signer_identity

_FORM_KINDS = {
    FieldKind.DATE.value: FormKind.DATE,
    FieldKind.CHECKBOX.value: FormKind.CHECKBOX,
    FieldKind.RADIO.value: FormKind.RADIO,
    FieldKind.DROPDOWN.value: FormKind.DROPDOWN,
    FieldKind.LISTBOX.value: FormKind.LISTBOX,
}


def _widget(field: Field, value: str | None = None) -> Widget:
    return Widget(
        page=field.page_no - 1, rect=(field.x, field.y, field.width, field.height), value=value
    )


def form_field_specs(fields: Sequence[Field]) -> list[FormFieldSpec]:
    """The AcroForm fields of one document's form fields (every kind but signatures and
    initials), in the given order; a radio group is one field with a widget per button,
    the button's name being its export value."""
    specs: list[FormFieldSpec] = []
    groups: dict[str, list[Widget]] = {}
    for field in fields:
        if field.kind in SIGNATURE_KINDS:
            continue
        if field.kind == FieldKind.RADIO.value:
            group = radio_group(field)
            if group not in groups:
                groups[group] = []
                specs.append(FormFieldSpec(group, FormKind.RADIO, ()))
            groups[group].append(_widget(field, field.name))
            continue
        kind = _FORM_KINDS.get(field.kind, FormKind.TEXT)
        specs.append(
            FormFieldSpec(
                name=field.name,
                kind=kind,
                widgets=(_widget(field),),
                options=tuple(choices_of(field)) if field.kind in CHOICE_KINDS else (),
                multiline=field.options.get("multiline") is True,
            )
        )
    return [
        FormFieldSpec(s.name, s.kind, tuple(groups[s.name])) if s.kind is FormKind.RADIO else s
        for s in specs
    ]


def _value(field: Field, identity: SignerIdentity | None, signed_on: dt.date | None) -> str | None:
    """One field's value as shown; identity and signing date are None at sharing."""
    if field.kind in FIXED_KINDS:
        return identity_value(field.kind, identity) if identity is not None else None
    if field.kind in IDENTITY_KINDS:
        typed = (field.value or "").strip()
        if typed or identity is None:
            return typed or None
        return identity_value(field.kind, identity)
    if field.kind == FieldKind.DATE.value:
        return shown_date(field, field.value, signed_on)
    if field.kind == FieldKind.CHECKBOX.value:
        return field.value if field.value in ("true", "false") else None
    if field.kind in TEXT_KINDS or field.kind in CHOICE_KINDS:
        return field.value or None
    return None


def _values(
    fields: Sequence[Field], identity: SignerIdentity | None, signed_on: dt.date | None
) -> dict[str, str]:
    values: dict[str, str] = {}
    for field in fields:
        if field.kind in SIGNATURE_KINDS:
            continue
        if field.kind == FieldKind.RADIO.value:
            if field.value == "true":
                values[radio_group(field)] = field.name
            continue
        value = _value(field, identity, signed_on)
        if value is not None:
            values[field.name] = value
    return values


def shared_form_values(fields: Sequence[Field]) -> dict[str, str]:
    """The values the owner gave before sharing (AcroForm name -> value), written when the
    package is shared."""
    return _values(fields, None, None)


def _belongs_to(field: Field, recipient_id: int) -> bool:
    return field.recipient_id == recipient_id or (
        field.recipient_id is None and field.filled_by_id == recipient_id
    )


def recipient_form_values(
    fields: Sequence[Field], recipient_id: int, identity: SignerIdentity, signed_on: dt.date
) -> dict[str, str]:
    """One recipient's values in one document at their signature (AcroForm name -> value):
    their fields, and the unassigned ones they filled. A radio group counts as theirs when
    one of its buttons does."""
    mine_groups = {
        radio_group(f)
        for f in fields
        if f.kind == FieldKind.RADIO.value and _belongs_to(f, recipient_id)
    }
    chosen = [
        f
        for f in fields
        if _belongs_to(f, recipient_id)
        or (f.kind == FieldKind.RADIO.value and radio_group(f) in mine_groups)
    ]
    return _values(chosen, identity, signed_on)


def finished_recipients_values(fields: Sequence[Field], recipient_ids: set[int]) -> dict[str, str]:
    """The values that recipients who finished without signing this document gave on it (an
    editor's, above all): the next signature on the document carries and covers them."""
    return _values([f for f in fields if f.recipient_id in recipient_ids], None, None)


def given_values(fields: Sequence[Field], finished: set[int]) -> dict[str, str]:
    """The values in a document that no one signed: the owner's, and those of recipients
    who finished their turn (identity fields and signing-date defaults need a signature)."""
    return _values(
        [f for f in fields if (f.filled_by_id or f.recipient_id) in finished | {None}], None, None
    )


async def document_form_fields(session: AsyncSession, document_id: int) -> list[Field]:
    rows = await session.scalars(
        select(Field).where(Field.document_id == document_id).order_by(Field.page_no, Field.id)
    )
    return list(rows)


async def document_form_specs(session: AsyncSession, document_id: int) -> list[FormFieldSpec]:
    """form_field_specs for a stored document (for the share step)."""
    return form_field_specs(await document_form_fields(session, document_id))


async def document_shared_values(session: AsyncSession, document_id: int) -> dict[str, str]:
    """shared_form_values for a stored document (for the share step)."""
    return shared_form_values(await document_form_fields(session, document_id))


async def signature_form_values(
    session: AsyncSession,
    document_id: int,
    recipient: Recipient,
    signer_user: User | None,
    signed_at: dt.datetime,
) -> dict[str, str]:
    """recipient_form_values for a stored document, with the identity Signflow verified
    for `recipient` acting as `signer_user`, on the (UTC) date of `signed_at`."""
    fields = await document_form_fields(session, document_id)
    identity = await signer_identity(session, recipient, signer_user)
    return recipient_form_values(fields, recipient.id, identity, signed_at.date())
