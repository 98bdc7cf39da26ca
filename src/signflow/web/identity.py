"""The identity page: the password or one-time code a recipient's settings ask for.

Until it is passed, every page of the package sends the recipient here (see
`routes.require_identity`). The checks are the core's (`identity.checks`):
three tries in all, a wrong value counted although its request fails (the
route commits the try, then shows the error), the third wrong value blocks.
Success marks the identity verified for the rest of the recipient's turn and
opens the package (`workflow.actions.open_package`, as the API's `open` with
`x-password` / `x-otp`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from signflow.db import utcnow
from signflow.errors import BadRequest
from signflow.faces.routing import get_context, get_session
from signflow.identity.checks import Credentials, identity_pending
from signflow.identity.codes import OPEN_PURPOSE, code_holder, mask
from signflow.identity.methods import opening_methods
from signflow.identity.opening import send_opening_code
from signflow.models import OneTimeCode, RecipientIdentity
from signflow.packages.access import get_package
from signflow.web.i18n import supported
from signflow.web.pages import render, security_headers, tries_left
from signflow.web.routes import (
    IDENTITY_PAGE,
    PACKAGE_PAGE,
    WebRoute,
    _actor,
    _form,
    _recipient,
    _web,
)
from signflow.web.session import clear_flash, read_flash, write_flash, write_session
from signflow.workflow.actions import open_package
from signflow.workflow.recipient_session import RecipientSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)
MAX_SECRET_LENGTH = 200


async def _identity(request: Request, rs: RecipientSession) -> RecipientIdentity | None:
    return await get_session(request).scalar(
        select(RecipientIdentity).where(RecipientIdentity.recipient_id == rs.recipient.id)
    )


async def _identity_needed(request: Request, rs: RecipientSession) -> bool:
    """Whether the recipient still has a check to pass (the blocked page when blocked)."""
    await get_package(get_session(request), rs.principal, rs.package.id)
    return await identity_pending(get_session(request), rs.recipient, utcnow())


@router.get(IDENTITY_PAGE)
async def identity_page(request: Request, lang: str | None = None) -> Response:
    web = _web(request)
    changed = supported(lang)
    if changed:
        web = web.with_language(changed)
    rs = await _recipient(request, web)
    settings = get_context(request).settings
    if not await _identity_needed(request, rs):
        response: Response = RedirectResponse(PACKAGE_PAGE, status_code=303)
    else:
        session = get_session(request)
        methods = opening_methods(rs.recipient)
        # The code of the person whose link opened the page (a group member's own).
        holder = await code_holder(session, rs.recipient, rs.principal.user.email)
        purpose = holder.purpose if holder else OPEN_PURPOSE
        codes_sent = await session.scalar(
            select(func.count()).where(
                OneTimeCode.recipient_id == rs.recipient.id,
                OneTimeCode.purpose == purpose,
            )
        )
        email = methods.otp_channel == "email"
        destination = (holder.email if holder else "") if email else methods.mobile_number
        flash = read_flash(request, settings)
        response = render(
            request,
            "identity.html",
            web,
            package=rs.package,
            me=rs.recipient,
            methods=methods,
            destination=mask(destination) if destination else "",
            code_sent=bool(codes_sent),
            tries_left=tries_left(await _identity(request, rs)),
            flash=flash,
        )
        if flash:
            clear_flash(response, framed=bool(web.frame_ancestors))
    if changed:
        write_session(response, settings, web)
    return security_headers(response, web)


@router.post(IDENTITY_PAGE)
async def check_identity(request: Request) -> Response:
    """The password and/or code: a right one opens the package, a wrong one takes a try."""
    request.state.back = IDENTITY_PAGE
    web = _web(request)
    form = await _form(request, web)
    rs = await _recipient(request, web)
    if not await _identity_needed(request, rs):
        return security_headers(RedirectResponse(PACKAGE_PAGE, status_code=303), web)
    password = form.get("password") or None
    code = "".join((form.get("code") or "").split()) or None
    if (password and len(password) > MAX_SECRET_LENGTH) or (code and len(code) > 20):
        raise BadRequest("identity.missing")
    credentials = Credentials(get_context(request).settings, password=password, otp=code)
    await open_package(
        get_session(request), rs.principal, _actor(request, rs, web), rs.package.id, credentials
    )
    return security_headers(RedirectResponse(PACKAGE_PAGE, status_code=303), web)


@router.post(f"{IDENTITY_PAGE}/send")
async def send_code(request: Request) -> Response:
    """Send (or send again) the opening code, within the core's resend limits."""
    request.state.back = IDENTITY_PAGE
    web = _web(request)
    await _form(request, web)
    rs = await _recipient(request, web)
    if not await _identity_needed(request, rs):
        return security_headers(RedirectResponse(PACKAGE_PAGE, status_code=303), web)
    context = get_context(request)
    await send_opening_code(
        get_session(request),
        context.settings,
        rs.principal,
        _actor(request, rs, web),
        rs.package.id,
        rs.recipient.position,
    )
    response = RedirectResponse(IDENTITY_PAGE, status_code=303)
    write_flash(response, context.settings, "code.sent", framed=bool(web.frame_ancestors))
    return security_headers(response, web)
