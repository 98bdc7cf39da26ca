"""The account holders' web app under /app/: sign-in, sessions and (growing) the pages
for preparing, sending and tracking packages.

Every page is a core call the API also exposes; the app's own concerns are the browser
session (`session`), CSRF (`csrf`) and rendering (`pages`). Routers of app pages are
made with `routing.app_router()`, and depend on `session.app_principal` for the
signed-in user.
"""

from __future__ import annotations

from fastapi import FastAPI

from signflow.web.app import (
    account_password,
    admin_api_keys,
    admin_applications,
    admin_branding,
    admin_sso,
    admin_users,
    admin_webhooks,
    forgot,
    hash_route,
    home,
    prepare,
    prepare_fields,
    prepare_recipients,
    prepare_settings,
    preview,
    routes,
    sso,
    template_pages,
    viewer,
)


def install(app: FastAPI) -> None:
    app.include_router(routes.router)
    app.include_router(forgot.router)
    app.include_router(sso.router)
    app.include_router(admin_users.router)
    app.include_router(admin_api_keys.router)
    app.include_router(admin_webhooks.router)
    app.include_router(admin_applications.router)
    app.include_router(admin_branding.router)
    app.include_router(admin_sso.router)
    app.include_router(account_password.router)
    # The documents: home, viewer, prepare and send, and SigningHub's /Web address.
    for documents in (
        home.router,
        viewer.router,
        prepare.router,
        prepare_recipients.router,
        prepare_settings.router,
        hash_route.router,
    ):
        app.include_router(documents)
    app.include_router(prepare_fields.router)
    app.include_router(preview.router)
    app.include_router(template_pages.router)
