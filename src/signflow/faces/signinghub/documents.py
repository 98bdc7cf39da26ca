"""Documents of a package: upload, details, page images, download, change, certify policy."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from sqlalchemy import select

from signflow.db import utcnow
from signflow.faces.file_names import file_name_from_header
from signflow.faces.form_upload import file_from_form, is_form
from signflow.faces.routing import (
    ContextDep,
    SessionDep,
    TransactionalRoute,
    empty_ok,
    read_raw_body,
    spool_raw_body,
)
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.package_schemas import (
    AttachmentItem,
    AttachmentSummary,
    CertifyPolicy,
    CertifySettings,
    Dimensions,
    DocumentCreated,
    DocumentDetails,
    DocumentFieldSummary,
    DocumentRename,
    DocumentReorder,
    ImageBase64,
    PageSize,
)
from signflow.faces.signinghub.packages import OCTET_STREAM, attachment_headers
from signflow.identity.checks import require_all_opened
from signflow.models import Document, Field, Recipient
from signflow.packages.access import Need, get_package
from signflow.packages.content import (
    attachment_file,
    document_bytes,
    page_image,
    parse_resolution,
)
from signflow.packages.documents import (
    DEFAULT_FILE_NAME,
    CertifyPermission,
    Upload,
    add_attachment,
    delete_attachment,
    delete_document,
    get_document,
    list_attachments,
    rename_document,
    reorder_document,
    set_certify_policy,
    upload_document,
)

router = APIRouter(route_class=TransactionalRoute, tags=["documents"])

TRUE_WORDS = frozenset({"true", "1", "yes"})

RAW_BODY = {
    "requestBody": {
        "required": True,
        "content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}},
    }
}


def file_name_from(header: str | None) -> str:
    """The upload's file name (`faces.file_names`), or `document.pdf` without one."""
    return file_name_from_header(header, DEFAULT_FILE_NAME)


@router.post(
    "/packages/{package_id}/documents",
    status_code=201,
    response_model=DocumentCreated,
    openapi_extra=RAW_BODY,
)
async def upload(
    package_id: int,
    request: Request,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
    x_file_name: Annotated[str | None, Header()] = None,
    x_source: Annotated[str | None, Header()] = None,
    x_convert_document: Annotated[str | None, Header()] = None,
) -> DocumentCreated:
    content_type = request.headers.get("content-type")
    source = (x_source or None) and x_source[:100]
    convert = (x_convert_document or "").strip().lower() in TRUE_WORDS
    if is_form(content_type):  # a browser's FormData
        body = await read_raw_body(request, context.settings.max_upload_bytes)
        form = file_from_form(content_type or "", body)
        name = file_name_from(x_file_name if x_file_name else form.file_name)
        upload = Upload(data=form.data, file_name=name, source=source, convert=convert)
        document = await upload_document(
            session, context.settings, context.blobs, principal, actor, package_id, upload
        )
        return DocumentCreated(documentid=document.id)
    spooled = await spool_raw_body(request, context.settings.max_upload_bytes, context.blobs)
    try:
        document = await upload_document(
            session,
            context.settings,
            context.blobs,
            principal,
            actor,
            package_id,
            Upload(
                data=spooled,
                file_name=file_name_from(x_file_name),
                source=source,
                convert=convert,
            ),
        )
    finally:
        spooled.discard()
    return DocumentCreated(documentid=document.id)


@router.post(
    "/packages/{package_id}/documents/{document_id}/attachments",
    status_code=201,
    openapi_extra=RAW_BODY,
)
async def upload_attachment(
    package_id: int,
    document_id: int,
    request: Request,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
    x_file_name: Annotated[str | None, Header()] = None,
) -> Response:
    data = await read_raw_body(request, context.settings.max_upload_bytes)
    content_type = request.headers.get("content-type", OCTET_STREAM)
    if is_form(content_type):  # a browser's FormData
        form = file_from_form(content_type, data)
        data = form.data
        x_file_name = x_file_name or form.file_name
        content_type = OCTET_STREAM
    await add_attachment(
        session,
        context.blobs,
        principal,
        actor,
        package_id,
        document_id,
        data=data,
        file_name=file_name_from(x_file_name),
        content_type=content_type[:200],
    )
    return Response(status_code=201)


@router.get(
    "/packages/{package_id}/documents/{document_id}/attachments",
    response_model=list[AttachmentItem],
)
async def attachments(
    package_id: int, document_id: int, principal: PrincipalDep, session: SessionDep
) -> list[AttachmentItem]:
    document = await _readable_document(session, principal, package_id, document_id)
    return [
        AttachmentItem(
            attachment_id=a.id,
            file_name=a.name,
            size=a.size,
            content_type=a.content_type,
            created_on=a.created_at.isoformat(),
        )
        for a in await list_attachments(session, document.id)
    ]


@router.get(
    "/packages/{package_id}/documents/{document_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {OCTET_STREAM: {}}}},
)
async def download_attachment(
    package_id: int,
    document_id: int,
    attachment_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
) -> Response:
    document = await _readable_document(session, principal, package_id, document_id)
    attachment, data = await attachment_file(session, context.blobs, document, attachment_id)
    return Response(data, media_type=OCTET_STREAM, headers=attachment_headers(attachment.name))


@router.delete("/packages/{package_id}/documents/{document_id}/attachments/{attachment_id}")
async def remove_attachment(
    package_id: int,
    document_id: int,
    attachment_id: int,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> Response:
    await delete_attachment(
        session, context.blobs, principal, actor, package_id, document_id, attachment_id
    )
    return empty_ok()


async def _readable_document(
    session: SessionDep, principal: PrincipalDep, package_id: int, document_id: int
) -> Document:
    access = await get_package(session, principal, package_id, Need.READ)
    # Document-opening security holds for every read of the content.
    await require_all_opened(session, access.recipients, utcnow())
    return await get_document(session, access, document_id)


@router.get(
    "/packages/{package_id}/documents/{document_id}/details", response_model=DocumentDetails
)
async def details(
    package_id: int, document_id: int, principal: PrincipalDep, session: SessionDep
) -> DocumentDetails:
    document = await _readable_document(session, principal, package_id, document_id)
    fields = await session.execute(
        select(Field, Recipient.position)
        .outerjoin(Recipient, Recipient.id == Field.recipient_id)
        .where(Field.document_id == document.id)
        .order_by(Field.page_no, Field.id)
    )
    attachments = await list_attachments(session, document.id)
    return DocumentDetails(
        document_id=document.id,
        document_name=document.name,
        document_order=document.position,
        file_size=document.current_size,
        page_count=document.page_count,
        pages=[
            PageSize(page_no=number, width=width, height=height)
            for number, (width, height) in enumerate(document.pages, start=1)
        ],
        certify=CertifySettings(
            enabled=document.certify_enabled,
            permission=CertifyPermission(document.certify_permission),
        ),
        lock_form_fields=document.lock_form_fields,
        fields=[
            DocumentFieldSummary(
                field_name=field.name,
                type=field.kind,
                page_no=field.page_no,
                order=order,
                dimensions=Dimensions(x=field.x, y=field.y, width=field.width, height=field.height),
                value=field.value,
                signed=field.signed_at is not None,
            )
            for field, order in fields
        ],
        attachments=[
            AttachmentSummary(attachment_id=a.id, file_name=a.name, size=a.size)
            for a in attachments
        ],
        uploaded_on=document.created_at.isoformat(),
        modified_on=document.modified_at.isoformat(),
    )


@router.get(
    "/packages/{package_id}/documents/{document_id}/images/{page_no}/{resolution}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def image(
    package_id: int,
    document_id: int,
    page_no: int,
    resolution: str,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
) -> Response:
    document = await _readable_document(session, principal, package_id, document_id)
    png = await page_image(session, context.blobs, document, page_no, parse_resolution(resolution))
    return Response(png, media_type="image/png")


@router.get(
    "/packages/{package_id}/documents/{document_id}/images/{page_no}/{resolution}/base64",
    response_model=ImageBase64,
)
async def image_base64(
    package_id: int,
    document_id: int,
    page_no: int,
    resolution: str,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
) -> ImageBase64:
    document = await _readable_document(session, principal, package_id, document_id)
    png = await page_image(session, context.blobs, document, page_no, parse_resolution(resolution))
    return ImageBase64(image_base64=base64.b64encode(png).decode())


@router.get(
    "/packages/{package_id}/documents/{document_id}",
    response_class=Response,
    responses={200: {"content": {OCTET_STREAM: {}}}},
)
async def download(
    package_id: int,
    document_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
) -> Response:
    document = await _readable_document(session, principal, package_id, document_id)
    data = await document_bytes(context.blobs, document)
    return Response(data, media_type=OCTET_STREAM, headers=attachment_headers(document.name))


@router.get(
    "/packages/{package_id}/documents/{document_id}/base64",
    response_class=Response,
    responses={200: {"content": {OCTET_STREAM: {}}}},
)
async def download_base64(
    package_id: int,
    document_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
) -> Response:
    """The guide answers the file itself in base64 (not JSON), as an octet stream."""
    document = await _readable_document(session, principal, package_id, document_id)
    data = await document_bytes(context.blobs, document)
    return Response(
        base64.b64encode(data),
        media_type=OCTET_STREAM,
        headers=attachment_headers(document.name),
    )


@router.put("/packages/{package_id}/documents/{document_id}")
async def rename(
    package_id: int,
    document_id: int,
    body: DocumentRename,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await rename_document(session, principal, actor, package_id, document_id, body.document_name)
    return empty_ok()


@router.delete("/packages/{package_id}/documents/{document_id}")
async def delete(
    package_id: int,
    document_id: int,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await delete_document(session, principal, actor, package_id, document_id)
    return empty_ok()


@router.put("/packages/{package_id}/documents/{document_id}/reorder")
async def reorder(
    package_id: int,
    document_id: int,
    body: DocumentReorder,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await reorder_document(session, principal, actor, package_id, document_id, body.order)
    return empty_ok()


@router.get("/packages/{package_id}/documents/{document_id}/certify", response_model=CertifyPolicy)
async def get_certify(
    package_id: int, document_id: int, principal: PrincipalDep, session: SessionDep
) -> CertifyPolicy:
    document = await _readable_document(session, principal, package_id, document_id)
    return CertifyPolicy(
        certify=CertifySettings(
            enabled=document.certify_enabled,
            permission=CertifyPermission(document.certify_permission),
        ),
        lock_form_fields=document.lock_form_fields,
    )


@router.put("/packages/{package_id}/documents/{document_id}/certify")
async def put_certify(
    package_id: int,
    document_id: int,
    body: CertifyPolicy,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await set_certify_policy(
        session,
        principal,
        actor,
        package_id,
        document_id,
        enabled=body.certify.enabled,
        permission=body.certify.permission,
        lock_form_fields=body.lock_form_fields,
    )
    return empty_ok()
