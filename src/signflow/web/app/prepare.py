"""Prepare and send `/app/new`: upload, fields placed on the page images, the message,
send (the recipients: `prepare_recipients`; the settings: `prepare_settings`).

Each form is one core call, the one behind the API route named beside it; the pages
hold no rule of their own (what may change, and when, is the core's to say).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.principal import Principal
from signflow.errors import BadRequest
from signflow.faces.file_names import file_name_from_header
from signflow.faces.form_upload import is_form
from signflow.faces.routing import get_context, get_session
from signflow.faces.signinghub.deps import request_actor
from signflow.models import FieldKind, WorkflowMode, WorkflowStatus
from signflow.packages.access import Need
from signflow.packages.documents import DEFAULT_FILE_NAME, Upload, upload_document
from signflow.packages.packages import create_package
from signflow.web.app.document_pages import app_page
from signflow.web.app.form_values import FormValues, read_form
from signflow.web.app.multipart_form import MultipartForm, read_multipart
from signflow.web.app.package_access import readable_package
from signflow.web.app.pages import finish
from signflow.web.app.placement import prepared_documents
from signflow.web.app.prepare_recipients import recipient_choices
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
from signflow.workflow.settings import WorkflowChange, get_workflow, update_workflow
from signflow.workflow.share import share_package

# Every form's token is checked by the router (`csrf.check_csrf`), uploads' included.
router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]

NEW = "/app/new"
PREPARE = "/app/new/{package_id}"
# The kinds the palette offers, in its order; each is a kind of the core's fields.
PALETTE = (
    FieldKind.DIGITAL_SIGNATURE,
    FieldKind.INITIALS,
    FieldKind.TEXT,
    FieldKind.DATE,
    FieldKind.CHECKBOX,
    FieldKind.NAME,
    FieldKind.EMAIL,
)
# A field added without a position (the keyboard's way): near the page's top left.
DEFAULT_SIZES: dict[FieldKind, tuple[float, float]] = {
    FieldKind.CHECKBOX: (18, 18),
    FieldKind.INITIALS: (60, 40),
    FieldKind.DIGITAL_SIGNATURE: (180, 60),
}
DEFAULT_SIZE = (160, 24)
MARGIN = 72.0
NO_FILE = "upload.no_file"
MAX_FILES = 20


def _redirect(request: Request, target: str) -> Response:
    return finish(request, RedirectResponse(target, status_code=303))


def _back(request: Request, package_id: int, anchor: str = "") -> Response:
    return _redirect(request, PREPARE.format(package_id=package_id) + anchor)


@router.get(NEW)
async def new_page(request: Request, principal: PrincipalDep) -> Response:
    return app_page(request, principal, "app/new.html")


async def _multipart(request: Request) -> MultipartForm:
    if not is_form(request.headers.get("content-type")):
        raise BadRequest("upload.not_a_form")
    form = await read_multipart(request)
    if not form.files:
        raise BadRequest(NO_FILE)
    if len(form.files) > MAX_FILES:
        raise BadRequest("upload.too_many")
    return form


async def _upload_all(
    request: Request, principal: Principal, package_id: int, form: MultipartForm
) -> None:
    """Each file as the API's `POST packages/{id}/documents` takes it; what is not a PDF
    is converted, as `x-convert-document: true` asks."""
    context = get_context(request)
    actor = request_actor(request, principal)
    for part in form.files:
        name = file_name_from_header(part.file_name, DEFAULT_FILE_NAME)
        upload = Upload(
            data=part.data,
            file_name=name,
            source="app",
            convert=not name.lower().endswith(".pdf"),
        )
        await upload_document(
            get_session(request),
            context.settings,
            context.blobs,
            principal,
            actor,
            package_id,
            upload,
        )


@router.post(NEW)
async def create(request: Request, principal: PrincipalDep) -> Response:
    """`POST packages`, then `POST packages/{id}/documents` for each file."""
    form = await _multipart(request)
    name = " ".join(form.values.get("package_name", "").split())[:255] or None
    if name is None:
        name = form.files[0].file_name.rsplit(".", 1)[0][:255] or None
    package = await create_package(
        get_session(request),
        principal,
        request_actor(request, principal),
        name=name,
        workflow_mode=WorkflowMode.ME_AND_OTHERS,
        tags=None,
    )
    await _upload_all(request, principal, package.id, form)
    return _back(request, package.id)


@router.get(PREPARE)
async def prepare_page(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    view = await get_workflow(session, principal, package_id)
    if view.package.status != WorkflowStatus.DRAFT.value:
        return _redirect(request, f"/app/viewer/{package_id}")
    documents = await prepared_documents(session, principal, package_id, view.documents)
    return app_page(
        request,
        principal,
        "app/prepare.html",
        package=view.package,
        documents=documents,
        recipients=view.recipients,
        palette=[kind.value for kind in PALETTE],
        choices=await recipient_choices(session, principal, request, view.recipients),
        prepare_url=PREPARE.format(package_id=package_id),
    )


@router.post(PREPARE + "/documents")
async def add_documents(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    await readable_package(get_session(request), principal, package_id, Need.OWN)
    form = await _multipart(request)
    await _upload_all(request, principal, package_id, form)
    return _back(request, package_id, "#documents")


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
    )
    field = await add_field(
        session, principal, request_actor(request, principal), package_id, document_id, kind, spec
    )
    return _back(request, package_id, f"#placed-{document_id}-{field.name}")


@router.post(PREPARE + "/fields/{document_id}/{name}")
async def change_field(
    package_id: int, document_id: int, name: str, request: Request, principal: PrincipalDep
) -> Response:
    """`PUT packages/{id}/documents/{document_id}/fields` (move, resize, assign, required)."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    kind = _kind(form)
    change = FieldChange(
        name=name,
        order=form.optional_integer("order"),
        required=form.flag("required"),
        resize=PartialBox(
            x=form.number("x"),
            y=form.number("y"),
            width=form.number("width", minimum=1),
            height=form.number("height", minimum=1),
        ),
    )
    await update_field(
        session, principal, request_actor(request, principal), package_id, document_id, kind, change
    )
    return _back(request, package_id, f"#placed-{document_id}-{name}")


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


@router.post(PREPARE + "/send")
async def send(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """`PUT packages/{id}/workflow` with the message, then `POST packages/{id}/workflow`."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    actor = request_actor(request, principal)
    message = form.message("message")
    if message:
        await update_workflow(
            session, principal, actor, package_id, WorkflowChange(message=message)
        )
    await share_package(session, principal, actor, package_id)
    return _redirect(request, f"/app/viewer/{package_id}")
