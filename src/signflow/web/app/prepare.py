"""Prepare and send `/app/new`: upload, fields placed on the page images, the message,
send (the recipients: `prepare_recipients`; the fields: `prepare_fields`; the settings:
`prepare_settings`; templates: `template_pages`).

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
from signflow.models import WorkflowMode, WorkflowStatus
from signflow.packages.access import Need
from signflow.packages.documents import DEFAULT_FILE_NAME, Upload, upload_document
from signflow.packages.packages import create_package
from signflow.web.app.document_pages import app_page
from signflow.web.app.form_values import read_form
from signflow.web.app.multipart_form import MultipartForm, read_multipart
from signflow.web.app.package_access import readable_package
from signflow.web.app.pages import finish
from signflow.web.app.placement import prepared_documents
from signflow.web.app.prepare_fields import PALETTE
from signflow.web.app.prepare_recipients import recipient_choices
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.web.app.template_pages import template_choices
from signflow.workflow.settings import WorkflowChange, get_workflow, update_workflow
from signflow.workflow.share import share_package

# Every form's token is checked by the router (`csrf.check_csrf`), uploads' included.
router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]

NEW = "/app/new"
PREPARE = "/app/new/{package_id}"
NO_FILE = "upload.no_file"
MAX_FILES = 20


def _redirect(request: Request, target: str) -> Response:
    return finish(request, RedirectResponse(target, status_code=303))


def _back(request: Request, package_id: int, anchor: str = "") -> Response:
    return _redirect(request, PREPARE.format(package_id=package_id) + anchor)


@router.get(NEW)
async def new_page(request: Request, principal: PrincipalDep) -> Response:
    choices = await template_choices(request, principal)
    return app_page(request, principal, "app/new.html", choices=choices)


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
