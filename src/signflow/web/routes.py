"""The signer's pages: the email link, the package page, its actions, the done page.

Every action calls the same workflow function as the SigningHub API, as the
recipient the session names (see `signflow.workflow.recipient_session`).
Every page of a package first passes the recipient's identity check
(`signflow.web.identity`): until it is passed, they are sent to the identity page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute

from signflow.audit.history import Actor
from signflow.db import utcnow
from signflow.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    SignflowError,
    TooManyRequests,
)
from signflow.faces.bodies import read_limited
from signflow.faces.routing import (
    client_address,
    get_context,
    get_session,
    in_request_transaction,
)
from signflow.identity.checks import Blocked, require_opened
from signflow.models import FieldKind, ProcessStatus, RecipientRole, WorkflowStatus
from signflow.models import SignatureRequest as SignatureRequestRow
from signflow.packages.access import PackageAccess, get_package
from signflow.packages.content import document_bytes, page_image_sha256
from signflow.packages.documents import get_document
from signflow.packages.links import RECIPIENT_LINK_PURPOSE
from signflow.sealing import InvalidToken, read_token
from signflow.signature_requests.service import resolve_signature_request, signer_actor
from signflow.web.adoption import ADOPTED_IMAGE_PATH, adopted_image, signature_with_adoption
from signflow.web.blocked import owner_told_of_block
from signflow.web.branding import recipient_language
from signflow.web.branding import remember as remember_branding
from signflow.web.embedding import (
    SUCCESS_FLASHES,
    embed_event,
    error_outcome,
    outcome,
    turn_outcome,
)
from signflow.web.i18n import Translator, has_text, supported
from signflow.web.pages import (
    PAGE_DPI,
    DocumentView,
    FieldView,
    choose_language,
    consent_text,
    package_view,
    render,
    security_headers,
)
from signflow.web.session import (
    WebSession,
    clear_flash,
    new_session,
    read_flash,
    read_session,
    write_flash,
    write_session,
)
from signflow.workflow.actions import (
    approve_package,
    decline_package,
    finish_processing,
    open_package,
    submit_package,
)
from signflow.workflow.adoption import TYPED_STYLES, current_adoption, initials_of
from signflow.workflow.common import NOT_ALLOWED
from signflow.workflow.completeness import FIELDS_MISSING
from signflow.workflow.fields import FillValue, fill_fields
from signflow.workflow.recipient_session import RecipientSession, recipient_session
from signflow.workflow.sign import SignatureRequest, request_signing_code, sign_document

MAX_FORM_BYTES = 2 * 1024 * 1024
FORM_TOO_LARGE = "The form is too large"
MAX_VALUE_CHARS = 2000
PACKAGE_PAGE = "/web/package"
DONE_PAGE = "/web/done"
IDENTITY_PAGE = "/web/identity"
# The core's error codes, as the pages' texts.
CODE_KEYS = {
    "invalid_credentials": "identity.wrong",
    "recipient_blocked": "identity.blocked",
    "otp_expired": "identity.expired",
    "otp_used": "identity.used",
    "otp_required": "identity.missing",
    "password_required": "identity.missing",
    "too_many_requests": "identity.wait",
    "access_period_not_started": "error.access_not_started",
    "access_period_ended": "error.access_ended",
    FIELDS_MISSING: "error.fields_missing",
}
CODE_SHAPE = "x-otp must be the 6-digit code"
# A page image's URL names its content (`?v=`): the browser may keep it for a year.
IMMUTABLE = "private, max-age=31536000, immutable"
VERSION_CHARS = 20
# A page image's resolutions: 1x, and 2x and 3x for dense screens and zoomed pages.
PAGE_SCALES = ("1", "2", "3")


class SessionExpired(SignflowError):
    status_code = 401
    default_message = "error.session"


class CsrfRejected(SignflowError):
    status_code = 403
    default_message = "error.csrf"


class IdentityRequired(SignflowError):
    """The recipient has not passed their identity check yet: to the identity page."""

    status_code = 303
    default_message = "identity.title"


class WebRoute(APIRoute):
    """One transaction per request, and errors as pages rather than JSON.

    A refused action goes back to the page it came from (the package page, or
    the one the route names in `request.state.back`) with a message; the
    transaction has rolled back by then, so nothing of the action is kept,
    except for a `KeepsChanges` error (a wrong password or code): its
    transaction commits the counted try, then the error is shown.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await in_request_transaction(request, handler)
            except SignflowError as exc:  # a KeepsChanges error has committed its try
                return await _error_page(request, exc)

        return run


router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def _error_page(request: Request, exc: SignflowError) -> Response:
    settings = get_context(request).settings
    web = read_session(request, settings)
    key = _message_key(exc)
    values = _message_values(key, exc)
    if isinstance(exc, IdentityRequired):
        return security_headers(RedirectResponse(IDENTITY_PAGE, status_code=303), web)
    status = exc.status_code if 400 <= exc.status_code < 500 else 500
    if "application/json" in request.headers.get("accept", ""):
        # The sign dialog's "send the code" button, which stays in the dialog.
        text = Translator(choose_language(request, web))(key, **values)
        response: Response = JSONResponse({"message": text}, status_code=status)
        response.headers.update(exc.headers)
        return security_headers(response, web)
    if request.method == "POST" and web is not None and not isinstance(exc, SessionExpired):
        back = IDENTITY_PAGE if isinstance(exc, Blocked) else _back(request)
        response = RedirectResponse(back, status_code=303)
        write_flash(response, settings, key, framed=bool(web.frame_ancestors), **values)
        return security_headers(response, web)
    callback = web.callback_url if web is not None else None
    leave = with_query(callback, {"status": "ERROR", "code": key}) if callback else None
    embed = embed_event(web, error_outcome(key), leave)
    if isinstance(exc, Blocked):
        told = web is not None and await owner_told_of_block(get_context(request), web.recipient)
        return render(request, "blocked.html", web, status_code=403, told=told, embed=embed)
    page = render(
        request, "error.html", web, status_code=status, key=key, values=values, embed=embed
    )
    page.headers.update(exc.headers)
    return page


def _back(request: Request) -> str:
    back = getattr(request.state, "back", None)
    return back if isinstance(back, str) else PACKAGE_PAGE


def _message_values(key: str, exc: SignflowError) -> dict[str, str]:
    if key == "error.refused":
        return {"message": exc.message}
    if key == "error.fields_missing":
        return {"fields": exc.value or ""}
    if isinstance(exc, TooManyRequests):
        return {"seconds": str(exc.retry_after)}
    return {}


def _message_key(exc: SignflowError) -> str:
    if has_text(exc.message):
        return exc.message
    if exc.code in CODE_KEYS:
        return CODE_KEYS[exc.code]
    if exc.message == CODE_SHAPE:
        return "identity.code_shape"
    if exc.message == NOT_ALLOWED:
        return "error.not_allowed"
    if isinstance(exc, NotFound):
        return "error.link"
    if isinstance(exc, Forbidden):
        return "error.not_yet"
    return "error.refused"


def _actor(request: Request, rs: RecipientSession, web: WebSession | None = None) -> Actor:
    if web is not None and web.request_id:
        # The person who opened a signature request's link: no recorded identity.
        return signer_actor(client_address(request), _user_agent(request))
    # The person the link names: the recipient, or the group member acting for it.
    return Actor(
        email=rs.principal.user.email,
        name=rs.principal.user.name,
        ip_address=client_address(request),
        user_agent=_user_agent(request),
    )


def _user_agent(request: Request) -> str | None:
    return (request.headers.get("user-agent") or "")[:500] or None


def _web(request: Request) -> WebSession:
    web = read_session(request, get_context(request).settings)
    if web is None:
        raise SessionExpired()
    return web


async def _recipient(request: Request, web: WebSession) -> RecipientSession:
    try:
        rs = await recipient_session(get_session(request), web.recipient)
    except NotFound as exc:
        raise SessionExpired() from exc
    remember_branding(request, rs.principal.enterprise)
    return rs


async def require_identity(request: Request, rs: RecipientSession) -> None:
    """Not blocked (the blocked page), inside the access window, and the identity check
    passed when the recipient's settings ask for one (else to the identity page)."""
    try:
        await require_opened(get_session(request), rs.recipient, utcnow())
    except Forbidden as exc:
        if exc.code in ("password_required", "otp_required"):
            raise IdentityRequired() from exc
        raise


async def _form(request: Request, web: WebSession) -> dict[str, str]:
    raw = await read_limited(request, MAX_FORM_BYTES, lambda: PayloadTooLarge(FORM_TOO_LARGE))
    form = dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
    if not web.check_csrf(form.get("csrf")):
        raise CsrfRejected()
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise CsrfRejected()
    return form


def _landing(request: Request, web: WebSession) -> Response:
    response = RedirectResponse(PACKAGE_PAGE, status_code=303)
    write_session(response, get_context(request).settings, web)
    return security_headers(response, web)


@router.get("/sign/{token}")
async def email_link(token: str, request: Request, lang: str | None = None) -> Response:
    """The link in the recipient's email: a session for that recipient, then their page."""
    settings = get_context(request).settings
    try:
        payload = read_token(settings.effective_secret_key, RECIPIENT_LINK_PURPOSE, token)
    except InvalidToken as exc:
        raise NotFound("error.link") from exc
    link_id = str(payload.get("r", ""))
    rs = await recipient_session(get_session(request), link_id)
    remember_branding(request, rs.principal.enterprise)
    # The link's ?lang=, else the recipient's (or their enterprise's), else the browser's.
    language = (
        supported(lang)
        or recipient_language(rs.recipient, rs.principal.enterprise)
        or choose_language(request, None)
    )
    # The id the link names: a recipient's, or a group member's (their own session).
    return _landing(request, new_session(link_id, language))


async def _open(request: Request, web: WebSession) -> tuple[RecipientSession, PackageAccess]:
    rs = await _recipient(request, web)
    access = await get_package(get_session(request), rs.principal, rs.package.id)
    await require_identity(request, rs)
    return rs, access


def _not_a_request(web: WebSession) -> None:
    """A signature request is signed and cancelled through its own actions
    (`signflow.web.signature_requests`), which also close the request."""
    if web.request_id:
        raise Forbidden(NOT_ALLOWED)


@router.get(PACKAGE_PAGE)
async def package_page(request: Request, lang: str | None = None) -> Response:
    web = _web(request)
    changed = supported(lang)
    if changed:
        web = web.with_language(changed)
    rs, access = await _open(request, web)
    session = get_session(request)
    signature_request = await request_of(request, web, rs)
    if rs.recipient.read_at is None and access.package.status == WorkflowStatus.SHARED.value:
        await open_package(session, rs.principal, _actor(request, rs, web), rs.package.id)
    view = await package_view(session, access, rs.recipient, rs.principal)
    flash = read_flash(request, get_context(request).settings)
    response = render(
        request,
        "package.html",
        web,
        return_url=signature_request.result_url if signature_request else None,
        view=view,
        flash=flash,
        signature_request=signature_request,
        page_versions=await page_versions(request, access, view.documents),
        embed=embed_event(web, flash_event(flash, rs)),
        adoption=None
        if signature_request
        else await current_adoption(session, rs.package, rs.recipient, rs.principal.user),
        initials=initials_of(rs.principal.user.name or rs.recipient.name or ""),
        typed_styles=TYPED_STYLES,
    )
    if flash:
        clear_flash(response, framed=bool(web.frame_ancestors))
    if changed:
        write_session(response, get_context(request).settings, web)
    return response


async def page_versions(
    request: Request, access: PackageAccess, documents: list[DocumentView]
) -> dict[str, str]:
    """Each page image's `v`: the start of its PNG's SHA-256 ("document:page" -> v)."""
    session, blobs = get_session(request), get_context(request).blobs
    versions: dict[str, str] = {}
    for view in documents:
        document = await get_document(session, access, view.id)
        for page in view.pages:
            sha = await page_image_sha256(session, blobs, document, page.number, PAGE_DPI)
            versions[f"{view.id}:{page.number}"] = sha[:VERSION_CHARS]
    return versions


@router.get("/web/package/documents/{document_id}/pages/{page_no}.png")
async def page_png(
    document_id: int,
    page_no: int,
    request: Request,
    v: str | None = None,
    scale: str | None = None,
) -> Response:
    """A page's picture; `scale` (1 to 3) renders it for a denser screen or a zoomed page.
    `v` names the page's version by its 1x picture, whatever the scale."""
    web = _web(request)
    times = page_scale(scale)
    _, access = await _open(request, web)
    session = get_session(request)
    document = await get_document(session, access, document_id)
    blobs = get_context(request).blobs
    current = await page_image_sha256(session, blobs, document, page_no, PAGE_DPI)
    shown = current
    if times != 1:
        shown = await page_image_sha256(session, blobs, document, page_no, PAGE_DPI * times)
    png = await blobs.get(shown)
    response = Response(png, media_type="image/png")
    # Only the URL that names this very image may be kept: an old `v` gets today's page,
    # which must not be cached under the old name.
    response.headers["Cache-Control"] = (
        IMMUTABLE if v is not None and v == current[:VERSION_CHARS] else "private, no-store"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def page_scale(scale: str | None) -> int:
    if scale is None:
        return 1
    if scale not in PAGE_SCALES:
        raise BadRequest("error.page_scale")
    return int(scale)


@router.get("/web/package/documents/{document_id}/file")
async def document_file(document_id: int, request: Request) -> Response:
    web = _web(request)
    rs, access = await _open(request, web)
    if rs.recipient.permissions.get("download", True) is False:
        raise Forbidden(NOT_ALLOWED)
    document = await get_document(get_session(request), access, document_id)
    return pdf_attachment(await document_bytes(get_context(request).blobs, document), document.name)


def pdf_attachment(data: bytes, document_name: str) -> Response:
    """A document's PDF as a download, never cached."""
    name = document_name if document_name.lower().endswith(".pdf") else f"{document_name}.pdf"
    safe = "".join(c if c.isalnum() or c in "._- " else "_" for c in name)
    response = Response(data, media_type="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def request_of(
    request: Request, web: WebSession, rs: RecipientSession
) -> SignatureRequestRow | None:
    """The signature request of an /openDocument session (it must still resolve)."""
    if not web.request_id:
        return None
    found = await resolve_signature_request(get_session(request), web.request_id)
    if found.recipient.id != rs.recipient.id:
        raise SessionExpired()
    return found.request


def signature_from(form: dict[str, str]) -> SignatureRequest:
    """The sign dialog's drawing (a PNG data URL) or typed name."""
    image = form.get("hand_signature_image") or None
    typed = (form.get("typed_name") or "").strip()[:200] or None
    if image is None and typed is None:
        raise BadRequest("sign.empty")
    return SignatureRequest(
        field_name=form.get("field_name", ""), hand_signature_image=image, user_name=typed
    )


def _document_id(form: dict[str, str]) -> int:
    document_id = form.get("document_id", "")
    if not document_id.isdigit():
        raise BadRequest("document_id is missing")
    return int(document_id)


@router.post("/web/package/sign")
async def sign(request: Request) -> Response:
    web = _web(request)
    form = await _form(request, web)
    _not_a_request(web)
    rs, access = await _open(request, web)
    document_id = _document_id(form)
    if form.get("with_fields") == "1":
        # The page's entries come with the signature: kept first, in the same transaction,
        # so a value typed just before signing is under the signature.
        await fill_from_form(request, web, rs, access, form)
    consent, actor = consent_text(request, web), _actor(request, rs)
    adopted = form.get("adopt") == "1" or form.get("use_adopted") == "1"
    fallback = None if adopted else signature_from(form)
    signature = await signature_with_adoption(request, rs, actor, form, consent, fallback)
    await sign_document(
        get_session(request),
        get_context(request),
        rs.principal,
        actor,
        rs.package.id,
        document_id,
        replace(signature, consent_text=consent),
        otp=(form.get("otp") or "").strip() or None,
    )
    response = RedirectResponse(PACKAGE_PAGE, status_code=303)
    write_flash(
        response,
        get_context(request).settings,
        "sign.done",
        framed=bool(web.frame_ancestors),
        name=form["field_name"],
    )
    return security_headers(response, web)


@router.get(ADOPTED_IMAGE_PATH)
async def adopted_png(kind: str, request: Request) -> Response:
    """The signer's adopted signature or initials, shown in the dialog and on the fields."""
    web = _web(request)
    _not_a_request(web)
    rs, _ = await _open(request, web)
    return await adopted_image(request, web, rs, kind)


@router.post("/web/package/sign-code")
async def send_signing_code(request: Request) -> Response:
    """The sign dialog's "send the code" (called by fetch: the dialog stays open)."""
    web = _web(request)
    form = await _form(request, web)
    _not_a_request(web)
    rs, _ = await _open(request, web)
    await request_signing_code(
        get_session(request),
        get_context(request),
        rs.principal,
        _actor(request, rs),
        rs.package.id,
        _document_id(form),
        form.get("field_name", ""),
    )
    text = Translator(choose_language(request, web))("code.sent")
    return security_headers(JSONResponse({"message": text}), web)


@router.post("/web/package/fill")
async def fill(request: Request) -> Response:
    """Save the page's form: every field the recipient can still fill, document by document
    (a signature request's signer fills here too; signing goes through the request)."""
    web = _web(request)
    form = await _form(request, web)
    rs, access = await _open(request, web)
    await fill_from_form(request, web, rs, access, form)
    response = RedirectResponse(PACKAGE_PAGE, status_code=303)
    write_flash(
        response, get_context(request).settings, "fill.saved", framed=bool(web.frame_ancestors)
    )
    return security_headers(response, web)


async def fill_from_form(
    request: Request,
    web: WebSession,
    rs: RecipientSession,
    access: PackageAccess,
    form: dict[str, str],
) -> None:
    """Keep what the page's form says about every field the recipient can still fill."""
    session = get_session(request)
    view = await package_view(session, access, rs.recipient, rs.principal)
    by_document: dict[int, list[FillValue]] = {}
    for field in view.fillable:
        value = form_value(field, form)
        if value is not None:
            by_document.setdefault(field.document_id, []).append(value)
    actor = _actor(request, rs, web)
    for document_id, values in by_document.items():
        await fill_fields(session, rs.principal, actor, rs.package.id, document_id, values)


def form_value(field: FieldView, form: dict[str, str]) -> FillValue | None:
    """What the page's form says about one field (None: nothing to change)."""
    kind = FieldKind(field.kind)
    sent = form.get(field.form_name)
    if kind is FieldKind.CHECKBOX:
        return FillValue(kind, field.name, "true" if sent else "false")
    if sent is None:
        return None
    if kind is FieldKind.RADIO:
        # The group's controls send the chosen button's name; the others say nothing.
        if sent != field.name:
            return None
        return FillValue(kind, field.name, True, field.group)
    family = kind if kind in (FieldKind.DROPDOWN, FieldKind.LISTBOX) else FieldKind.TEXT
    return FillValue(family, field.name, sent[:MAX_VALUE_CHARS])


def _after_turn(request: Request, web: WebSession, rs: RecipientSession) -> Response:
    """Back to the integrating application with the outcome when the page is the top window;
    else (framed, or no callback) the done page, which tells a parent page by postMessage."""
    target = callback_target(request, web, rs)
    if target is not None and request.headers.get("sec-fetch-dest") != "iframe":
        return security_headers(RedirectResponse(target, status_code=303), web)
    return security_headers(RedirectResponse(DONE_PAGE, status_code=303), web)


def callback_target(request: Request, web: WebSession, rs: RecipientSession) -> str | None:
    """The integration callback with the outcome added to its query."""
    if not web.callback_url:
        return None
    return with_query(
        web.callback_url,
        {
            "package_id": str(rs.package.id),
            "status": rs.recipient.process_status,
            "workflow_status": rs.package.status,
            "lang": choose_language(request, web),
        },
    )


def flash_event(
    flash: tuple[str, dict[str, str]] | None, rs: RecipientSession
) -> dict[str, Any] | None:
    """The postMessage a package page sends after an action: a signature, or a refusal."""
    if flash is None or flash[0] in SUCCESS_FLASHES:
        return None
    key, values = flash
    if key == "sign.done":
        return outcome("signed", rs.package, rs.recipient, field_name=values.get("name", ""))
    return outcome("error", rs.package, rs.recipient, code=key)


def with_query(url: str, values: dict[str, str]) -> str:
    """`url` with `values` added to the query it already has (theirs kept first)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in values]
    return urlunsplit(parts._replace(query=urlencode(query + list(values.items()))))


@router.post("/web/package/finish")
async def finish(request: Request) -> Response:
    web = _web(request)
    await _form(request, web)
    _not_a_request(web)
    rs, _ = await _open(request, web)
    session = get_session(request)
    await finish_processing(session, rs.principal, _actor(request, rs), rs.package.id)
    await _refresh(request, rs)
    return _after_turn(request, web, rs)


async def _refresh(request: Request, rs: RecipientSession) -> None:
    session = get_session(request)
    await session.refresh(rs.recipient)
    await session.refresh(rs.package)


@router.post("/web/package/approve")
async def approve(request: Request) -> Response:
    web = _web(request)
    form = await _form(request, web)
    _not_a_request(web)
    rs, _ = await _open(request, web)
    if rs.recipient.role != RecipientRole.REVIEWER.value:
        raise Forbidden(NOT_ALLOWED)
    session, actor = get_session(request), _actor(request, rs)
    reason = (form.get("reason") or "").strip()[:500] or None
    await approve_package(session, rs.principal, actor, rs.package.id, reason)
    await finish_processing(session, rs.principal, actor, rs.package.id)
    await _refresh(request, rs)
    return _after_turn(request, web, rs)


@router.post("/web/package/submit")
async def submit(request: Request) -> Response:
    web = _web(request)
    await _form(request, web)
    _not_a_request(web)
    rs, _ = await _open(request, web)
    if rs.recipient.role != RecipientRole.EDITOR.value:
        raise Forbidden(NOT_ALLOWED)
    session, actor = get_session(request), _actor(request, rs)
    await submit_package(session, rs.principal, actor, rs.package.id)
    await finish_processing(session, rs.principal, actor, rs.package.id)
    await _refresh(request, rs)
    return _after_turn(request, web, rs)


@router.post("/web/package/decline")
async def decline(request: Request) -> Response:
    web = _web(request)
    form = await _form(request, web)
    _not_a_request(web)
    rs, _ = await _open(request, web)
    reason = (form.get("reason") or "").strip()
    if not reason:
        raise BadRequest("decline.reason")
    await decline_package(
        get_session(request), rs.principal, _actor(request, rs), rs.package.id, reason
    )
    await _refresh(request, rs)
    return _after_turn(request, web, rs)


@router.get(DONE_PAGE)
async def done(request: Request) -> Response:
    web = _web(request)
    rs, access = await _open(request, web)
    view = await package_view(get_session(request), access, rs.recipient, rs.principal)
    declined = rs.recipient.process_status == ProcessStatus.DECLINED.value
    turn = turn_outcome(rs.package, rs.recipient) if rs.recipient.finished_at or declined else None
    embed = embed_event(web, turn, callback_target(request, web, rs))
    return render(request, "done.html", web, view=view, embed=embed)
