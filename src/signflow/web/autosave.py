"""Saving one field as the signer changes it: the package page's autosave.

`POST /web/package/field` (form: `csrf`, `document_id`, `name`, `value`) keeps one value
through `workflow.fields.fill_fields`, the call behind "Save the fields" and the API, and
answers JSON: the page's new "what to do" text and what still keeps Finish disabled. A
refusal answers the dialect's `{"message": ...}` with its 4xx, and nothing is kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from signflow.errors import BadRequest, Conflict, NotFound, PayloadTooLarge
from signflow.faces.routing import get_session
from signflow.models import FieldKind
from signflow.web.i18n import Translator
from signflow.web.pages import (
    FieldView,
    PackageView,
    choose_language,
    package_view,
    security_headers,
)
from signflow.web.routes import (
    MAX_VALUE_CHARS,
    WebRoute,
    _actor,
    _document_id,
    _form,
    _open,
    _web,
)
from signflow.workflow.fields import FillValue, fill_fields

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def find_field(view: PackageView, document_id: int, name: str) -> FieldView:
    """The recipient's own field of that name: another's, or another package's, is unknown
    here (404); one in a document they already signed is fixed (409)."""
    mine = next(
        (f for f in view.my_fields if f.document_id == document_id and f.name == name), None
    )
    if mine is None:
        raise NotFound("error.field_unknown")
    if mine not in view.fillable:
        raise Conflict("error.field_fixed")
    return mine


def fill_value(field: FieldView, value: str) -> FillValue:
    """The one value the page sent, as the API would take it."""
    if len(value) > MAX_VALUE_CHARS:
        raise PayloadTooLarge("error.value_too_long")
    kind = FieldKind(field.kind)
    if kind is FieldKind.CHECKBOX:
        if value not in ("true", "false"):
            raise BadRequest("error.value_checkbox")
        return FillValue(kind, field.name, value)
    if kind is FieldKind.RADIO:
        # A button of a group is chosen; the group's other buttons are cleared with it.
        if value != "true":
            raise BadRequest("error.value_radio")
        return FillValue(kind, field.name, True, field.group)
    family = kind if kind in (FieldKind.DROPDOWN, FieldKind.LISTBOX) else FieldKind.TEXT
    return FillValue(family, field.name, value)


def guide_state(view: PackageView, language: str) -> dict[str, object]:
    """What the page shows of the count and of Finish once a value is kept."""
    t = Translator(language)
    todo = (
        t("todo.sign", left=view.fields_left, total=view.fields_total)
        if view.fields_left
        else t("todo.sign_done")
    )
    return {
        "left": view.fields_left,
        "total": view.fields_total,
        "todo": todo,
        "can_finish": view.can_finish,
        "missing": list(view.missing),
        "finish_hint": guide_hint(view, t),
    }


def guide_hint(view: PackageView, t: Translator) -> str:
    if view.missing:
        return t("guide.missing", fields=", ".join(view.missing))
    return t("guide.ready")


@router.post("/web/package/field")
async def save_field(request: Request) -> Response:
    web = _web(request)
    form = await _form(request, web)
    rs, access = await _open(request, web)
    session = get_session(request)
    view = await package_view(session, access, rs.recipient, rs.principal)
    field = find_field(view, _document_id(form), form.get("name", ""))
    if not view.can_act:
        raise Conflict("error.not_your_turn")
    value = fill_value(field, form.get("value", ""))
    await fill_fields(
        session, rs.principal, _actor(request, rs, web), rs.package.id, field.document_id, [value]
    )
    after = await package_view(session, access, rs.recipient, rs.principal)
    language = choose_language(request, web)
    body = {
        "saved": True,
        "message": Translator(language)("save.saved"),
        **guide_state(after, language),
    }
    return security_headers(JSONResponse(body), web)
