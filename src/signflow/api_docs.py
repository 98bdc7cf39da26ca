"""/docs (Swagger UI) and /redoc (ReDoc) with no request leaving the server.

The fastapi-offline package ships both bundles and serves them under DOCS_ASSETS, and
answers /docs itself. ReDoc is answered here: its menu shows a logo from the vendor's
CDN, which this page's Content-Security-Policy refuses (the image then hides itself), so
a closed network shows the same page without waiting for that request.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse

DOCS_ASSETS = "/docs-assets"
# ReDoc renders with inline styles and runs its search in a worker made from a blob.
OFFLINE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'"
)


def install_redoc(app: FastAPI, path: str = "/redoc") -> None:
    @app.get(path, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = OFFLINE_POLICY
        return page
