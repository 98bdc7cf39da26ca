"""Document preparation: fields placed on pages and assigned to recipients by order.

SigningHub's text fields come in types (`POST fields/text {"type": "NAME"}`), listed
together under `text`; each type is a kind of its own in the core. Autoplace takes
SigningHub's field types (`NAME`, `RadioBox`, `CheckBox`, ...) as well as the kinds.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from signflow.errors import BadRequest, NotFound
from signflow.faces.routing import ContextDep, ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.workflow_schemas import (
    AutoplaceBody,
    AutoplacedField,
    ChoiceFieldBody,
    DocumentFields,
    FieldAdd,
    FieldAssignment,
    FieldBody,
    FieldDelete,
    FieldDimensions,
    FieldNameBody,
    FieldOptions,
    FieldUpdate,
    FillBody,
    RadioFieldBody,
    SignatureFieldBody,
    TextFieldBody,
)
from signflow.models import Field, FieldKind
from signflow.signing.assurance import accepted_levels
from signflow.workflow.field_values import (
    CHOICE_KINDS,
    TEXT_KINDS,
    TEXT_TYPES,
    choices_of,
    radio_group,
)
from signflow.workflow.fields import (
    FieldChange,
    FieldSpec,
    FillValue,
    PartialBox,
    PlacedField,
    add_field,
    assign_fields,
    autoplace_fields,
    delete_field,
    field_box,
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
    "multiline",
    "radio_group_name",
    "authentication",
    "format",
    "default_to_signing_date",
    "choices",
)
# SigningHub's autoplace field types that are not a kind's own name.
FIELD_TYPE_ALIASES = {"radiobox": FieldKind.RADIO, "jobtitle": FieldKind.JOB_TITLE}
TYPE_OF_KIND = {kind.value: name for name, kind in TEXT_TYPES.items()}
# Fields that carry SigningHub's level_of_assurance in the listing.
LEVELLED_KINDS = frozenset(
    kind.value
    for kind in (
        FieldKind.SIGNATURE,
        FieldKind.DIGITAL_SIGNATURE,
        FieldKind.ELECTRONIC_SIGNATURE,
        FieldKind.IN_PERSON_SIGNATURE,
    )
)


def field_kind(value: str) -> FieldKind:
    lowered = value.lower()
    if lowered in FIELD_TYPE_ALIASES:
        return FIELD_TYPE_ALIASES[lowered]
    try:
        return FieldKind(lowered)
    except ValueError as exc:
        raise NotFound("The requested resource was not found") from exc


def text_kind(kind: FieldKind, body: FieldOptions) -> FieldKind:
    """`POST fields/text` with a `type`: the text type's own kind."""
    if kind is not FieldKind.TEXT or body.type is None:
        return kind
    found = TEXT_TYPES.get(body.type.upper())
    if found is None:
        raise BadRequest("type must be one of " + ", ".join(TEXT_TYPES))
    return found


def dimensions(field: Field) -> FieldDimensions:
    return FieldDimensions(x=field.x, y=field.y, width=field.width, height=field.height)


def field_body(placed: PlacedField) -> FieldBody:
    field = placed.field
    display = field.options.get("display")
    common = {
        "order": placed.order,
        "field_name": field.name,
        "page_no": field.page_no,
        "display": display if isinstance(display, str) else None,
        "dimensions": dimensions(field),
        "value": field.value,
        "required": field.required,
        "signed": field.signed_at is not None,
    }
    options = field.options
    if field.kind in TEXT_KINDS:
        fmt = options.get("format")
        placeholder = options.get("placeholder")
        limit = options.get("max_length")
        return TextFieldBody(
            **common,
            type=TYPE_OF_KIND[field.kind],
            format=fmt if isinstance(fmt, str) else None,
            placeholder=placeholder if isinstance(placeholder, str) else None,
            max_length=limit if isinstance(limit, int) else None,
            multiline=options.get("multiline") is True,
        )
    if field.kind == FieldKind.RADIO.value:
        return RadioFieldBody(
            **common, radio_group_name=radio_group(field), checked=field.value == "true"
        )
    if field.kind in CHOICE_KINDS:
        return ChoiceFieldBody(**common, choices=choices_of(field))
    if field.kind in LEVELLED_KINDS:
        levels = options.get("level_of_assurance")
        return SignatureFieldBody(
            **common,
            level_of_assurance=[str(v) for v in levels] if isinstance(levels, list) else None,
        )
    return FieldBody(**common)


def options_of(body: FieldOptions) -> dict[str, object]:
    """The field's options; a level of assurance Signflow cannot provide is refused (400)."""
    options = {key: getattr(body, key) for key in OPTION_KEYS if getattr(body, key) is not None}
    if body.authentication is not None:
        options["authentication"] = body.authentication.as_option()
    if "level_of_assurance" in options:
        options["level_of_assurance"] = accepted_levels(body.level_of_assurance)
    return options


def required_of(body: FieldOptions, required: bool | None) -> bool | None:
    """SigningHub's `validation_rule` (MANDATORY / OPTIONAL) wins over our `required`."""
    if body.validation_rule is not None:
        return body.validation_rule == "MANDATORY"
    return required


def initial_value(body: FieldOptions) -> str | None:
    if isinstance(body.value, bool):
        return "true" if body.value else "false"
    return body.value


def grouped(placed: list[PlacedField]) -> DocumentFields:
    groups: dict[str, list[FieldBody]] = {}
    for item in placed:
        key = "text" if item.field.kind in TEXT_KINDS else item.field.kind
        groups.setdefault(key, []).append(field_body(item))
    return DocumentFields.model_validate(
        {key: [body.model_dump() for body in bodies] for key, bodies in groups.items()}
    )


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
        kind=text_kind(field_kind(body.field_type), body),
        order=body.order,
        placement=body.placement,
        width=body.dimensions.width,
        height=body.dimensions.height,
        value=initial_value(body),
        options=options_of(body),
        required=required_of(body, None),
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
    field_type = text_kind(field_kind(kind), body)
    d = body.dimensions
    required = required_of(body, body.required)
    spec = FieldSpec(
        order=body.order,
        page_no=body.page_no,
        box=field_box(field_type, d.x, d.y, d.width, d.height),
        name=body.field_name,
        value=initial_value(body),
        required=body.required if required is None else required,
        options=options_of(body),
    )
    placed = await add_field(session, principal, actor, package_id, document_id, field_type, spec)
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
    field_type = field_kind(kind)
    d = body.dimensions
    change = FieldChange(
        name=body.field_name,
        renamed_as=body.renamed_as,
        order=body.order,
        page_no=body.page_no,
        resize=PartialBox(d.x, d.y, d.width, d.height) if d else None,
        value=initial_value(body),
        required=required_of(body, body.required),
        options=options_of(body),
    )
    changed = await update_field(
        session, principal, actor, package_id, document_id, field_type, change
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
        FillValue(kind, item.field_name, item.value, item.radio_group_name)
        for kind, items in (
            (FieldKind.TEXT, body.text),
            (FieldKind.RADIO, body.radio),
            (FieldKind.CHECKBOX, body.checkbox),
            (FieldKind.DROPDOWN, body.dropdown),
            (FieldKind.LISTBOX, body.listbox),
        )
        for item in items
    ]
    await fill_fields(session, principal, actor, package_id, document_id, values)
    return empty_ok()
