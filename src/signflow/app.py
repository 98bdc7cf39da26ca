"""create_app(): mounts the faces, the error handlers and the process lifespan."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from signflow import __version__, health, web
from signflow.api_docs import DOCS_ASSETS, install_redoc
from signflow.config import Settings
from signflow.context import AppContext
from signflow.faces import files, pki, signinghub
from signflow.faces.admin import api_keys as admin_api_keys
from signflow.faces.admin import applications as admin_applications
from signflow.faces.admin import enterprise_settings as admin_enterprise_settings
from signflow.faces.admin import erasure as admin_erasure
from signflow.faces.admin import pki as admin_pki
from signflow.faces.admin import sso as admin_sso
from signflow.faces.admin import webhooks as admin_webhooks
from signflow.faces.errors import install_error_handlers
from signflow.faces.okdokument import routes as okdokument
from signflow.faces.openapi import install_openapi
from signflow.faces.route_index import install_route_index
from signflow.heap import freeze_startup_objects
from signflow.logs import configure_logging
from signflow.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from signflow.observability.exposition import metrics_endpoint
from signflow.observability.heartbeat import run_worker
from signflow.observability.http import MetricsMiddleware
from signflow.observability.metrics import process_exited
from signflow.pdf.intake import close_intake_sandboxes


@asynccontextmanager
async def embedded_worker(context: AppContext) -> AsyncIterator[None]:
    """In the embedded default, the outbox worker runs inside the API process."""
    if not context.settings.embedded_worker:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(context, stop))
    try:
        yield
    finally:
        stop.set()
        await task


BACKSTOP_SLACK = 64 * 1024


def create_served_app() -> FastAPI:
    """The application of one API process started by `signflow serve` (uvicorn's factory).

    With `--workers N` uvicorn spawns fresh interpreters that inherit nothing of the
    parent's logging, so each process configures its own here.
    """
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def create_app(settings: Settings | None = None, context: AppContext | None = None) -> FastAPI:
    settings = settings or (context.settings if context else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = context is None
        app.state.context = context or AppContext.create(settings)
        freeze_startup_objects()
        async with embedded_worker(app.state.context):
            try:
                yield
            finally:
                if owned:
                    await app.state.context.close()
                    close_intake_sandboxes()
                    process_exited(os.getpid())

    # /docs and /redoc with Swagger UI and ReDoc served from the fastapi-offline package's
    # own copies (under DOCS_ASSETS): a server in a closed network still shows them.
    app = FastAPIOffline(
        static_url=DOCS_ASSETS,
        redoc_url=None,
        swagger_ui_parameters={"validatorUrl": None},
        title="Signflow",
        version=__version__,
        description="Self-hosted e-signature workflows: SigningHub v3/v4, Auco-style "
        "webhooks and OKdokument signature requests over one core.",
        lifespan=lifespan,
    )
    if context is not None:
        app.state.context = context
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(pki.router)
    app.include_router(files.router)
    for router, prefix in signinghub.build_routers(
        admin_webhooks.router,
        admin_api_keys.router,
        admin_erasure.router,
        admin_applications.router,
        admin_pki.router,
        admin_enterprise_settings.router,
        admin_sso.router,
    ):
        app.include_router(router, prefix=prefix)
    app.include_router(okdokument.router)
    web.install(app)  # the signer pages: routes and static files
    install_openapi(app)
    install_redoc(app)
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    install_route_index(app)  # FastAPI asks only the entry that serves the path
    # A backstop for every path, above the largest route limit (a new signature request's
    # base64 PDF): each route refuses its own bodies first, with its own limit and message.
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=okdokument.signature_request_body_limit(settings) + BACKSTOP_SLACK,
        read_timeout=settings.body_read_timeout_seconds,
        body_deadline=settings.body_deadline_seconds,
    )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app
