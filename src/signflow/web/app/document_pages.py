"""Rendering the app's document pages: the signer pages' `render`, with the signed-in
person, the form token and the app's own script."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from signflow.accounts.principal import Principal
from signflow.web.app.csrf import csrf_token
from signflow.web.branding import remember as remember_branding
from signflow.web.pages import render


def app_page(
    request: Request,
    principal: Principal,
    template: str,
    status_code: int = 200,
    **values: object,
) -> HTMLResponse:
    remember_branding(request, principal.enterprise)
    # Any: the template's values, never `render`'s own keyword arguments.
    page_values: dict[str, Any] = {
        **values,
        "me": principal.user,
        "form_token": csrf_token(request),
    }
    return render(request, template, None, status_code=status_code, **page_values)
