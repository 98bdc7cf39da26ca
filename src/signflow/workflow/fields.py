"""Fields on document pages: place, change, autoplace, assign, delete, list, fill.

Coordinates are PDF points in the page's own space: `x`, `y` are the field's
lower-left corner measured from the page's lower-left corner, as PDF (and
PDFium's text search, and the signer) count them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Conflict, Forbidden, NotFound
from signflow.models import (
    Document,
    Field,
    FieldKind,
    Package,
    Recipient,
    RecipientRole,
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
    turn_is_open,
)

FIELD_NOT_FOUND = "Field not found"
SIGNATURE_KINDS = (
    FieldKind.SIGNATURE.value,
    FieldKind.DIGITAL_SIGNATURE.value,
    FieldKind.ELECTRONIC_SIGNATURE.value,
    FieldKind.IN_PERSON_SIGNATURE.value,
    FieldKind.INITIALS.value,
)
FILLABLE_KINDS = (FieldKind.TEXT.value, FieldKind.CHECKBOX.value, FieldKind.RADIO.value)
MAX_FIELDS_PER_DOCUMENT = 1000
# A field may overhang the page by rounding, not by more.
TOLERANCE = 0.5


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
    box: Box | None = None
    value: str | None = None
    required: bool | None = None
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PlacedField:
    field: Field
    order: int | None


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
    if kind is FieldKind.IN_PERSON_SIGNATURE:
        if recipient.role != RecipientRole.INPERSON_HOST.value:
            raise BadRequest("An in-person signature field belongs to an INPERSON_HOST")
    elif recipient.role not in SIGNING_ROLES:
        raise BadRequest(f"A {kind.value} field belongs to a SIGNER, not a {recipient.role}")


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
        value=spec.value,
        options=dict(spec.options),
    )
    session.add(placed)
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
        },
    )
    return placed


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
    target = next((f for f in fields if f.name == change.name and f.kind == kind.value), None)
    if target is None:
        raise NotFound(FIELD_NOT_FOUND, value=change.name)
    if change.order is not None:
        recipient = recipient_at(await package_recipients(session, package.id), change.order)
        _check_role(kind, recipient)
        target.recipient_id = recipient.id
    page_no = change.page_no or target.page_no
    box = change.box or Box(target.x, target.y, target.width, target.height)
    _check_box(document, page_no, box)
    target.page_no = page_no
    target.x, target.y, target.width, target.height = box.x, box.y, box.width, box.height
    if change.renamed_as:
        new_name = _clean_name(change.renamed_as)
        if new_name != target.name and any(f.name == new_name for f in fields):
            raise Conflict(f"A field named '{new_name}' already exists in this document")
        target.name = new_name
    if change.value is not None:
        target.value = change.value
    if change.required is not None:
        target.required = change.required
    if change.options:
        target.options = {**target.options, **change.options}
    await record(
        session,
        package.id,
        "FIELD_UPDATED",
        actor,
        {"document_id": document.id, "field_name": change.name, "renamed_as": target.name},
    )
    return target


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
    width: float,
    height: float,
) -> list[Field]:
    """A field beside every occurrence of `search_text`, kept inside the page."""
    _, document = await _draft_document(session, principal, package_id, document_id)
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
        spec = FieldSpec(order=order, page_no=hit.page_index + 1, box=box)
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
    fields = {f.name: f for f in await _document_fields(session, document.id)}
    for name, order in assignments:
        target = fields.get(name)
        if target is None:
            raise NotFound(FIELD_NOT_FOUND, value=name)
        recipient = recipient_at(recipients, order)
        _check_role(FieldKind(target.kind), recipient)
        target.recipient_id = recipient.id
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
    values: list[tuple[FieldKind, str, str]],
) -> None:
    """Fill text, radio and checkbox fields: the owner of a draft, or the recipient whose
    turn is open, in the fields assigned to them."""
    access = await get_package(session, principal, package_id, Need.READ, for_update=True)
    package = access.package
    document = await get_document(session, access, document_id)
    mine: Recipient | None = None
    if package.status == WorkflowStatus.SHARED.value:
        current = await my_recipients(session, principal, access)
        mine = next((r for r in current if turn_is_open(r)), None)
        if mine is None:
            raise Forbidden(NOT_ALLOWED)
    elif package.status != WorkflowStatus.DRAFT.value or not access.is_owner:
        raise Forbidden(LOCKED_WORKFLOW)
    fields = {f.name: f for f in await _document_fields(session, document.id)}
    for kind, name, value in values:
        target = fields.get(name)
        if target is None or target.kind != kind.value:
            raise NotFound(FIELD_NOT_FOUND, value=name)
        if mine is not None and target.recipient_id not in (None, mine.id):
            raise Forbidden(NOT_ALLOWED)
        if kind is FieldKind.CHECKBOX and value.lower() not in ("true", "false"):
            raise BadRequest(f"The value of checkbox '{name}' must be true or false")
        target.value = value.lower() if kind is FieldKind.CHECKBOX else value
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        "FORM_FILLED",
        actor,
        {"document_id": document.id, "fields": [name for _, name, _ in values]},
    )
