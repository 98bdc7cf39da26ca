"""Rendering the app's document pages: the app's `render`, with the signed-in person's
enterprise branding."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from signflow.accounts.principal import Principal
from signflow.web.app.pages import render
from signflow.web.branding import remember as remember_branding


def app_page(
    request: Request,
    principal: Principal,
    template: str,
    status_code: int = 200,
    **values: object,
) -> HTMLResponse:
    remember_branding(request, principal.enterprise)
    return render(request, template, status_code, **values)
