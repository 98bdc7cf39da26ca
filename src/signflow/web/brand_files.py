"""The branding's public files: the accent stylesheet and the logo (see `web/branding.py`)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from signflow.branding.colors import check_accent, darker
from signflow.errors import BadRequest, NotFound
from signflow.faces.routing import get_session
from signflow.models import Enterprise
from signflow.web.branding import ACCENT_PATH, LOGO_PATH
from signflow.web.routes import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

IMMUTABLE = "public, max-age=31536000, immutable"
_SHA256 = re.compile(r"[0-9a-f]{64}")


@router.get(ACCENT_PATH)
async def accent_stylesheet(color: str) -> Response:
    try:
        accent = check_accent(f"#{color}")
    except BadRequest as exc:
        raise NotFound("error.link") from exc
    css = (
        f":root {{ --brand: {accent}; --brand-dark: {darker(accent)}; }}\n"
        f".topbar {{ border-top: 4px solid {accent}; }}\n"
    )
    return Response(
        css,
        media_type="text/css",
        headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
    )


@router.get(LOGO_PATH)
async def logo(sha256: str, request: Request) -> Response:
    if not _SHA256.fullmatch(sha256):
        raise NotFound("error.link")
    row = (
        await get_session(request).execute(
            select(Enterprise.logo, Enterprise.logo_type)
            .where(Enterprise.logo_sha256 == sha256)
            .limit(1)
        )
    ).first()
    if row is None or row.logo is None or row.logo_type is None:
        raise NotFound("error.link")
    return Response(
        row.logo,
        media_type=row.logo_type,
        headers={
            "Cache-Control": IMMUTABLE,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
