"""Downloads through signed links: no bearer token, the link itself is the permission."""

from __future__ import annotations

from fastapi import APIRouter, Response

from signflow.errors import NotFound
from signflow.faces.routing import ContextDep, SessionDep, TransactionalRoute
from signflow.faces.signinghub.packages import OCTET_STREAM, attachment_headers
from signflow.models import Document, Package
from signflow.packages.links import read_document_link
from signflow.retention.policy import require_document_content
from signflow.sealing import InvalidToken

router = APIRouter(route_class=TransactionalRoute, tags=["files"])

LINK_NOT_VALID = "This download link is not valid or has expired"


@router.get(
    "/files/{token}",
    response_class=Response,
    responses={200: {"content": {OCTET_STREAM: {}}}},
)
async def download_by_link(token: str, session: SessionDep, context: ContextDep) -> Response:
    try:
        target = read_document_link(context.settings, token)
    except InvalidToken as exc:
        raise NotFound(LINK_NOT_VALID) from exc
    document = await session.get(Document, target.document_id)
    package = await session.get(Package, document.package_id) if document else None
    if document is None or package is None or package.deleted_at is not None:
        raise NotFound(LINK_NOT_VALID)
    require_document_content(document)
    data = await context.blobs.get(target.sha256)
    return Response(data, media_type=OCTET_STREAM, headers=attachment_headers(document.name))
