"""Fields on document pages: place, change, autoplace, assign, delete, list, fill.

Coordinates are PDF points in the page's own space: `x`, `y` are the field's
lower-left corner measured from the page's lower-left corner, as PDF (and
PDFium's text search, and the signer) count them.

Radio buttons are fields of their own, grouped by `radio_group_name` (a button
without one is a group of its own name); a group becomes one AcroForm field in
the PDF, so its name may not be another field's, and all its buttons belong to
one recipient. Choosing a button sets it `true` and every other one of its group
`false`. What each kind's value may be is in `field_values`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Conflict, Forbidden, NotFound
from signflow.identity.checks import require_opened
from signflow.models import (
    Document,
    Field,
    FieldKind,
    Package,
    Recipient,
    WorkflowStatus,
)
from signflow.packages.access import Need, get_package
from signflow.packages.content import document_bytes
from signflow.packages.documents import get_document
from signflow.pdf.text_search import find_text_async
from signflow.storage import BlobStore
from signflow.workflow.common import (
    LOCKED_WORKFLOW,
    NOT_ALLOWED,
    SIGNING_ROLES,
    my_recipients,
    owned_draft,
    package_recipients,
    recipient_at,
    require_access_period,
    turn_is_open,
)
from signflow.workflow.field_values import (
    CHOICE_KINDS,
    SIGNATURE_KINDS,
    TEXT_KINDS,
    TOGGLE_KINDS,
    TOGGLE_SIZE,
    as_flag,
    check_choices,
    check_date_format,
    radio_group,
    stored_value,
)
from signflow.workflow.groups import take_group_turn

__all__ = ["SIGNATURE_KINDS"]

FIELD_NOT_FOUND = "Field not found"
SIGNED_DOCUMENT = "You cannot change the form fields of a document once you have signed it"
FILLABLE_KINDS = (FieldKind.TEXT.value, FieldKind.CHECKBOX.value, FieldKind.RADIO.value)
MAX_FIELDS_PER_DOCUMENT = 1000
# A field may overhang the page by rounding, not by more.
TOLERANCE = 0.5
# Autoplace's size when the body gives none (a checkbox or radio button: TOGGLE_SIZE).
AUTOPLACE_SIZE = (150.0, 50.0)


class Placement(StrEnum):
    LEFT = "LEFT"
    RIGHT = "RIGHT"
    TOP = "TOP"
    BOTTOM = "BOTTOM"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class FieldSpec:
    order: int | None
    page_no: int
    box: Box
    name: str | None = None
    value: str | None = None
    required: bool = True
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldChange:
    name: str
    renamed_as: str | None = None
    order: int | None = None
    page_no: int | None = None
    value: str | None = None
    required: bool | None = None
    options: dict[str, object] = field(default_factory=dict)
    resize: PartialBox | None = None
    """What of the box changes; the rest stays (a checkbox or radio button stays square)."""


@dataclass(frozen=True)
class PartialBox:
    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None


@dataclass(frozen=True)
class PlacedField:
    field: Field
    order: int | None


@dataclass(frozen=True)
class FillValue:
    """One value a client sent: `kind` is the list it came in (text covers every text
    type: date, name, email, company, job title). A radio value names a button (`value`
    true or false, `radio_group_name` optional) or a group (`value` the chosen button)."""

    kind: FieldKind
    name: str
    value: str | bool
    radio_group_name: str | None = None


def field_box(
    kind: FieldKind, x: float, y: float, width: float | None, height: float | None
) -> Box:
    """A field's box; a checkbox or radio button without a size is TOGGLE_SIZE square, and
    with one side given is square on the larger (as SigningHub sizes them)."""
    if width is not None and height is not None and kind.value not in TOGGLE_KINDS:
        return Box(x, y, width, height)
    if kind.value not in TOGGLE_KINDS:
        raise BadRequest("dimensions.width and dimensions.height are required")
    given = [side for side in (width, height) if side is not None]
    side = max(given) if given else TOGGLE_SIZE
    return Box(x, y, side, side)


async def _draft_document(
    session: AsyncSession, principal: Principal, package_id: int, document_id: int
) -> tuple[Package, Document]:
    package = await owned_draft(session, principal, package_id)
    document = await session.scalar(
        select(Document).where(Document.id == document_id, Document.package_id == package.id)
    )
    if document is None:
        raise NotFound("Document not found")
    return package, document


def _check_box(document: Document, page_no: int, box: Box) -> None:
    if not 1 <= page_no <= document.page_count:
        raise BadRequest(f"page_no must be between 1 and {document.page_count}")
    width, height = document.pages[page_no - 1]
    if box.width <= 0 or box.height <= 0:
        raise BadRequest("The field's width and height must be more than 0")
    if (
        box.x < -TOLERANCE
        or box.y < -TOLERANCE
        or box.x + box.width > width + TOLERANCE
        or box.y + box.height > height + TOLERANCE
    ):
        raise BadRequest(
            f"The field does not fit on page {page_no} ({width:g} x {height:g} points)"
        )


def _check_role(kind: FieldKind, recipient: Recipient | None) -> None:
    if recipient is None or kind.value not in SIGNATURE_KINDS:
        return
    # In-person fields too: SigningHub gives them to a signer (who facilitates the
    # signing) as well as to a meeting host.
    if recipient.role not in SIGNING_ROLES:
        raise BadRequest(f"A {kind.value} field belongs to a SIGNER, not a {recipient.role}")


def _checked_options(kind: FieldKind, options: dict[str, object]) -> dict[str, object]:
    """The options a field of `kind` keeps, checked: choices, date format, radio group."""
    checked = dict(options)
    if kind.value in CHOICE_KINDS:
        raw = checked.get("choices")
        checked["choices"] = check_choices(
            [str(c) for c in raw] if isinstance(raw, list | tuple) else None
        )
    if "format" in checked and kind is FieldKind.DATE:
        checked["format"] = check_date_format(str(checked["format"]))
    if kind is FieldKind.RADIO and "radio_group_name" in checked:
        group = re.sub(r"\s+", " ", str(checked["radio_group_name"])).strip()
        if not group or len(group) > 255:
            raise BadRequest("radio_group_name must be 1 to 255 characters")
        checked["radio_group_name"] = group
    return checked


def _check_names(fields: Sequence[Field], candidate: Field) -> None:
    """A radio group is one AcroForm field: its name is no other field's name, and all
    its buttons have one recipient."""
    own_group = radio_group(candidate) if candidate.kind == FieldKind.RADIO.value else None
    for other in fields:
        if other is candidate:
            continue
        other_group = radio_group(other) if other.kind == FieldKind.RADIO.value else None
        if own_group is not None and own_group == other.name and other_group != own_group:
            raise Conflict(f"The radio group name '{own_group}' is the name of another field")
        if other_group is not None and other_group == candidate.name and own_group != other_group:
            raise Conflict(f"'{candidate.name}' is the name of a radio group in this document")
        if (
            own_group is not None
            and other_group == own_group
            and other.recipient_id != candidate.recipient_id
        ):
            raise BadRequest(f"Every button of radio group '{own_group}' belongs to one recipient")


def _initial_value(kind: FieldKind, probe: Field, value: str | None) -> str | None:
    if value is None or kind.value in SIGNATURE_KINDS:
        return value
    if value == "":
        return None
    if kind is FieldKind.RADIO:
        return "true" if as_flag(value, f"radio button '{probe.name}'") else "false"
    return stored_value(probe, value)


async def _document_fields(session: AsyncSession, document_id: int) -> list[Field]:
    rows = await session.scalars(
        select(Field).where(Field.document_id == document_id).order_by(Field.page_no, Field.id)
    )
    return list(rows)


def _unique_name(kind: FieldKind, taken: set[str]) -> str:
    base = kind.value.replace("_", " ").title().replace(" ", "")
    number = 1
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def _clean_name(name: str) -> str:
    cleaned = re.sub(r"\s+", " ", name).strip()
    if not cleaned or len(cleaned) > 255:
        raise BadRequest("field_name must be 1 to 255 characters")
    return cleaned


def _choose_in_group(fields: Sequence[Field], chosen: Field) -> None:
    """`chosen` is the one button of its group that is on."""
    group = radio_group(chosen)
    for other in fields:
        if other.kind == FieldKind.RADIO.value and radio_group(other) == group:
            other.value = "true" if other is chosen else "false"


async def add_field(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    kind: FieldKind,
    spec: FieldSpec,
) -> Field:
    package, document = await _draft_document(session, principal, package_id, document_id)
    recipients = await package_recipients(session, package.id)
    recipient = recipient_at(recipients, spec.order) if spec.order is not None else None
    _check_role(kind, recipient)
    _check_box(document, spec.page_no, spec.box)
    existing = await _document_fields(session, document.id)
    if len(existing) >= MAX_FIELDS_PER_DOCUMENT:
        raise BadRequest(f"A document holds at most {MAX_FIELDS_PER_DOCUMENT} fields")
    taken = {f.name for f in existing}
    name = _clean_name(spec.name) if spec.name else _unique_name(kind, taken)
    if name in taken:
        raise Conflict(f"A field named '{name}' already exists in this document")
    placed = Field(
        document_id=document.id,
        recipient_id=recipient.id if recipient else None,
        kind=kind.value,
        name=name,
        page_no=spec.page_no,
        x=spec.box.x,
        y=spec.box.y,
        width=spec.box.width,
        height=spec.box.height,
        required=spec.required,
        options=_checked_options(kind, spec.options),
    )
    _check_names(existing, placed)
    placed.value = _initial_value(kind, placed, spec.value)
    session.add(placed)
    if kind is FieldKind.RADIO and placed.value == "true":
        _choose_in_group([*existing, placed], placed)
    await session.flush()
    await record(
        session,
        package.id,
        "FIELD_ADDED",
        actor,
        {
            "document_id": document.id,
            "field_name": name,
            "field_type": kind.value,
            "order": spec.order,
            "page_no": spec.page_no,
            "value": placed.value,
        },
    )
    return placed


def same_family(asked: FieldKind, actual: str) -> bool:
    """`PUT fields/text` reaches every text type (date, name, email, company, job title)."""
    if asked is FieldKind.TEXT:
        return actual in TEXT_KINDS
    return asked.value == actual


async def update_field(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    kind: FieldKind,
    change: FieldChange,
) -> Field:
    package, document = await _draft_document(session, principal, package_id, document_id)
    fields = await _document_fields(session, document.id)
    target = next((f for f in fields if f.name == change.name and same_family(kind, f.kind)), None)
    if target is None:
        raise NotFound(FIELD_NOT_FOUND, value=change.name)
    actual = FieldKind(target.kind)
    if change.order is not None:
        recipient = recipient_at(await package_recipients(session, package.id), change.order)
        _check_role(actual, recipient)
        target.recipient_id = recipient.id
    page_no = change.page_no or target.page_no
    box = _resized(actual, target, change.resize)
    _check_box(document, page_no, box)
    target.page_no = page_no
    target.x, target.y, target.width, target.height = box.x, box.y, box.width, box.height
    if change.renamed_as:
        new_name = _clean_name(change.renamed_as)
        if new_name != target.name and any(f.name == new_name for f in fields):
            raise Conflict(f"A field named '{new_name}' already exists in this document")
        target.name = new_name
    if change.required is not None:
        target.required = change.required
    if change.options:
        target.options = _checked_options(actual, {**target.options, **change.options})
    if change.order is not None and actual is FieldKind.RADIO:
        _move_group(fields, target)
    _check_names(fields, target)
    if change.value is not None:
        target.value = _initial_value(actual, target, change.value)
        if actual is FieldKind.RADIO and target.value == "true":
            _choose_in_group(fields, target)
    await record(
        session,
        package.id,
        "FIELD_UPDATED",
        actor,
        {
            "document_id": document.id,
            "field_name": change.name,
            "renamed_as": target.name,
            **({"value": target.value} if change.value is not None else {}),
        },
    )
    return target


def _resized(kind: FieldKind, target: Field, resize: PartialBox | None) -> Box:
    if resize is None:
        return Box(target.x, target.y, target.width, target.height)
    x = target.x if resize.x is None else resize.x
    y = target.y if resize.y is None else resize.y
    if kind.value in TOGGLE_KINDS:
        # A toggle stays square: a new side (either one) sets both.
        sides = [side for side in (resize.width, resize.height) if side is not None]
        side = max(sides) if sides else target.width
        return Box(x, y, side, side)
    width = target.width if resize.width is None else resize.width
    height = target.height if resize.height is None else resize.height
    return Box(x, y, width, height)


def _move_group(fields: Sequence[Field], moved: Field) -> None:
    """Assigning one radio button assigns its whole group."""
    group = radio_group(moved)
    for other in fields:
        if other.kind == FieldKind.RADIO.value and radio_group(other) == group:
            other.recipient_id = moved.recipient_id


def _beside(hit: Box, placement: Placement, width: float, height: float, gap: float) -> Box:
    middle_y = hit.y + hit.height / 2 - height / 2
    if placement is Placement.LEFT:
        return Box(hit.x - gap - width, middle_y, width, height)
    if placement is Placement.TOP:
        return Box(hit.x, hit.y + hit.height + gap, width, height)
    if placement is Placement.BOTTOM:
        return Box(hit.x, hit.y - gap - height, width, height)
    return Box(hit.x + hit.width + gap, middle_y, width, height)


async def autoplace_fields(
    session: AsyncSession,
    blobs: BlobStore,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    *,
    search_text: str,
    kind: FieldKind,
    order: int | None,
    placement: Placement,
    width: float | None,
    height: float | None,
    value: str | None = None,
    options: dict[str, object] | None = None,
    required: bool | None = None,
) -> list[Field]:
    """A field beside every occurrence of `search_text`, kept inside the page. Without a
    size: a checkbox or radio button is TOGGLE_SIZE square, anything else 150 x 50."""
    _, document = await _draft_document(session, principal, package_id, document_id)
    if kind.value in TOGGLE_KINDS:
        size = field_box(kind, 0, 0, width, height)
        width, height = size.width, size.height
    else:
        width = width or AUTOPLACE_SIZE[0]
        height = height or AUTOPLACE_SIZE[1]
    hits = await find_text_async(await document_bytes(blobs, document), search_text)
    placed = []
    for hit in hits:
        page_width, page_height = document.pages[hit.page_index]
        box = _beside(Box(hit.x, hit.y, hit.width, hit.height), placement, width, height, 2.0)
        box = Box(
            min(max(box.x, 0.0), max(page_width - width, 0.0)),
            min(max(box.y, 0.0), max(page_height - height, 0.0)),
            width,
            height,
        )
        spec = FieldSpec(
            order=order,
            page_no=hit.page_index + 1,
            box=box,
            value=value,
            required=True if required is None else required,
            options=dict(options or {}),
        )
        placed.append(
            await add_field(session, principal, actor, package_id, document_id, kind, spec)
        )
    return placed


async def assign_fields(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    assignments: list[tuple[str, int]],
) -> None:
    package, document = await _draft_document(session, principal, package_id, document_id)
    recipients = await package_recipients(session, package.id)
    fields = await _document_fields(session, document.id)
    by_name = {f.name: f for f in fields}
    for name, order in assignments:
        target = by_name.get(name)
        if target is None:
            raise NotFound(FIELD_NOT_FOUND, value=name)
        recipient = recipient_at(recipients, order)
        _check_role(FieldKind(target.kind), recipient)
        target.recipient_id = recipient.id
        if target.kind == FieldKind.RADIO.value:
            _move_group(fields, target)
    await record(
        session,
        package.id,
        "FIELDS_ASSIGNED",
        actor,
        {
            "document_id": document.id,
            "assignments": [{"field_name": n, "order": o} for n, o in assignments],
        },
    )


async def delete_field(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    name: str,
) -> None:
    package, document = await _draft_document(session, principal, package_id, document_id)
    target = await session.scalar(
        select(Field).where(Field.document_id == document.id, Field.name == name)
    )
    if target is None:
        raise NotFound(FIELD_NOT_FOUND, value=name)
    await session.delete(target)
    await record(
        session,
        package.id,
        "FIELD_DELETED",
        actor,
        {"document_id": document.id, "field_name": name},
    )


async def list_fields(
    session: AsyncSession,
    principal: Principal,
    package_id: int,
    document_id: int,
    page_no: int | None = None,
) -> list[PlacedField]:
    access = await get_package(session, principal, package_id, Need.READ)
    document = await get_document(session, access, document_id)
    if page_no is not None and not 1 <= page_no <= document.page_count:
        raise BadRequest(f"page_no must be between 1 and {document.page_count}")
    query = (
        select(Field, Recipient.position)
        .outerjoin(Recipient, Recipient.id == Field.recipient_id)
        .where(Field.document_id == document.id)
        .order_by(Field.page_no, Field.id)
    )
    if page_no is not None:
        query = query.where(Field.page_no == page_no)
    return [PlacedField(row[0], row[1]) for row in await session.execute(query)]


async def fill_fields(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    values: Sequence[FillValue],
) -> None:
    """Fill form fields: the owner of a draft, or the recipient whose turn is open, in the
    fields assigned to them (or to nobody), until they sign the document. Every value is
    checked before any is kept: one bad value changes nothing."""
    access = await get_package(session, principal, package_id, Need.READ, for_update=True)
    package = access.package
    document = await get_document(session, access, document_id)
    mine: Recipient | None = None
    now = utcnow()
    if package.status == WorkflowStatus.SHARED.value:
        current = await my_recipients(session, principal, access)
        mine = next((r for r in current if turn_is_open(r)), None)
        if mine is None:
            raise Forbidden(NOT_ALLOWED)
        require_access_period(mine, now)
        await require_opened(session, mine, now)
        await take_group_turn(session, principal, actor, package, mine)
    elif package.status != WorkflowStatus.DRAFT.value or not access.is_owner:
        raise Forbidden(LOCKED_WORKFLOW)
    fields = await _document_fields(session, document.id)
    if mine is not None and any(
        f.recipient_id == mine.id and f.signed_at is not None for f in fields
    ):
        raise Forbidden(SIGNED_DOCUMENT)
    changed: dict[int, str | None] = {}
    entries: list[dict[str, object]] = []
    for item in values:
        resolved = _resolve(fields, item)
        for target, stored in resolved:
            if mine is not None and target.recipient_id not in (None, mine.id):
                raise Forbidden(NOT_ALLOWED)
            changed[target.id] = stored
        entry: dict[str, object] = {
            "field_name": item.name,
            "field_type": resolved[0][0].kind,
            "value": item.value,
        }
        if item.kind is FieldKind.RADIO:
            entry["radio_group_name"] = radio_group(resolved[0][0])
        entries.append(entry)
    for target in fields:
        if target.id in changed:
            target.value = changed[target.id]
            target.filled_by_id = mine.id if mine is not None else None
            target.filled_at = now
    package.modified_at = now
    await record(
        session,
        package.id,
        "FORM_FILLED",
        actor,
        {
            "document_id": document.id,
            "order": mine.position if mine is not None else None,
            "version": document.version_count,
            "fields": entries,
        },
    )


def _resolve(fields: Sequence[Field], item: FillValue) -> list[tuple[Field, str | None]]:
    """The fields one sent value changes, with their new stored values (or a 4xx)."""
    target = next((f for f in fields if f.name == item.name), None)
    if item.kind is FieldKind.RADIO:
        return _resolve_radio(fields, target, item)
    if target is None:
        raise NotFound(FIELD_NOT_FOUND, value=item.name)
    if not same_family(item.kind, target.kind):
        raise BadRequest(
            f"'{target.name}' is a {target.kind} field: its value does not go under "
            f"{item.kind.value}"
        )
    return [(target, stored_value(target, item.value))]


def _resolve_radio(
    fields: Sequence[Field], target: Field | None, item: FillValue
) -> list[tuple[Field, str | None]]:
    if target is not None and target.kind == FieldKind.RADIO.value:
        group = radio_group(target)
        if item.radio_group_name and item.radio_group_name != group:
            raise BadRequest(
                f"'{target.name}' is not a button of radio group '{item.radio_group_name}'"
            )
        on = as_flag(item.value, f"radio button '{target.name}'")
        buttons = [f for f in fields if f.kind == FieldKind.RADIO.value and radio_group(f) == group]
        if not on:
            return [(target, "false")]
        return [(b, "true" if b is target else "false") for b in buttons]
    if target is not None:
        raise BadRequest(f"'{target.name}' is a {target.kind} field, not a radio button")
    buttons = [f for f in fields if f.kind == FieldKind.RADIO.value and radio_group(f) == item.name]
    if not buttons:
        raise NotFound(FIELD_NOT_FOUND, value=item.name)
    if isinstance(item.value, bool):
        raise BadRequest(
            f"The value of radio group '{item.name}' is the name of one of its buttons"
        )
    if item.value == "":
        return [(b, "false") for b in buttons]
    if item.value not in {b.name for b in buttons}:
        raise BadRequest(
            f"'{item.value}' is not a button of radio group '{item.name}': "
            + ", ".join(b.name for b in buttons)
        )
    return [(b, "true" if b.name == item.value else "false") for b in buttons]
