"""The form in which a person chooses a password from a mailed link: the activation page
and the forgot-password page show the same form and check it the same way."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from fastapi import Request, Response

from signflow.accounts.activation import PASSWORD_TOO_LONG, PASSWORD_TOO_SHORT, check_new_password
from signflow.errors import BadRequest, PayloadTooLarge
from signflow.models import Enterprise, User
from signflow.web.pages import render
from signflow.web.routes import CsrfRejected

MAX_FORM_BYTES = 16 * 1024
PASSWORD_KEYS = {PASSWORD_TOO_SHORT: "activate.too_short", PASSWORD_TOO_LONG: "activate.too_long"}
MISMATCH_KEY = "activate.mismatch"


async def read_form(request: Request) -> dict[str, str]:
    """The posted form, at most MAX_FORM_BYTES, refused when posted from another origin."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise PayloadTooLarge("The form is too large")
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise PayloadTooLarge("The form is too large")
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise CsrfRejected()
    return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))


def password_error(form: dict[str, str]) -> str | None:
    """The message key of what is wrong with the chosen password or its confirmation."""
    password = form.get("password", "")
    try:
        check_new_password(password)
    except BadRequest as exc:
        return PASSWORD_KEYS[exc.message]
    if password != form.get("confirm", ""):
        return MISMATCH_KEY
    return None


def password_form_page(
    request: Request,
    template: str,
    user: User,
    enterprise: Enterprise,
    error: str | None = None,
) -> Response:
    """The form for this account, 400 with the error's message when there is one."""
    return render(
        request,
        template,
        None,
        status_code=400 if error else 200,
        email=user.email,
        name=user.name,
        enterprise=enterprise.name,
        error=error,
    )
