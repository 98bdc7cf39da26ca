"""OKdokument signature requests in the browser: `/openDocument/{id}`, sign or cancel.

The link starts a signer session for the request's one recipient (the person
who opens the link), marked with the request's id, and lands on the same
package page as any signer (with its identity check, when the recipient has
one). Signing and cancelling go through the request's own core functions
(`signature_requests.service.submit_signature_request` / `cancel_...`), which
also close the request and queue sendInfo; the browser then goes to the
request's `resulturl` with `name`, `docid`, `lang`, `result` and `ts` added to
its own query, or to the done page when it has none.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from signflow.errors import BadRequest, SignflowError
from signflow.faces.routing import client_address, get_context, get_session
from signflow.signature_requests.service import (
    RedirectTarget,
    cancel_signature_request,
    resolve_signature_request,
    signer_actor,
    submit_signature_request,
)
from signflow.web.branding import remember as remember_branding
from signflow.web.i18n import supported
from signflow.web.pages import choose_language, consent_text, render, security_headers
from signflow.web.routes import (
    DONE_PAGE,
    SessionExpired,
    WebRoute,
    _form,
    _landing,
    _open,
    _user_agent,
    _web,
    request_of,
    signature_from,
)
from signflow.web.session import WebSession, new_session, read_session
from signflow.workflow.recipient_session import RecipientSession

OPEN_PATH = "/openDocument/{request_id}"
SIGN_PATH = "/web/request/sign"
CANCEL_PATH = "/web/request/cancel"
MAX_NAME_CHARS = 200

router = APIRouter(route_class=WebRoute, include_in_schema=False)


class Gone(SignflowError):
    """The request was signed or cancelled: its link has nothing left to do."""

    status_code = 410


@router.get(OPEN_PATH)
async def open_document(request_id: str, request: Request, lang: str | None = None) -> Response:
    """The link the integrator hands to the signer."""
    found = await resolve_signature_request(get_session(request), request_id)
    remember_branding(request, found.principal.enterprise)
    if found.signed or not found.open_to_sign:
        # Nothing went wrong: the request is over. Its own page says how it ended.
        signed = found.signed
        return render(
            request,
            "request_closed.html",
            # The signer's session, when this browser had one: its language.
            read_session(request, get_context(request).settings),
            status_code=410,
            title="request.signed_title" if signed else "request.closed_title",
            text="request.signed" if signed else "request.closed",
        )
    language = supported(lang) or choose_language(request, None)
    web = new_session(found.recipient.public_id, language, request_id=found.request.id)
    return _landing(request, web)


@router.get("/{request_id:uuid}")
async def short_link(request_id: UUID, request: Request) -> Response:
    """The short form of the link (`url` in the PATCH answer)."""
    target = OPEN_PATH.format(request_id=request_id)
    if request.url.query:
        target += f"?{request.url.query}"
    return security_headers(RedirectResponse(target, status_code=303), None)


def _request_id(web: WebSession) -> str:
    if not web.request_id:
        raise SessionExpired()
    return web.request_id


def _leave(web: WebSession, target: RedirectTarget) -> Response:
    """To the request's resulturl, or the done page without one."""
    return security_headers(RedirectResponse(target.url or DONE_PAGE, status_code=303), web)


async def _checked_post(
    request: Request,
) -> tuple[WebSession, dict[str, str], str, RecipientSession]:
    """A signer's form post: its session, its fields (CSRF-checked), its request's id and
    recipient, after checking that the signer may still act on that request."""
    web = _web(request)
    form = await _form(request, web)
    request_id = _request_id(web)
    rs, _ = await _open(request, web)
    await request_of(request, web, rs)
    return web, form, request_id, rs


def signer_name(form: dict[str, str]) -> str:
    """The name the signer gives in the dialog: their certificate and stamp carry it."""
    name = " ".join((form.get("signer_name") or "").split())[:MAX_NAME_CHARS]
    if not name:
        raise BadRequest("request.name_missing")
    return name


@router.post(SIGN_PATH)
async def sign_request(request: Request) -> Response:
    """Sign the request's signature field, finish, close the request, go to resulturl.
    The recipient stood for "the person who opens the link": it takes the name they give."""
    web, form, request_id, rs = await _checked_post(request)
    name = signer_name(form)
    signature = signature_from(form)
    rs.recipient.name = name
    await get_session(request).flush()
    target = await submit_signature_request(
        get_session(request),
        get_context(request),
        request_id,
        replace(
            signature,
            user_name=signature.user_name or name,
            consent_text=consent_text(request, web),
        ),
        signer_actor(client_address(request), _user_agent(request)),
        choose_language(request, web),
    )
    return _leave(web, target)


@router.post(CANCEL_PATH)
async def cancel_request(request: Request) -> Response:
    """The signer cancels: the package is declined, the request closed, resulturl `close`."""
    web, _, request_id, _ = await _checked_post(request)
    target = await cancel_signature_request(
        get_session(request),
        get_context(request),
        request_id,
        signer_actor(client_address(request), _user_agent(request)),
        choose_language(request, web),
    )
    return _leave(web, target)
