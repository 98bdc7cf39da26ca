"""The fields of a draft on the prepare page `/app/new/{id}`: placed on a page image,
changed (moved, resized, assigned, options), removed.

Each form is one core call, the one behind the API route named beside it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.principal import Principal
from signflow.errors import BadRequest
from signflow.faces.routing import get_session
from signflow.faces.signinghub.deps import request_actor
from signflow.models import FieldKind
from signflow.packages.access import Need
from signflow.web.app.field_options import added_options, changed_options, prefilled_value
from signflow.web.app.form_values import FormValues, read_form
from signflow.web.app.package_access import readable_package
from signflow.web.app.pages import finish
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.workflow.fields import (
    Box,
    FieldChange,
    FieldSpec,
    PartialBox,
    add_field,
    delete_field,
    update_field,
)
from signflow.workflow.settings import get_workflow

# Every form's token is checked by the router (`csrf.check_csrf`).
router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]

PREPARE = "/app/new/{package_id}"
# The kinds the palette offers, in its order; each is a kind of the core's fields.
PALETTE = (
    FieldKind.DIGITAL_SIGNATURE,
    FieldKind.ELECTRONIC_SIGNATURE,
    FieldKind.SIGNATURE,
    FieldKind.IN_PERSON_SIGNATURE,
    FieldKind.INITIALS,
    FieldKind.TEXT,
    FieldKind.DATE,
    FieldKind.NAME,
    FieldKind.EMAIL,
    FieldKind.COMPANY,
    FieldKind.JOB_TITLE,
    FieldKind.CHECKBOX,
    FieldKind.RADIO,
    FieldKind.DROPDOWN,
    FieldKind.LISTBOX,
)
SIGNATURE_SIZE = (180.0, 60.0)
# A field added without a position (the keyboard's way): near the page's top left.
DEFAULT_SIZES: dict[FieldKind, tuple[float, float]] = {
    FieldKind.CHECKBOX: (18, 18),
    FieldKind.RADIO: (18, 18),
    FieldKind.INITIALS: (60, 40),
    FieldKind.LISTBOX: (160, 72),
    FieldKind.DIGITAL_SIGNATURE: SIGNATURE_SIZE,
    FieldKind.ELECTRONIC_SIGNATURE: SIGNATURE_SIZE,
    FieldKind.SIGNATURE: SIGNATURE_SIZE,
    FieldKind.IN_PERSON_SIGNATURE: SIGNATURE_SIZE,
}
DEFAULT_SIZE = (160, 24)
MARGIN = 72.0


def _back(request: Request, package_id: int, anchor: str = "") -> Response:
    target = PREPARE.format(package_id=package_id) + anchor
    return finish(request, RedirectResponse(target, status_code=303))


def _kind(form: FormValues) -> FieldKind:
    try:
        kind = FieldKind(form.text("kind", 40))
    except ValueError as exc:
        raise BadRequest("prepare.bad_value", value="kind") from exc
    if kind not in PALETTE:
        raise BadRequest("prepare.bad_value", value="kind")
    return kind


def _box(form: FormValues, kind: FieldKind, page_height: float) -> Box:
    """The box the drop gave (PDF points), or the default place near the top left."""
    if form.values.get("x", "").strip():
        return Box(
            x=form.number("x"),
            y=form.number("y"),
            width=form.number("width", minimum=1),
            height=form.number("height", minimum=1),
        )
    width, height = DEFAULT_SIZES.get(kind, DEFAULT_SIZE)
    return Box(x=MARGIN, y=max(0.0, page_height - MARGIN - height), width=width, height=height)


@router.post(PREPARE + "/fields")
async def place_field(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """`POST packages/{id}/documents/{document_id}/fields/{kind}`."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    view = await get_workflow(session, principal, package_id)
    document_id = form.integer("document_id", minimum=1, maximum=2**62)
    document = next((d for d in view.documents if d.id == document_id), None)
    if document is None:
        raise BadRequest("prepare.bad_value", value="document_id")
    page_no = form.integer("page_no", minimum=1, maximum=document.page_count)
    kind = _kind(form)
    spec = FieldSpec(
        order=form.optional_integer("order"),
        page_no=page_no,
        box=_box(form, kind, document.pages[page_no - 1][1]),
        required=form.flag("required"),
        options=added_options(kind, form),
    )
    field = await add_field(
        session, principal, request_actor(request, principal), package_id, document_id, kind, spec
    )
    return _back(request, package_id, f"#placed-{document_id}-{field.name}")


@router.post(PREPARE + "/fields/{document_id}/{name}")
async def change_field(
    package_id: int, document_id: int, name: str, request: Request, principal: PrincipalDep
) -> Response:
    """`PUT packages/{id}/documents/{document_id}/fields/{kind}`: the inspector's form
    (name, recipient, required, the box, the kind's options and value)."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    kind = _kind(form)
    change = FieldChange(
        name=name,
        renamed_as=form.text("renamed_as", 255) or None,
        value=prefilled_value(kind.value, form),
        options=changed_options(kind.value, form),
        order=form.optional_integer("order"),
        required=form.flag("required"),
        resize=PartialBox(
            x=form.number("x"),
            y=form.number("y"),
            width=form.number("width", minimum=1),
            height=form.number("height", minimum=1),
        ),
    )
    changed = await update_field(
        session, principal, request_actor(request, principal), package_id, document_id, kind, change
    )
    return _back(request, package_id, f"#placed-{document_id}-{changed.name}")


@router.post(PREPARE + "/fields/{document_id}/{name}/delete")
async def remove_field(
    package_id: int, document_id: int, name: str, request: Request, principal: PrincipalDep
) -> Response:
    """`DELETE packages/{id}/documents/{document_id}/fields`."""
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    await delete_field(
        session, principal, request_actor(request, principal), package_id, document_id, name
    )
    return _back(request, package_id, f"#document-{document_id}")
