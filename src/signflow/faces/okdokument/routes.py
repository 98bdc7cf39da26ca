"""/JSON: OKdokument signature requests, rendered as {"message", "result", ...}.

Errors are rendered as {"message", "value"} by the shared error handler.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from signflow.accounts.api_keys import cached_api_key, resolve_api_key
from signflow.audit.history import Actor
from signflow.config import Settings
from signflow.db import read_transaction
from signflow.errors import NotFound
from signflow.faces.bodies import body_limit
from signflow.faces.routing import (
    ContextDep,
    ReadOnly,
    SessionDep,
    TransactionalRoute,
    authenticate_before_body,
    client_address,
    get_context,
    get_session,
)
from signflow.models import Enterprise, SignatureRequest
from signflow.packages.content import document_bytes
from signflow.signature_requests.service import (
    DOCUMENT_NOT_FOUND,
    NewSignatureRequest,
    RequestChange,
    create_signature_request,
    delete_signature_request,
    list_signature_requests,
    open_url,
    request_for_document,
    short_url,
    update_signature_request,
)

router = APIRouter(prefix="/JSON", route_class=TransactionalRoute, tags=["signature requests"])


class OkModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class FileData(OkModel):
    content: str = Field(min_length=1)
    state: str | None = None


class CreateBody(OkModel):
    filedata: FileData
    filename: str | None = Field(default=None, max_length=255)
    id: str | None = Field(default=None, max_length=64)
    resulturl: str | None = Field(default=None, max_length=2000)
    send_info_url: str | None = Field(
        default=None, max_length=2000, validation_alias=AliasChoices("sendInfoURL", "sendInfoUrl")
    )
    expiration_time: int | None = Field(default=None, validation_alias="expirationTime")
    allowed_fields: Any = Field(default=None, validation_alias="allowedFields")
    rules: Any = None


class PatchBody(OkModel):
    signature_request_id: str = Field(
        validation_alias="signatureRequestId", min_length=1, max_length=100
    )
    send_info_url: str | None = Field(
        default=None, max_length=2000, validation_alias=AliasChoices("sendInfoURL", "sendInfoUrl")
    )
    resulturl: str | None = Field(default=None, max_length=2000)


class Created(BaseModel):
    message: str
    result: str
    url: str
    documentId: int


class Updated(BaseModel):
    message: str
    result: str
    url: str


class Deleted(BaseModel):
    message: str
    result: str


class Metadata(BaseModel):
    filename: str
    state: str
    modification: int
    id: int
    date: int


class FlatItem(Metadata):
    url: str


class ApiCaller:
    def __init__(self, enterprise: Enterprise, key_id: int | None, actor: Actor) -> None:
        self.enterprise, self.key_id, self.actor = enterprise, key_id, actor


async def api_caller(
    request: Request, x_api_key: Annotated[str | None, Header()] = None
) -> ApiCaller:
    holder = await resolve_api_key(get_session(request), x_api_key)
    get_context(request).rate_limiter.check(holder.enterprise.id)
    actor = Actor(
        email=None,
        name=f"API key {holder.key_prefix}…",
        ip_address=client_address(request),
        user_agent=(request.headers.get("user-agent") or "")[:500] or None,
    )
    return ApiCaller(holder.enterprise, holder.key_id, actor)


async def check_api_key_first(request: Request) -> None:
    """Before a JSON body is read: a missing, unknown or revoked key is refused (401) from
    the principal cache or in a short read-only transaction of its own; the route's
    dependency then resolves the key again in the request's transaction."""
    value = request.headers.get("x-api-key")
    context = get_context(request)
    if cached_api_key(context.sessions, value) is not None:
        return
    async with read_transaction(context.sessions) as session:
        await resolve_api_key(session, value)


CallerDep = Annotated[ApiCaller, Depends(api_caller)]
authenticate_before_body(api_caller, check_api_key_first)

# Base64 carries 3 bytes in 4 characters; the rest of the body is small.
BASE64_OVERHEAD = 4 / 3


def signature_request_body_limit(settings: Settings) -> int:
    """A new signature request carries the PDF in base64, beside small JSON members."""
    return int(settings.max_upload_bytes * BASE64_OVERHEAD) + settings.max_json_body_bytes


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def metadata(request: SignatureRequest) -> dict[str, object]:
    return {
        "filename": request.filename,
        "state": request.state,
        "modification": epoch_ms(request.modified_at),
        "id": request.document_id,
        "date": epoch_ms(request.created_at),
    }


@router.post("/signatureRequest", response_model=Created)
@body_limit(signature_request_body_limit)
async def create(
    body: CreateBody, caller: CallerDep, session: SessionDep, context: ContextDep
) -> Created:
    request = await create_signature_request(
        session,
        context,
        caller.enterprise,
        caller.key_id,
        NewSignatureRequest(
            content_base64=body.filedata.content,
            state=body.filedata.state,
            filename=body.filename,
            request_id=body.id,
            result_url=body.resulturl,
            send_info_url=body.send_info_url,
            expiration_ms=body.expiration_time,
            allowed_fields=body.allowed_fields,
            rules=body.rules,
        ),
        caller.actor,
    )
    return Created(
        message="msg.signature.request.id.created",
        result=request.id,
        url=open_url(context.settings.base_url, request.id),
        documentId=request.document_id,
    )


@router.patch("/signatureRequest", response_model=Updated)
async def update(
    body: PatchBody, caller: CallerDep, session: SessionDep, context: ContextDep
) -> Updated:
    given = frozenset(
        name for name in ("send_info_url", "resulturl") if name in body.model_fields_set
    )
    request = await update_signature_request(
        session,
        caller.enterprise,
        body.signature_request_id,
        RequestChange(
            send_info_url=body.send_info_url,
            result_url=body.resulturl,
            given=frozenset("result_url" if name == "resulturl" else name for name in given),
        ),
        caller.actor,
    )
    return Updated(
        message="msg.updated",
        result=request.id,
        url=short_url(context.settings.base_url, request.id),
    )


@router.delete("/signatureRequest/{signature_request_id}", response_model=Deleted)
async def delete(signature_request_id: str, caller: CallerDep, session: SessionDep) -> Deleted:
    await delete_signature_request(session, caller.enterprise, signature_request_id, caller.actor)
    return Deleted(message="msg.deleted", result=signature_request_id)


def content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _document_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise NotFound(DOCUMENT_NOT_FOUND, value=value)
    return int(value)


@router.get(
    "/document/metadata/{document_id}",
    dependencies=[ReadOnly],
    response_model=Metadata,
)
async def document_metadata(document_id: str, caller: CallerDep, session: SessionDep) -> Metadata:
    request, _ = await request_for_document(session, caller.enterprise, _document_id(document_id))
    return Metadata.model_validate(metadata(request))


@router.get(
    "/document/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def document(
    document_id: str, caller: CallerDep, session: SessionDep, context: ContextDep
) -> Response:
    request, found = await request_for_document(
        session, caller.enterprise, _document_id(document_id)
    )
    data = await document_bytes(context.blobs, found)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(request.filename)},
    )


@router.get("/list/flat", dependencies=[ReadOnly], response_model=list[FlatItem])
async def list_flat(
    caller: CallerDep, session: SessionDep, context: ContextDep, state: str = "*"
) -> list[FlatItem]:
    requests = await list_signature_requests(session, caller.enterprise, state)
    return [
        FlatItem.model_validate(metadata(r) | {"url": open_url(context.settings.base_url, r.id)})
        for r in requests
    ]
