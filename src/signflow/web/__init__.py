"""The signer's web pages: routes, session, templates, static files, texts."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from signflow.web import (
    activation,
    autosave,
    brand_files,
    identity,
    password_reset,
    progress,
    signature_requests,
)
from signflow.web.app import install as install_account_app
from signflow.web.integration import api_router, page_router
from signflow.web.pages import STATIC_DIR, STATIC_PATH
from signflow.web.routes import router


def install(app: FastAPI) -> None:
    """Mount the signer pages, the identity page, the signature-request links, the
    integration and progress link endpoints, the owner's progress page, the account
    activation page and the static files."""
    app.include_router(router)
    app.include_router(autosave.router)
    app.include_router(activation.router)
    app.include_router(password_reset.router)
    app.include_router(brand_files.router)
    app.include_router(identity.router)
    app.include_router(page_router)
    app.include_router(api_router)
    app.include_router(progress.page_router)
    app.include_router(progress.api_router)
    install_account_app(app)  # the account holders' web app under /app/
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="web-static")
    # Last: `/{uuid}`, the short form of a signature request's link.
    app.include_router(signature_requests.router)
