"""Document preparation: fields placed on pages and assigned to recipients by order."""

from __future__ import annotations

from fastapi import APIRouter, Response

from signflow.errors import NotFound
from signflow.faces.routing import ContextDep, ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.workflow_schemas import (
    AutoplaceBody,
    AutoplacedField,
    DocumentFields,
    FieldAdd,
    FieldAssignment,
    FieldBody,
    FieldDelete,
    FieldDimensions,
    FieldNameBody,
    FieldUpdate,
    FillBody,
)
from signflow.models import Field, FieldKind
from signflow.workflow.fields import (
    Box,
    FieldChange,
    FieldSpec,
    PlacedField,
    add_field,
    assign_fields,
    autoplace_fields,
    delete_field,
    fill_fields,
    list_fields,
    update_field,
)

router = APIRouter(route_class=TransactionalRoute, tags=["fields"])

BASE = "/packages/{package_id}/documents/{document_id}/fields"
OPTION_KEYS = (
    "display",
    "level_of_assurance",
    "placeholder",
    "max_length",
    "radio_group_name",
    "authentication",
)


def field_kind(value: str) -> FieldKind:
    try:
        return FieldKind(value.lower())
    except ValueError as exc:
        raise NotFound("The requested resource was not found") from exc


def dimensions(field: Field) -> FieldDimensions:
    return FieldDimensions(x=field.x, y=field.y, width=field.width, height=field.height)


def field_body(placed: PlacedField) -> FieldBody:
    field = placed.field
    display = field.options.get("display")
    return FieldBody(
        order=placed.order,
        field_name=field.name,
        page_no=field.page_no,
        display=display if isinstance(display, str) else None,
        dimensions=dimensions(field),
        value=field.value,
        required=field.required,
        signed=field.signed_at is not None,
    )


def options_of(body: FieldAdd | FieldUpdate) -> dict[str, object]:
    return {key: getattr(body, key) for key in OPTION_KEYS if getattr(body, key) is not None}


def grouped(placed: list[PlacedField]) -> DocumentFields:
    groups: dict[str, list[FieldBody]] = {kind.value: [] for kind in FieldKind}
    for item in placed:
        groups.setdefault(item.field.kind, []).append(field_body(item))
    return DocumentFields.model_validate(groups)


@router.get(BASE, dependencies=[ReadOnly], response_model=DocumentFields)
async def get_fields(
    package_id: int, document_id: int, principal: PrincipalDep, session: SessionDep
) -> DocumentFields:
    return grouped(await list_fields(session, principal, package_id, document_id))


@router.get(BASE + "/{page_no}", dependencies=[ReadOnly], response_model=DocumentFields)
async def get_page_fields(
    package_id: int, document_id: int, page_no: int, principal: PrincipalDep, session: SessionDep
) -> DocumentFields:
    return grouped(await list_fields(session, principal, package_id, document_id, page_no))


@router.post(BASE + "/autoplace", response_model=list[AutoplacedField])
async def autoplace(
    package_id: int,
    document_id: int,
    body: AutoplaceBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> list[AutoplacedField]:
    placed = await autoplace_fields(
        session,
        context.blobs,
        principal,
        actor,
        package_id,
        document_id,
        search_text=body.search_text,
        kind=field_kind(body.field_type),
        order=body.order,
        placement=body.placement,
        width=body.dimensions.width,
        height=body.dimensions.height,
    )
    return [
        AutoplacedField(field_name=f.name, page_no=f.page_no, dimensions=dimensions(f))
        for f in placed
    ]


@router.put(BASE + "/assign")
async def assign(
    package_id: int,
    document_id: int,
    body: list[FieldAssignment],
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    pairs = [(item.field_name, item.order) for item in body]
    await assign_fields(session, principal, actor, package_id, document_id, pairs)
    return empty_ok()


@router.post(BASE + "/{kind}", response_model=FieldNameBody)
async def add(
    package_id: int,
    document_id: int,
    kind: str,
    body: FieldAdd,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> FieldNameBody:
    d = body.dimensions
    spec = FieldSpec(
        order=body.order,
        page_no=body.page_no,
        box=Box(d.x, d.y, d.width, d.height),
        name=body.field_name,
        value=body.value,
        required=body.required,
        options=options_of(body),
    )
    placed = await add_field(
        session, principal, actor, package_id, document_id, field_kind(kind), spec
    )
    return FieldNameBody(field_name=placed.name)


@router.put(BASE + "/{kind}", response_model=FieldNameBody)
async def update(
    package_id: int,
    document_id: int,
    kind: str,
    body: FieldUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> FieldNameBody:
    d = body.dimensions
    change = FieldChange(
        name=body.field_name,
        renamed_as=body.renamed_as,
        order=body.order,
        page_no=body.page_no,
        box=Box(d.x, d.y, d.width, d.height) if d else None,
        value=body.value,
        required=body.required,
        options=options_of(body),
    )
    changed = await update_field(
        session, principal, actor, package_id, document_id, field_kind(kind), change
    )
    return FieldNameBody(field_name=changed.name)


@router.delete(BASE)
async def delete(
    package_id: int,
    document_id: int,
    body: FieldDelete,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await delete_field(session, principal, actor, package_id, document_id, body.field_name)
    return empty_ok()


@router.put(BASE)
async def fill(
    package_id: int,
    document_id: int,
    body: FillBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    values = [
        (kind, item.field_name, item.value)
        for kind, items in (
            (FieldKind.TEXT, body.text),
            (FieldKind.RADIO, body.radio),
            (FieldKind.CHECKBOX, body.checkbox),
        )
        for item in items
    ]
    await fill_fields(session, principal, actor, package_id, document_id, values)
    return empty_ok()
