"""The sign-in page's "forgotten password": the address's account gets the single-use,
time-limited reset link by e-mail (`accounts/password_reset.py`), which opens the
forgot-password page `/web/password/{token}`. The answer is the same whether or not
the address has an account; requests are counted per address and per client."""

from __future__ import annotations

from fastapi import Request, Response

from signflow.accounts.password_reset import count_mail_request, request_reset_for_address
from signflow.errors import TooManyRequests
from signflow.faces.routing import client_address, get_context, get_session
from signflow.web.app.csrf import read_form
from signflow.web.app.pages import render
from signflow.web.app.routing import app_router

MAX_EMAIL_CHARS = 320
RESET_PURPOSE = "reset"  # the same counters as the API's forgot-password call

router = app_router()


def _form(request: Request, email: str = "", error: str | None = None, **values: str) -> Response:
    return render(
        request,
        "app/forgot.html",
        status_code=429 if error == "app.signin.wait" else 400 if error else 200,
        email=email,
        error=error,
        error_values=values,
    )


@router.get("/app/forgot")
async def forgot_page(request: Request) -> Response:
    return _form(request)


@router.post("/app/forgot")
async def forgot(request: Request) -> Response:
    email = (await read_form(request)).get("email", "").strip()
    if not email or "@" not in email or len(email) > MAX_EMAIL_CHARS:
        return _form(request, email[:MAX_EMAIL_CHARS], "app.forgot.invalid")
    context = get_context(request)
    try:
        await count_mail_request(
            context.sessions, context.settings, RESET_PURPOSE, email, client_address(request)
        )
    except TooManyRequests as exc:
        return _form(request, email, "app.signin.wait", seconds=str(exc.retry_after))
    await request_reset_for_address(get_session(request), email)
    return render(request, "app/forgot_sent.html", email=email)
