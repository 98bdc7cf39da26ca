"""The signer's web pages: routes, session, templates, static files, texts."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from signflow.web.integration import api_router, page_router
from signflow.web.pages import STATIC_DIR, STATIC_PATH
from signflow.web.routes import router


def install(app: FastAPI) -> None:
    """Mount the signer pages, the integration link endpoint and the static files."""
    app.include_router(router)
    app.include_router(page_router)
    app.include_router(api_router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="web-static")
