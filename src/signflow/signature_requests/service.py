"""Signature requests: create, change, delete, read; and the signer's submit and cancel.

The signer has no account. A request records no signer identity: the signer
is "the person who opens the link". Underneath, the package's one recipient
carries a placeholder address (`signer+<id>@signature-request.invalid`, never
mailed: email notifications are off) and the name "Signer"; the signer's pages
act as that recipient through `workflow.recipient_session.principal_for`.
The package belongs to the enterprise's API user (the user of its first
integration application; else its first admin).
"""

from __future__ import annotations

import binascii
import datetime as dt
import uuid
from base64 import b64decode
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.config import Settings
from signflow.context import AppContext, settings_of
from signflow.db import utcnow
from signflow.errors import BadRequest, Conflict, Forbidden, NotFound, SignflowError
from signflow.models import (
    Application,
    Document,
    Enterprise,
    EnterpriseRole,
    Field,
    FieldKind,
    Package,
    RecipientRole,
    RequestState,
    SignatureRequest,
    User,
    WorkflowMode,
    WorkflowStatus,
)
from signflow.models import Recipient as RecipientRow
from signflow.packages.documents import Upload, upload_document
from signflow.packages.packages import create_package
from signflow.signature_requests.sendinfo import enqueue_delivery, queue_sendinfo
from signflow.webhooks.ssrf import literal_destination_reason, parse_allowed_networks
from signflow.workflow.actions import decline_package, finish_processing
from signflow.workflow.completeness import require_complete
from signflow.workflow.fields import Box, FieldSpec, add_field
from signflow.workflow.recipient_session import principal_for
from signflow.workflow.recipients import NewRecipient, add_recipients
from signflow.workflow.share import share_package
from signflow.workflow.sign import SignatureRequest as FieldSignature
from signflow.workflow.sign import sign_document
from signflow.workflow.signer_identity import signer_identity

DEFAULT_TTL = dt.timedelta(hours=24)
MAX_TTL = dt.timedelta(days=10)
SIGNATURE_FIELD = "Signature"
SIGNER_NAME = "Signer"
CANCEL_REASON = "canceled"
MAX_URL = 2000

NOT_EXIST = "err.signature.request.not.exist"
CLOSED = "err.signature.request.closed"
FORBIDDEN = "err.forbidden"
DOCUMENT_NOT_FOUND = "err.not.found"
EXPIRED = "err.signature.request.expired"


def view_id_missing(request_id: str) -> BadRequest:
    return BadRequest(f"View ID does not exist: {request_id}", value=request_id)


@dataclass(frozen=True)
class NewSignatureRequest:
    content_base64: str
    state: str | None = None
    filename: str | None = None
    request_id: str | None = None
    result_url: str | None = None
    send_info_url: str | None = None
    expiration_ms: int | None = None
    allowed_fields: object | None = None
    rules: object | None = None


@dataclass(frozen=True)
class RequestChange:
    """A PATCH: only the fields given change (`given` names them)."""

    send_info_url: str | None = None
    result_url: str | None = None
    given: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RedirectTarget:
    """Where the signer's browser goes next: resulturl with the spec's query, or None."""

    url: str | None


@dataclass(frozen=True)
class RequestSession:
    """What the signer's pages need to show and act on a request."""

    request: SignatureRequest
    package: Package
    recipient: RecipientRow
    document: Document
    principal: Principal

    @property
    def signed(self) -> bool:
        """The signer signed: SIGNED, or ERRORSENDINFO (the callback failed afterwards)
        on a completed package."""
        state = self.request.state
        return state == RequestState.SIGNED.value or (
            state == RequestState.ERRORSENDINFO.value
            and self.package.status == WorkflowStatus.COMPLETED.value
        )

    @property
    def open_to_sign(self) -> bool:
        return self.request.state == RequestState.TOSIGN.value


def open_url(base_url: str, request_id: str) -> str:
    return f"{base_url.rstrip('/')}/openDocument/{request_id}"


def short_url(base_url: str, request_id: str) -> str:
    return f"{base_url.rstrip('/')}/{request_id}"


def parse_request_id(value: str) -> str | None:
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None
    return str(parsed) if str(parsed) == value.strip().lower() else None


def _check_url(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value.strip())
    if len(value) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest("err.invalid.url", value=name)
    return value.strip()


def _check_send_info_url(value: str | None, settings: Settings) -> str | None:
    """sendInfoURL is called by the server: beyond _check_url, a literal address the SSRF
    guard would refuse at delivery is refused now, as webhook endpoints are. (resulturl
    is only where the signer's browser is sent, never fetched here: _check_url alone.)"""
    url = _check_url(value, "sendInfoURL")
    if url is None:
        return None
    allowed = parse_allowed_networks(settings.webhook_allowed_networks)
    if literal_destination_reason(url, allowed) is not None:
        raise BadRequest("err.invalid.url", value="sendInfoURL")
    return url


def _expiry(now: dt.datetime, expiration_ms: int | None) -> dt.datetime:
    if expiration_ms is None:
        return now + DEFAULT_TTL
    try:
        moment = dt.datetime.fromtimestamp(expiration_ms / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadRequest("err.invalid.expiration.time", value=str(expiration_ms)) from exc
    if moment <= now or moment > now + MAX_TTL:
        raise BadRequest("err.invalid.expiration.time", value=str(expiration_ms))
    return moment


def _file_name(given: str | None) -> str:
    name = PurePosixPath((given or "").replace("\\", "/")).name.strip()[:255]
    return name or "document.pdf"


async def api_user(session: AsyncSession, enterprise_id: int) -> User:
    user_id = await session.scalar(
        select(Application.api_user_id)
        .where(Application.enterprise_id == enterprise_id, Application.is_active.is_(True))
        .order_by(Application.id)
        .limit(1)
    )
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        user = await session.scalar(
            select(User)
            .where(
                User.enterprise_id == enterprise_id,
                User.role == EnterpriseRole.ADMIN.value,
                User.is_active.is_(True),
            )
            .order_by(User.id)
            .limit(1)
        )
    if user is None:
        raise Conflict("err.no.api.user", value=str(enterprise_id))
    return user


async def create_signature_request(
    session: AsyncSession,
    context: AppContext,
    enterprise: Enterprise,
    api_key_id: int | None,
    new: NewSignatureRequest,
    actor: Actor,
) -> SignatureRequest:
    now = utcnow()
    if new.state not in (None, RequestState.TOSIGN.value):
        raise BadRequest("err.invalid.state", value=str(new.state))
    try:
        data = b64decode(new.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("err.invalid.file", value="filedata.content") from exc
    if not data:
        raise BadRequest("err.invalid.file", value="filedata.content")
    request_id = str(uuid.uuid4())
    if new.request_id is not None:
        parsed = parse_request_id(new.request_id)
        if parsed is None:
            raise BadRequest("err.invalid.id", value=new.request_id)
        if await session.get(SignatureRequest, parsed) is not None:
            raise Conflict("err.signature.request.exists", value=parsed)
        request_id = parsed
    expires_at = _expiry(now, new.expiration_ms)
    result_url = _check_url(new.result_url, "resulturl")
    send_info_url = _check_send_info_url(new.send_info_url, context.settings)
    filename = _file_name(new.filename)
    owner = await api_user(session, enterprise.id)
    principal = Principal(user=owner, enterprise=enterprise, grant_id=0)
    package = await create_package(
        session, principal, actor, name=filename, workflow_mode=WorkflowMode.ONLY_OTHERS, tags=None
    )
    try:
        document = await upload_document(
            session,
            context.settings,
            context.blobs,
            principal,
            actor,
            package.id,
            Upload(data=data, file_name=filename, source="OKDOKUMENT", convert=False),
        )
    except SignflowError as exc:
        if 400 <= exc.status_code < 500:
            exc.value = exc.value or "filedata.content"
        raise
    [recipient] = await add_recipients(
        session,
        principal,
        actor,
        package.id,
        [
            NewRecipient(
                email=f"signer+{request_id}@signature-request.invalid",
                name=SIGNER_NAME,
                role=RecipientRole.SIGNER,
                email_notification=False,
            )
        ],
    )
    width, height = document.pages[-1]
    box_width, box_height = min(180.0, width - 72), min(60.0, height - 72)
    await add_field(
        session,
        principal,
        actor,
        package.id,
        document.id,
        FieldKind.ELECTRONIC_SIGNATURE,
        FieldSpec(
            order=recipient.position,
            page_no=document.page_count,
            box=Box(width - 36 - box_width, 36, box_width, box_height),
            name=SIGNATURE_FIELD,
        ),
    )
    package.expires_at = expires_at
    await share_package(session, principal, actor, package.id)
    request = SignatureRequest(
        id=request_id,
        enterprise_id=enterprise.id,
        package_id=package.id,
        document_id=document.id,
        recipient_id=recipient.id,
        api_key_id=api_key_id,
        filename=filename,
        state=RequestState.TOSIGN.value,
        send_info_url=send_info_url,
        result_url=result_url,
        allowed_fields=new.allowed_fields,
        rules=new.rules,
        expires_at=expires_at,
        created_at=now,
        modified_at=now,
    )
    session.add(request)
    await session.flush()
    await record(
        session,
        package.id,
        "SIGNATURE_REQUEST_CREATED",
        actor,
        {"signature_request_id": request_id, "expires_at": expires_at.isoformat()},
    )
    return request


async def _owned(
    session: AsyncSession, enterprise: Enterprise, request_id: str, missing: SignflowError
) -> SignatureRequest:
    parsed = parse_request_id(request_id)
    request = (
        await session.scalar(
            select(SignatureRequest)
            .where(SignatureRequest.id == parsed, SignatureRequest.deleted_at.is_(None))
            .with_for_update()
        )
        if parsed
        else None
    )
    if request is None:
        raise missing
    if request.enterprise_id != enterprise.id:
        raise Forbidden(FORBIDDEN, value=request_id)
    return request


async def update_signature_request(
    session: AsyncSession,
    enterprise: Enterprise,
    request_id: str,
    change: RequestChange,
    actor: Actor,
) -> SignatureRequest:
    """PATCH: only the given URLs change; a signed or cancelled request is closed (409)."""
    request = await _owned(session, enterprise, request_id, view_id_missing(request_id))
    if request.state != RequestState.TOSIGN.value:
        raise Conflict(CLOSED, value=request.id)
    if "send_info_url" in change.given:
        request.send_info_url = _check_send_info_url(change.send_info_url, settings_of(session))
    if "result_url" in change.given:
        request.result_url = _check_url(change.result_url, "resulturl")
    request.modified_at = utcnow()
    await record(
        session,
        request.package_id,
        "SIGNATURE_REQUEST_UPDATED",
        actor,
        {"signature_request_id": request.id, "changed": sorted(change.given)},
    )
    return request


async def delete_signature_request(
    session: AsyncSession, enterprise: Enterprise, request_id: str, actor: Actor
) -> None:
    """The request and its package disappear from every read; history and files stay."""
    request = await _owned(session, enterprise, request_id, BadRequest(NOT_EXIST, value=request_id))
    now = utcnow()
    request.deleted_at = now
    package = await session.get_one(Package, request.package_id)
    await record(
        session,
        package.id,
        "SIGNATURE_REQUEST_DELETED",
        actor,
        {"signature_request_id": request.id},
    )
    package.deleted_at = now


async def request_for_document(
    session: AsyncSession, enterprise: Enterprise, document_id: int
) -> tuple[SignatureRequest, Document]:
    """A request of this enterprise by its document id; another's answers as missing (404)."""
    row = (
        await session.execute(
            select(SignatureRequest, Document)
            .join(Document, Document.id == SignatureRequest.document_id)
            .where(
                SignatureRequest.document_id == document_id,
                SignatureRequest.enterprise_id == enterprise.id,
                SignatureRequest.deleted_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise NotFound(DOCUMENT_NOT_FOUND, value=str(document_id))
    return row[0], row[1]


async def list_signature_requests(
    session: AsyncSession, enterprise: Enterprise, state: str
) -> list[SignatureRequest]:
    query = select(SignatureRequest).where(
        SignatureRequest.enterprise_id == enterprise.id, SignatureRequest.deleted_at.is_(None)
    )
    if state != "*":
        if state not in {s.value for s in RequestState}:
            raise BadRequest("err.invalid.state", value=state)
        query = query.where(SignatureRequest.state == state)
    return list(await session.scalars(query.order_by(SignatureRequest.created_at)))


async def resolve_signature_request(
    session: AsyncSession, request_id: str, *, for_update: bool = False
) -> RequestSession:
    """The request an /openDocument link names, for the signer's pages.

    Raises BadRequest (400) `err.signature.request.not.exist` when the id is unknown or
    deleted, `err.signature.request.expired` once it expired unsigned, and
    Forbidden (403) `Account is disabled` for a disabled enterprise. A signed or
    cancelled request still resolves (its state says so).
    """
    parsed = parse_request_id(request_id)
    query = select(SignatureRequest).where(
        SignatureRequest.id == parsed, SignatureRequest.deleted_at.is_(None)
    )
    request = (
        await session.scalar(query.with_for_update() if for_update else query) if parsed else None
    )
    if request is None:
        raise BadRequest(NOT_EXIST, value=request_id)
    package = await session.get_one(Package, request.package_id)
    if package.deleted_at is not None:
        raise BadRequest(NOT_EXIST, value=request_id)
    enterprise = await session.get_one(Enterprise, request.enterprise_id)
    if not enterprise.is_active:
        raise Forbidden("Account is disabled", value=request_id)
    if request.state == RequestState.TOSIGN.value and (
        request.expires_at <= utcnow() or package.status == WorkflowStatus.EXPIRED.value
    ):
        raise BadRequest(EXPIRED, value=request_id)
    recipient = await session.get_one(RecipientRow, request.recipient_id)
    document = await session.get_one(Document, request.document_id)
    return RequestSession(
        request, package, recipient, document, principal_for(recipient, enterprise)
    )


def redirect_url(
    request: SignatureRequest, result: str, lang: str, now: dt.datetime
) -> RedirectTarget:
    """resulturl with `name` (file name without extension), `docid`, `lang`, `result`
    (`success` or `close`) and `ts` (epoch ms), kept after any query it already has."""
    if not request.result_url:
        return RedirectTarget(None)
    parts = urlsplit(request.result_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [
        ("name", PurePosixPath(request.filename).stem),
        ("docid", str(request.document_id)),
        ("lang", lang),
        ("result", result),
        ("ts", str(int(now.timestamp() * 1000))),
    ]
    return RedirectTarget(urlunsplit(parts._replace(query=urlencode(query))))


async def _open_request(session: AsyncSession, request_id: str) -> RequestSession:
    found = await resolve_signature_request(session, request_id, for_update=True)
    if found.request.state != RequestState.TOSIGN.value:
        raise Conflict(CLOSED, value=found.request.id)
    return found


async def _closed(session: AsyncSession, found: RequestSession, state: RequestState) -> None:
    now = utcnow()
    found.request.state, found.request.closed_at, found.request.modified_at = state.value, now, now
    delivery = queue_sendinfo(session, found.request, state)
    if delivery is not None:
        await session.flush()
        enqueue_delivery(session, found.request, delivery.id)


async def submit_signature_request(
    session: AsyncSession,
    context: AppContext,
    request_id: str,
    signature: FieldSignature,
    actor: Actor,
    lang: str = "en",
) -> RedirectTarget:
    """The signer signs: the signature field is signed (a PAdES signature) and the turn
    finished, so the package completes; sendInfo is queued; the answer is the redirect.

    `signature.field_name` is ignored (the request's one signature field is signed).
    """
    found = await _open_request(session, request_id)
    field = FieldSignature(
        field_name=SIGNATURE_FIELD,
        hand_signature_image=signature.hand_signature_image,
        signing_reason=signature.signing_reason,
        signing_location=signature.signing_location,
        contact_information=signature.contact_information,
        user_name=signature.user_name,
        signing_capacity=signature.signing_capacity,
        consent_text=signature.consent_text,
    )
    package_id = found.package.id
    # Before the signature, so that a refusal lists every missing field and signs nothing.
    signature_field = await session.scalar(
        select(Field.id).where(
            Field.document_id == found.document.id, Field.name == SIGNATURE_FIELD
        )
    )
    await require_complete(
        session,
        found.recipient,
        await signer_identity(session, found.recipient, found.principal.user),
        about_to_sign=frozenset({signature_field}) if signature_field is not None else frozenset(),
    )
    await sign_document(
        session, context, found.principal, actor, package_id, found.document.id, field
    )
    await finish_processing(session, found.principal, actor, package_id)
    await _closed(session, found, RequestState.SIGNED)
    return redirect_url(found.request, "success", lang, utcnow())


async def cancel_signature_request(
    session: AsyncSession,
    context: AppContext,
    request_id: str,
    actor: Actor,
    lang: str = "en",
) -> RedirectTarget:
    """The signer pressed cancel: the package is declined, sendInfo queued, redirect `close`."""
    found = await _open_request(session, request_id)
    await decline_package(session, found.principal, actor, found.package.id, CANCEL_REASON)
    await _closed(session, found, RequestState.CANCELED)
    return redirect_url(found.request, "close", lang, utcnow())


def signer_actor(ip_address: str | None, user_agent: str | None) -> Actor:
    """The history's actor for the person who opened the link."""
    return Actor(email=None, name=SIGNER_NAME, ip_address=ip_address, user_agent=user_agent)
